"""Signed tokens (JWS): verifying access tokens from the unified identity provider (统一身份认证),
and signing and verifying the app's own short-lived codes (一人一码, 亮证). A neutral piece: the
HTTP side (backend.auth) and the domain (backend.services) both use it, neither through the other.

This is the only module that imports python-jose. Unpinned, jose would accept an HS256 token
"signed" with the provider's public key; so the algorithm is checked against an allow-list of
asymmetric algorithms *before* a key is chosen, the key's type must match the algorithm, and
`jwt.decode` is given exactly that one algorithm.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Sequence

from jose import jwk, jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

ALLOWED_ALGORITHMS: Mapping[str, str] = {"RS256": "RSA", "ES256": "EC"}  # alg -> required JWK kty
MAX_TOKEN_BYTES = 8192
LEEWAY_SECONDS = 60
JWKS_MIN_REFRESH_SECONDS = 60

JwksSource = Callable[[], Awaitable[Mapping[str, Any]]]


class TokenError(Exception):
    """The token is not acceptable. `reason` is a stable code; the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class KeySet:
    """The provider's JWKS, cached. An unknown `kid` triggers a refresh at most once a minute,
    so a flood of tokens with made-up key ids cannot hammer the provider."""

    def __init__(self, source: JwksSource, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._clock = clock
        self._keys: dict[str, Mapping[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> Mapping[str, Any] | None:
        if kid not in self._keys and self._may_refresh():
            async with self._lock:
                if kid not in self._keys and self._may_refresh():
                    await self._refresh()
        return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= JWKS_MIN_REFRESH_SECONDS

    async def _refresh(self) -> None:
        self._fetched_at = self._clock()
        document = await self._source()
        self._keys = {key["kid"]: key for key in document.get("keys", []) if isinstance(key, Mapping) and "kid" in key}


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    claims: Mapping[str, Any]
    expires_at: int


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, keys: KeySet) -> None:
        self._issuer = issuer
        self._audience = audience
        self._keys = keys

    async def verify(self, token: str) -> VerifiedToken:
        if not isinstance(token, str) or not token:
            raise TokenError("missing", "未提供登录凭证")
        algorithm, kid = _pinned_header(token, ALLOWED_ALGORITHMS, what="登录凭证")
        key = await self._keys.get(kid) if kid is not None else None
        _check_key(key, algorithm, ALLOWED_ALGORITHMS, what="登录凭证")
        assert key is not None
        try:
            claims = jwt.decode(
                token, dict(key), algorithms=[algorithm], audience=self._audience, issuer=self._issuer,
                options={"leeway": LEEWAY_SECONDS, "require_exp": True, "require_iss": True,
                         "require_aud": True, "require_sub": True, "verify_at_hash": False},
            )
        except ExpiredSignatureError:
            raise TokenError("expired", "登录已过期，请重新登录") from None
        except JWTClaimsError as error:
            raise TokenError("claims", _claims_message(str(error))) from None
        except JWTError as error:
            if "missing required key" in str(error):
                raise TokenError("claims", "登录凭证内容不完整") from None
            raise TokenError("signature", "登录凭证无效") from None
        return VerifiedToken(subject=str(claims["sub"]), claims=claims, expires_at=int(claims["exp"]))


def _pinned_header(token: str, allowed: Mapping[str, str], *, what: str) -> tuple[str, str | None]:
    """The algorithm, checked against the pinned list before any key is chosen (an unpinned
    decode would accept an HS256 token "signed" with the public key), and the key id."""
    if len(token.encode("utf-8", "ignore")) > MAX_TOKEN_BYTES:
        raise TokenError("malformed", f"{what}格式不正确")
    try:
        header = jwt.get_unverified_header(token)
    except JWTError:
        raise TokenError("malformed", f"{what}格式不正确") from None
    algorithm = header.get("alg")
    if algorithm not in allowed:
        raise TokenError("algorithm", f"{what}的签名算法不被接受")
    kid = header.get("kid")
    return algorithm, kid if isinstance(kid, str) else None


def _check_key(key: Mapping[str, Any] | None, algorithm: str, allowed: Mapping[str, str], *, what: str) -> None:
    if key is None:
        raise TokenError("unknown_key", f"{what}的签名密钥未知")
    if key.get("kty") != allowed[algorithm] or key.get("alg", algorithm) != algorithm:
        raise TokenError("algorithm", f"{what}的签名算法与密钥不符")


def _claims_message(detail: str) -> str:
    lowered = detail.lower()
    if "before" in lowered or "nbf" in lowered:
        return "登录凭证尚未生效"
    if "issuer" in lowered:
        return "登录凭证不是由受信任的身份认证平台签发"
    if "audience" in lowered:
        return "登录凭证不是签发给本应用的"
    return "登录凭证内容不完整"


# ---- signing: the development identity provider and the app's own short-lived codes ----


def sign_token(claims: Mapping[str, Any], *, private_pem: bytes, algorithm: str, kid: str) -> str:
    if algorithm not in ALLOWED_ALGORITHMS:
        raise ValueError(f"refusing to sign with {algorithm}")
    return jwt.encode(dict(claims), private_pem.decode(), algorithm=algorithm, headers={"kid": kid})


def public_jwk(pem: bytes, *, algorithm: str, kid: str | None = None) -> dict[str, Any]:
    """The public half of a key (given private or public) as a JWK, for a published key set.
    Without `kid`, the key's RFC 7638 thumbprint names it, so keys rotated in and out never
    share a name."""
    key = jwk.construct(pem.decode(), algorithm).public_key().to_dict()
    members = {name: key[name] for name in sorted(key) if name in ("crv", "e", "kty", "n", "x", "y")}
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(json.dumps(
        members, separators=(",", ":")).encode()).digest()).rstrip(b"=").decode()
    return {**key, "kid": kid or f"app-{thumbprint[:12]}", "alg": algorithm, "use": "sig"}


def static_key_set(keys: list[Mapping[str, Any]]) -> KeySet:
    async def source() -> Mapping[str, Any]:
        return {"keys": keys}

    return KeySet(source)


# ---- verifying the app's own signed tokens (e-license presentations) ----

APP_TOKEN_ALGORITHMS: Mapping[str, str] = {"ES256": "EC"}  # the app signs with EC P-256 only


def verify_app_token(token: str, *, keys: Sequence[Mapping[str, Any]], issuer: str, audience: str, now: int,
                     leeway: int = 0) -> dict[str, Any]:
    """Claims of a token the app signed itself, checked against its published key set (given,
    never fetched). Pinned to ES256 before a key is chosen, like `TokenVerifier`. Expiry is
    checked here against `now` rather than inside jose, so callers decide the clock and the
    leeway, and an expired token is told apart only once its signature has verified.
    Raises TokenError with reason malformed, algorithm, unknown_key, signature or claims, and
    ExpiredAppToken (reason expired) when only the clock says no."""
    if not isinstance(token, str) or not token:
        raise TokenError("malformed", "凭证格式不正确")
    algorithm, kid = _pinned_header(token, APP_TOKEN_ALGORITHMS, what="凭证")
    key = next((k for k in keys if kid is not None and k.get("kid") == kid), None)
    _check_key(key, algorithm, APP_TOKEN_ALGORITHMS, what="凭证")
    assert key is not None
    try:
        claims = jwt.decode(
            token, dict(key), algorithms=[algorithm], audience=audience, issuer=issuer,
            # Not require_exp/require_iat: jose would then check exp itself (see below).
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require_iss": True,
                     "require_aud": True, "require_sub": True, "require_jti": True, "verify_at_hash": False},
        )
    except JWTClaimsError:
        raise TokenError("claims", "凭证不是为此用途签发的") from None
    except JWTError as error:
        if "missing required key" in str(error):
            raise TokenError("claims", "凭证内容不完整") from None
        raise TokenError("signature", "凭证签名无效") from None
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int) or not isinstance(issued, int) or issued > now + leeway:
        raise TokenError("claims", "凭证的时间信息不正确")
    if now > expires + leeway:
        raise ExpiredAppToken(claims)
    return claims


class ExpiredAppToken(TokenError):
    """An app token whose signature and claims verified, but whose time is up. It carries the
    claims, so the caller can say what was presented and when."""

    def __init__(self, claims: Mapping[str, Any]) -> None:
        super().__init__("expired", "凭证已过期")
        self.claims = dict(claims)

"""Token verification against a hostile set: every bad token is refused with a clear reason."""

from __future__ import annotations

import time
from typing import Any

import pytest

from backend.jws import KeySet, TokenError, TokenVerifier
from tests.jwt_tools import (
    b64url, ec_key, public_der, public_jwk, public_pem, rsa_key, sign, sign_hs256, unsigned,
)

ISSUER = "https://id.example.test"
AUDIENCE = "zhangshangban"
RSA = rsa_key()
EC = ec_key()
OTHER = rsa_key()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "nbf": now - 5, "exp": now + 600}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


class CountingSource:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return {"keys": [public_jwk(RSA, "rsa-1"), public_jwk(EC, "ec-1")]}


def verifier(source: CountingSource | None = None, clock: Any = time.monotonic) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=KeySet(source or CountingSource(), clock=clock))


async def test_valid_rs256_and_es256_tokens_are_accepted() -> None:
    v = verifier()
    assert (await v.verify(sign(RSA, claims(), kid="rsa-1"))).subject == "user-1"
    assert (await v.verify(sign(EC, claims(sub="user-2"), kid="ec-1"))).subject == "user-2"


async def test_clock_skew_of_up_to_a_minute_is_tolerated() -> None:
    now = int(time.time())
    token = sign(RSA, claims(exp=now - 30, nbf=now + 30), kid="rsa-1")
    assert (await verifier().verify(token)).subject == "user-1"


def _hostile() -> dict[str, tuple[str, str]]:
    now = int(time.time())
    good = sign(RSA, claims(), kid="rsa-1")
    head, body, sig = good.split(".")
    tampered_body = b64url(b'{"iss":"%s","aud":"%s","sub":"admin","exp":%d}' % (ISSUER.encode(), AUDIENCE.encode(), now + 600))
    return {
        "alg none": (unsigned(claims(), kid="rsa-1"), "algorithm"),
        "HS256 with public key PEM": (sign_hs256(public_pem(RSA), claims(), kid="rsa-1"), "algorithm"),
        "HS256 with public key DER": (sign_hs256(public_der(RSA), claims(), kid="rsa-1"), "algorithm"),
        "expired": (sign(RSA, claims(exp=now - 120, nbf=now - 600, iat=now - 600), kid="rsa-1"), "expired"),
        "not yet valid": (sign(RSA, claims(nbf=now + 300), kid="rsa-1"), "claims"),
        "wrong issuer": (sign(RSA, claims(iss="https://evil.example.test"), kid="rsa-1"), "claims"),
        "wrong audience": (sign(RSA, claims(aud="another-app"), kid="rsa-1"), "claims"),
        "no expiry": (sign(RSA, claims(exp=None), kid="rsa-1"), "claims"),
        "unknown kid": (sign(OTHER, claims(), kid="rotated-away"), "unknown_key"),
        "known kid, foreign key": (sign(OTHER, claims(), kid="rsa-1"), "signature"),
        "RS256 header on the EC key": (sign(RSA, claims(), kid="ec-1"), "algorithm"),
        "tampered payload": (f"{head}.{tampered_body}.{sig}", "signature"),
        "garbage": ("not.a.jwt", "malformed"),
        "empty": ("", "missing"),
        "1 MB token": ("e" * 1_000_000, "malformed"),
    }


@pytest.mark.parametrize("case", list(_hostile()))
async def test_hostile_tokens_are_refused(case: str) -> None:
    token, reason = _hostile()[case]
    with pytest.raises(TokenError) as caught:
        await verifier().verify(token)
    assert caught.value.reason == reason, caught.value.message


async def test_messages_say_what_is_wrong() -> None:
    hostile = _hostile()
    expected = {
        "expired": "登录已过期，请重新登录",
        "not yet valid": "登录凭证尚未生效",
        "wrong issuer": "登录凭证不是由受信任的身份认证平台签发",
        "wrong audience": "登录凭证不是签发给本应用的",
    }
    for case, message in expected.items():
        with pytest.raises(TokenError) as caught:
            await verifier().verify(hostile[case][0])
        assert caught.value.message == message, case


async def test_unknown_kid_refreshes_the_key_set_at_most_once_a_minute() -> None:
    source = CountingSource()
    now = [1000.0]
    v = verifier(source, clock=lambda: now[0])
    await v.verify(sign(RSA, claims(), kid="rsa-1"))
    assert source.calls == 1
    for _ in range(20):
        with pytest.raises(TokenError):
            await v.verify(sign(OTHER, claims(), kid="new-key"))
    assert source.calls == 1  # refused from cache: no flood of fetches
    now[0] += 61
    with pytest.raises(TokenError):
        await v.verify(sign(OTHER, claims(), kid="new-key"))
    assert source.calls == 2


def test_python_jose_is_imported_in_exactly_one_module() -> None:
    from backend.settings import REPO_ROOT

    importers = sorted(
        str(path.relative_to(REPO_ROOT))
        for folder in ("backend", "notifications", "bench", "tests")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if any(line.startswith(("from jose", "import jose")) for line in path.read_text(encoding="utf-8").splitlines())
    )
    assert importers == ["backend/jws.py"]

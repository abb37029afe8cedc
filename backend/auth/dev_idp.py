"""The development identity provider (APP_ENV=dev with no OIDC_ISSUER only).

A standard OIDC authorization-code + PKCE (S256) flow, so the PWA signs in exactly as it would
with the real 统一身份认证 platform: discovery, JWKS, an authorize page where a person picks a
demo persona, and a token endpoint. Codes live in memory for 60 s and are single use; expired
ones are purged whenever a new one is issued, and at most MAX_GRANTS wait at a time.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.auth.identity import DEV_IDP_KID, Identity
from backend.auth.personas import PERSONAS
from backend.jws import public_jwk, sign_token

TOKEN_SECONDS = 3600
CODE_SECONDS = 60
MAX_GRANTS = 10_000


@dataclass
class _Grant:
    persona: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


class Grants:
    """Issued authorization codes, in memory. Dicts keep insertion order and every code lives
    equally long, so the expired ones are always at the front."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._grants: dict[str, _Grant] = {}
        self._clock = clock

    def __len__(self) -> int:
        return len(self._grants)

    def issue(self, **fields: str) -> str | None:
        """A new code, or None when too many are waiting (someone is filling memory)."""
        now = self._clock()
        while self._grants and next(iter(self._grants.values())).expires < now:
            del self._grants[next(iter(self._grants))]
        if len(self._grants) >= MAX_GRANTS:
            return None
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(**fields, expires=now + CODE_SECONDS)
        return code

    def redeem(self, code: str) -> _Grant | None:
        grant = self._grants.pop(code, None)  # single use, even when refused
        return grant if grant is not None and grant.expires >= self._clock() else None


def mint_access_token(identity: Identity, *, persona: str, audience: str, seconds: int = TOKEN_SECONDS) -> str:
    now = int(time.time())
    claims = {**PERSONAS[persona].claims(), "iss": identity.issuer, "aud": audience, "iat": now, "nbf": now,
              "exp": now + seconds, "jti": secrets.token_urlsafe(8)}
    assert identity.dev_idp_pem is not None
    return sign_token(claims, private_pem=identity.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID)


def _same_origin_path(uri: str) -> bool:
    # Only redirect back into this app: an absolute path, not //host or a full URL elsewhere.
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil.com" and "/\t/evil.com"
    # are //evil.com to them; refuse backslashes, whitespace and controls, raw or %-encoded.
    if not uri.startswith("/") or len(uri) > 2048:
        return False
    for text in (uri, unquote(uri)):
        if "\\" in text or text.startswith("//") or any(ch.isspace() or not ch.isprintable() for ch in text):
            return False
    parts = urlsplit(uri)
    return not parts.scheme and not parts.netloc


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>登录失败</title><p>{html.escape(message)}</p>",
                        status_code=status)


def routes(identity: Identity, *, audience: str, grants: Grants | None = None) -> list[Route]:
    grants = grants if grants is not None else Grants()
    assert identity.dev_idp_pem is not None
    key_set = {"keys": [public_jwk(identity.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID)]}

    async def discovery(request: Request) -> JSONResponse:
        issuer = identity.issuer
        return JSONResponse({
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["none"],
        })

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(key_set)

    async def authorize(request: Request) -> Response:
        params = request.query_params if request.method == "GET" else await request.form()
        redirect_uri = str(params.get("redirect_uri", ""))
        challenge = str(params.get("code_challenge", ""))
        if params.get("response_type") != "code" or not _same_origin_path(redirect_uri):
            return _error_page("登录请求无效：回调地址必须是本应用内的路径")
        if params.get("code_challenge_method") != "S256" or len(challenge) < 43:
            return _error_page("登录请求无效：需要 PKCE（S256）")
        if request.method == "GET":
            return HTMLResponse(_login_page(dict(params)))
        persona = str(params.get("persona", ""))
        if persona not in PERSONAS:
            return _error_page("请选择一个演示身份")
        code = grants.issue(persona=persona, client_id=str(params.get("client_id", "")), redirect_uri=redirect_uri,
                            challenge=challenge)
        if code is None:
            return _error_page("登录请求过多，请稍后再试", status=503)
        query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=303)

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        grant = grants.redeem(str(form.get("code", "")))
        verifier = str(form.get("code_verifier", ""))
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not secrets.compare_digest(digest, grant.challenge) or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = mint_access_token(identity, persona=grant.persona, audience=audience)
        return JSONResponse({"access_token": access, "id_token": access, "token_type": "Bearer",
                             "expires_in": TOKEN_SECONDS}, headers={"cache-control": "no-store"})

    return [
        Route("/.well-known/openid-configuration", discovery),
        Route("/jwks.json", jwks),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
    ]


def _login_page(params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items() if k != "persona"
    )
    buttons = "".join(
        f'<button name="persona" value="{html.escape(p.key)}" data-persona="{html.escape(p.key)}">'
        f'<strong>{html.escape(p.name)}</strong><span>{html.escape(p.label)}</span></button>'
        for p in PERSONAS.values()
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>统一身份认证（开发环境）</title>
<style>body{{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f5f7fa}}
header{{background:#1b5fc1;color:#fff;padding:20px 16px}}h1{{margin:0;font-size:20px}}p{{margin:6px 0 0;font-size:13px;opacity:.9}}
form{{padding:12px}}button{{display:flex;flex-direction:column;align-items:flex-start;width:100%;margin:0 0 10px;
padding:14px 16px;border:0;border-radius:10px;background:#fff;font-size:16px;text-align:left;box-shadow:0 1px 2px #0001}}
button span{{color:#86909c;font-size:13px;margin-top:4px}}</style></head><body>
<header><h1>统一身份认证平台</h1><p>开发环境：请选择一个演示身份登录（数据均为虚构）</p></header>
<form method="post" action="authorize">{hidden}{buttons}</form></body></html>"""

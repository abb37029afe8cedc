"""The development identity provider: a standard authorization-code + PKCE flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from backend.app import create_app
from backend.auth import dev_idp
from backend.settings import Settings
from tests.helpers import gql


@pytest.fixture
async def dev_client(settings: Settings, app: Starlette, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dev = create_app(replace(settings, app_env="dev", oidc_issuer=None, data_dir=tmp_path,
                             public_url="http://dev.test"))
    dev.state.bus = app.state.bus
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev), base_url="http://dev.test") as http:
        yield http


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "zhangshangban-pwa", "redirect_uri": "/auth/callback",
            "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256", **overrides}


async def _code(client: httpx.AsyncClient, challenge: str, persona: str = "citizen") -> str:
    response = await client.post("/dev-idp/authorize", data={**authorize_params(challenge), "persona": persona})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/callback"
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


async def test_discovery_and_login_page(dev_client: httpx.AsyncClient) -> None:
    discovery = (await dev_client.get("/dev-idp/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == "http://dev.test/dev-idp"
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert (await dev_client.get("/dev-idp/jwks.json")).json()["keys"][0]["alg"] == "RS256"
    page = await dev_client.get("/dev-idp/authorize", params=authorize_params(pkce()[1]))
    assert page.status_code == 200
    for persona in ("citizen", "citizen2", "enterprise-legal", "enterprise-agent", "staff", "supervisor"):
        assert f'data-persona="{persona}"' in page.text
    config = (await dev_client.get("/auth/config")).json()
    assert config["authorizationEndpoint"] == "/dev-idp/authorize"


async def test_code_exchange_with_pkce_signs_the_person_in(dev_client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await _code(dev_client, challenge, persona="citizen2")
    wrong = await dev_client.post("/dev-idp/token", data={"grant_type": "authorization_code", "code": code,
                                                          "code_verifier": "x" * 50, "redirect_uri": "/auth/callback"})
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    # A refused attempt burns the code: it is single use whatever happened.
    again = await dev_client.post("/dev-idp/token", data={"grant_type": "authorization_code", "code": code,
                                                          "code_verifier": verifier, "redirect_uri": "/auth/callback"})
    assert again.status_code == 400

    verifier, challenge = pkce()
    code = await _code(dev_client, challenge, persona="citizen2")
    tokens = (await dev_client.post("/dev-idp/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": "/auth/callback"})).json()
    me = await gql(dev_client, "{ me { name } }", headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["data"]["me"]["name"] == "李娜"


@pytest.mark.parametrize("redirect", [
    "https://evil.example/cb", "//evil.example/cb", "javascript:alert(1)",
    # Browsers read a backslash as a slash and drop tabs and newlines: all of these are //evil.example.
    "/\\evil.example", "/\\/evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "/%5Cevil.example", "/%5C%5Cevil.example", "/%2F/evil.example", "/%09/evil.example", " //evil.example",
    "/ /evil.example",
])
async def test_no_open_redirect(dev_client: httpx.AsyncClient, redirect: str) -> None:
    response = await dev_client.post("/dev-idp/authorize", data={
        **authorize_params(pkce()[1], redirect_uri=redirect), "persona": "citizen"})
    assert response.status_code == 400
    assert "回调地址必须是本应用内的路径" in response.text


async def test_pkce_is_required(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/dev-idp/authorize", params=authorize_params("short", code_challenge_method="plain"))
    assert response.status_code == 400
    assert "需要 PKCE（S256）" in response.text


async def test_no_dev_provider_outside_dev(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dev-idp/.well-known/openid-configuration")).status_code in (404, 503)


def test_expired_codes_are_purged_and_waiting_codes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    grants = dev_idp.Grants(clock=lambda: now[0])
    fields = {"persona": "citizen", "client_id": "c", "redirect_uri": "/auth/callback", "challenge": "x" * 43}
    stale = grants.issue(**fields)
    now[0] += dev_idp.CODE_SECONDS + 1
    fresh = grants.issue(**fields)
    assert len(grants) == 1  # the expired code went when the next one was issued
    assert stale is not None and grants.redeem(stale) is None
    assert fresh is not None and grants.redeem(fresh) is not None and grants.redeem(fresh) is None

    monkeypatch.setattr(dev_idp, "MAX_GRANTS", 2)
    assert grants.issue(**fields) and grants.issue(**fields)
    assert grants.issue(**fields) is None and len(grants) == 2
    now[0] += dev_idp.CODE_SECONDS + 1
    assert grants.issue(**fields) is not None and len(grants) == 1

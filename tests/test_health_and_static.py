from __future__ import annotations

import re
import httpx

from backend.settings import REPO_ROOT

BUILT = (REPO_ROOT / "frontend" / "static" / "index.html").exists()


async def test_healthz_reports_database_and_bus(client: httpx.AsyncClient, app: object) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["bus"]["ok"] is True
    assert response.headers["cache-control"] == "no-store"


async def test_pwa_shell_routes_and_headers(client: httpx.AsyncClient) -> None:
    if not BUILT:
        response = await client.get("/")
        assert response.status_code == 503 and "make run" in response.text
        return
    index = await client.get("/")
    assert index.status_code == 200 and "<div id=\"app\"" in index.text
    assert index.headers["cache-control"] == "no-cache"
    deep_link = await client.get("/items/61010102006")
    assert deep_link.status_code == 200 and deep_link.text == index.text
    sw = await client.get("/sw.js")
    assert sw.status_code == 200
    assert sw.headers["service-worker-allowed"] == "/"
    assert sw.headers["cache-control"] == "no-cache"
    assert (await client.get("/assets/missing.js")).status_code == 404


async def test_auth_config_and_published_keys(client: httpx.AsyncClient) -> None:
    config = (await client.get("/auth/config")).json()
    assert config == {"issuer": "https://id.test.invalid", "clientId": "zhangshangban-pwa", "scope": "openid profile"}
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert [(k["kty"], k["alg"]) for k in keys] == [("EC", "ES256")]
    assert re.fullmatch(r"app-[A-Za-z0-9_-]{12}", keys[0]["kid"])  # the key's RFC 7638 thumbprint
    assert "d" not in keys[0]  # never the private part

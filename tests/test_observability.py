"""What an operator relies on: X-Forwarded-* believed only from TRUSTED_PROXIES, /healthz and
/readyz apart, /metrics in Prometheus format for METRICS_ALLOW_IPS only, JSON logs carrying the
request id nginx sends (or one made here)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend import app as app_module
from backend.app import create_app
from backend.auth.identity import Identity
from backend.migrations_runner import pending_migrations
from backend.observability import JsonFormatter
from backend.settings import Settings, SettingsError, load_settings
from tests.conftest import _test_env


async def _echo(request: Request) -> JSONResponse:
    client = request.client
    return JSONResponse({"client": client.host if client else None, "scheme": request.url.scheme})


@pytest.fixture
async def proxied(data_dir: Path, identity: Identity) -> AsyncIterator[Starlette]:
    """The app behind a proxy at 10.0.0.5 only (no lifespan: the echo route needs none)."""
    settings = load_settings({**_test_env(data_dir), "TRUSTED_PROXIES": "10.0.0.5"})
    application = create_app(settings, identity=identity)
    application.router.routes.insert(0, Route("/_echo", _echo))
    yield application


async def _get(app: Starlette, client: tuple[str, int], path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get(path, headers=headers)


FORWARDED = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}


async def test_forwarded_headers_are_believed_from_the_configured_proxy(proxied: Starlette) -> None:
    response = await _get(proxied, ("10.0.0.5", 4000), "/_echo", **FORWARDED)
    assert response.json() == {"client": "203.0.113.7", "scheme": "https"}


async def test_forwarded_headers_from_anyone_else_are_ignored(proxied: Starlette) -> None:
    response = await _get(proxied, ("198.51.100.2", 4000), "/_echo", **FORWARDED)
    assert response.json() == {"client": "198.51.100.2", "scheme": "http"}
    # The default trusts only loopback: a local nginx in front works without configuration.
    assert load_settings({}).trusted_proxies == ("127.0.0.1", "::1")


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert load_settings({"TRUSTED_PROXIES": "172.30.0.10, 10.0.0.0/8"}).trusted_proxies == ("172.30.0.10", "10.0.0.0/8")
    assert load_settings({"TRUSTED_PROXIES": "*"}).trusted_proxies == ("*",)
    with pytest.raises(SettingsError) as caught:
        load_settings({"TRUSTED_PROXIES": "nginx"})
    assert str(caught.value) == "TRUSTED_PROXIES must list IP addresses or networks (or *), got 'nginx'"
    with pytest.raises(SettingsError) as caught:
        load_settings({"METRICS_ALLOW_IPS": "10.0.0.0/33"})
    assert str(caught.value) == "METRICS_ALLOW_IPS must list IP addresses or networks (or *), got '10.0.0.0/33'"
    with pytest.raises(SettingsError) as caught:
        load_settings({"LOG_FORMAT": "xml"})
    assert str(caught.value) == "LOG_FORMAT must be one of text, json, got 'xml'"
    assert load_settings({}).log_format == "text"


async def test_healthz_is_liveness_and_readyz_checks_database_redis_and_migrations(
    client: httpx.AsyncClient, app: Starlette, settings: Settings,
) -> None:
    assert await pending_migrations(settings) == []
    live = await client.get("/healthz")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["database"] == {"ok": True}
    assert body["redis"]["ok"] is True and body["migrations"] == {"ok": True, "pending": []}
    assert ready.headers["cache-control"] == "no-store"


async def test_readyz_is_not_ready_while_migrations_are_pending(
    client: httpx.AsyncClient, app: Starlette, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def behind(_settings: Settings) -> list[str]:
        return ["models.0099_future"]

    monkeypatch.setattr(app_module, "pending_migrations", behind)
    monkeypatch.setattr(app.state, "migrations_at_head", False, raising=False)
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert ready.json()["migrations"] == {"ok": False, "pending": ["models.0099_future"]}
    # Liveness does not care: restarting the instance would not help.
    assert (await client.get("/healthz")).status_code == 200


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in metric for k, v in labels.items()):
            return float(value)
    return None


async def test_metrics_count_operations_by_name_and_describe_the_process(
    client: httpx.AsyncClient, app: Starlette,
) -> None:
    for query in ("{ serviceItems(first: 1) { totalCount } }", "query Guide { departments { name } }"):
        assert (await client.post("/graphql", json={"query": query})).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert (_sample(text, "zsb_graphql_operations_total", operation="serviceItems", type="query", outcome="ok")
            or 0) >= 1
    assert (_sample(text, "zsb_graphql_operations_total", operation="Guide", type="query", outcome="ok") or 0) >= 1
    assert (_sample(text, "zsb_graphql_operation_seconds_count", operation="Guide", type="query") or 0) >= 1
    assert (_sample(text, "zsb_http_requests_total", route="/graphql", method="POST", status="200") or 0) >= 2
    for name, labels in [("zsb_websocket_connections", {}), ("zsb_subscriptions", {"feed": "case_progress"}),
                         ("zsb_feed_lag_rows", {"feed": "inbox"}), ("zsb_job_queue_depth", {}),
                         ("zsb_push_sent_total", {}), ("zsb_push_failed_total", {}), ("zsb_push_retried_total", {})]:
        assert _sample(text, name, **labels) is not None, name
    if app.state.settings.database_kind == "postgres":  # SQLite has one connection, no pool
        assert (_sample(text, "zsb_db_pool_connections", state="max") or 0) >= 1
        assert _sample(text, "zsb_db_pool_connections", state="in_use") is not None


async def test_metrics_only_for_the_configured_addresses(app: Starlette) -> None:
    assert (await _get(app, ("198.51.100.2", 4000), "/metrics")).status_code == 403
    # A forwarded request is not a scrape, even from an allowed proxy, and a spoofed
    # X-Forwarded-For from outside changes nothing.
    assert (await _get(app, ("127.0.0.1", 4000), "/metrics", **FORWARDED)).status_code == 403
    spoofed = await _get(app, ("198.51.100.2", 4000), "/metrics", **{"x-forwarded-for": "127.0.0.1"})
    assert spoofed.status_code == 403


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("backend.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_json_logs_carry_the_request_id_nginx_sends(client: httpx.AsyncClient, json_lines: io.StringIO) -> None:
    response = await client.get("/auth/config", headers={"x-request-id": "nginx-3f2a9c1e77"})
    assert response.headers["x-request-id"] == "nginx-3f2a9c1e77"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "nginx-3f2a9c1e77"
    assert (line["logger"], line["method"], line["path"], line["status"]) == ("backend.access", "GET", "/auth/config", 200)
    assert line["level"] == "INFO" and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])


async def test_a_request_without_a_usable_id_gets_one(client: httpx.AsyncClient, json_lines: io.StringIO) -> None:
    made = (await client.get("/auth/config")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    replaced = (await client.get("/auth/config", headers={"x-request-id": "bad id\twith spaces"})).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced) and replaced != made
    ids = [json.loads(line)["request_id"] for line in json_lines.getvalue().splitlines()]
    assert ids == [made, replaced]


def test_the_worker_serves_push_metrics_on_its_own_port(settings: Settings) -> None:
    """`python -m backend worker` has no web server: WORKER_METRICS_PORT gives Prometheus the
    push counters it keeps, for METRICS_ALLOW_IPS only (127.0.0.1 here)."""
    import socket
    from dataclasses import replace

    from backend.observability import serve_worker_metrics

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_worker_metrics(replace(settings, worker_metrics_port=port, host="127.0.0.1"))
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        for counter in ("zsb_push_sent_total", "zsb_push_failed_total", "zsb_push_expired_total",
                        "zsb_push_retried_total"):
            assert re.search(rf"^{counter} \d", answer.text, flags=re.M), counter
        assert httpx.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()

"""Shared fixtures. The suite runs on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL
are set (as .ci/run does) and on an embedded SQLite file with the in-process bus otherwise."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.app import create_app
from backend.auth.dev_idp import mint_access_token
from backend.auth.identity import DEV_IDP_KID, Identity, build_identity
from backend.jws import TokenVerifier, public_jwk, static_key_set
from backend.keys import load_keys, new_test_secrets
from backend.migrations_runner import apply_migrations
from backend.seed import seed_demo_data
from backend.settings import REPO_ROOT, Settings, load_settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql://"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = "PostgreSQL" if ON_POSTGRES else "SQLite (embedded)"
    bus = "Redis" if TEST_REDIS_URL else "in-process bus"
    return [f"zhangshangban: database={db}, bus={bus}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (SQLite hides races)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)


_SECRETS = new_test_secrets()
TEST_ISSUER = "https://id.test.invalid"


def _test_env(data_dir: Path) -> dict[str, str]:
    # Supervision runs when a test calls it; the feed re-reads often so a lost bus message costs little.
    env = {"APP_ENV": "test", "DATA_DIR": str(data_dir), "OIDC_ISSUER": TEST_ISSUER, **_SECRETS,
           "SUPERVISION_INTERVAL_SECONDS": "0", "BOOKING_JOB_INTERVAL_SECONDS": "0", "FEED_POLL_MS": "500",
           # Pushes go to the local stand-in (tests/push_service.py) and retry quickly; the worker
           # runs in the app, on Redis streams when TEST_REDIS_URL is set.
           "WORKER_MODE": "inprocess", "PUSH_ENDPOINT_HOSTS": "127.0.0.1", "PUSH_TIMEOUT_MS": "1000",
           "PUSH_RETRY_BASE_MS": "20", "PUSH_RETRY_MAX_WAIT_SECONDS": "2",
           # The personas make hundreds of mutations and uploads a minute across the suite: the
           # rate limits and the daily upload quota are tested with their own settings
           # (tests/test_rate_limits.py, tests/test_uploads_limits.py), and off for the rest.
           "RATE_LIMIT_MUTATIONS_PER_TOKEN": "0", "RATE_LIMIT_MUTATIONS_PER_ADDRESS": "0",
           "RATE_LIMIT_UPLOADS_PER_TOKEN": "0", "RATE_LIMIT_UPLOADS_PER_ADDRESS": "0",
           "UPLOAD_DAILY_FILES": "1000000",
           # Factories bulk-create catalog rows (no row signals): the server's public response
           # cache is tested with its own settings (tests/test_public_cache.py), off for the rest.
           "PUBLIC_RESPONSE_CACHE_ENTRIES": "0"}
    if TEST_DATABASE_URL:
        env["DATABASE_URL"] = TEST_DATABASE_URL
    if TEST_REDIS_URL:
        env["REDIS_URL"] = TEST_REDIS_URL
    return env


async def _reset_postgres(url: str) -> None:
    """Start from an empty schema, so migrations are tested from zero on every run."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session", autouse=True)
def session_log(data_dir: Path) -> Iterator[Path]:
    """Every log record of the session at INFO and above, as `serve` logs them, in
    DATA_DIR/session.log: tests/test_zz_secrets_scan.py reads it for numbers and tokens."""
    path = data_dir / "session.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    root.addHandler(handler)
    yield path
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return load_settings(_test_env(data_dir))


@pytest.fixture(scope="session")
def identity(settings: Settings) -> Identity:
    """The app's identity wiring with a test provider: tokens are minted by the same code as
    the development provider's, with a key made for this run."""
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    keys = load_keys(settings)
    built = build_identity(settings, keys)
    built.verifier = TokenVerifier(
        issuer=TEST_ISSUER, audience=settings.oidc_audience,
        keys=static_key_set([public_jwk(pem, algorithm="RS256", kid=DEV_IDP_KID)]),
    )
    built.dev_idp_pem = pem
    return built


@pytest.fixture(scope="session")
def token(identity: Identity, settings: Settings) -> Callable[..., str]:
    def make(persona: str, *, seconds: int = 600) -> str:
        return mint_access_token(identity, persona=persona, audience=settings.oidc_audience, seconds=seconds)

    return make


@pytest.fixture(scope="session")
async def app(settings: Settings, identity: Identity) -> AsyncIterator[Starlette]:
    """The app with its lifespan running (ORM initialised, bus connected) on a migrated,
    seeded database. Tests use the ORM directly too."""
    if settings.database_kind == "postgres":
        await _reset_postgres(settings.database_url)
    await apply_migrations(settings)
    application = create_app(settings, identity=identity)
    async with application.router.lifespan_context(application):
        await seed_demo_data()
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_RESET_LIVE_DB = """
import asyncio, sys, asyncpg
async def main(admin, name):
    conn = await asyncpg.connect(admin)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(admin.rsplit("/", 1)[0] + "/" + name)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _live_database_url() -> str | None:
    """On PostgreSQL the live server gets a sibling database, emptied, so it never races the
    in-process tests' schema resets. Prepared in a subprocess: the sync Playwright loop may
    already be running in this thread."""
    if not ON_POSTGRES:
        return None
    url = TEST_DATABASE_URL.replace("postgresql://", "postgres://", 1)
    base, name = url.rsplit("/", 1)
    live_name = f"{name}_live"
    admin = url.replace("postgres://", "postgresql://", 1)
    subprocess.run([sys.executable, "-c", _RESET_LIVE_DB, admin, live_name], check=True)
    return f"{base}/{live_name}"


# The live server's environment, for tests that must reach its database (tests/browser/helpers.py
# `on_live_server`): set by the fixture below.
LIVE_ENV: dict[str, str] = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process serving the built PWA on 127.0.0.1 with migrated, seeded demo
    data, for browser tests."""
    if not (REPO_ROOT / "frontend" / "static" / "index.html").exists():
        pytest.fail("the front end is not built: run `make frontend` (make test does it)")
    data = tmp_path_factory.mktemp("live")
    port = _free_port()
    # The live server is a dev server: its built-in identity provider signs the browser in.
    env = {**os.environ, **_test_env(data), "APP_ENV": "dev", "HOST": "127.0.0.1", "PORT": str(port),
           "LOG_LEVEL": "WARNING", "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    env.pop("OIDC_ISSUER")
    live_db = _live_database_url()
    if live_db:
        env["DATABASE_URL"] = live_db
    LIVE_ENV.clear()
    LIVE_ENV.update(env)
    python = sys.executable
    for command in ("migrate", "seed"):
        subprocess.run([python, "-m", "backend", command], env=env, cwd=REPO_ROOT, check=True,
                       capture_output=True)
    log = (data / "server.log").open("w")
    process = subprocess.Popen([python, "-m", "backend", "serve"], env=env, cwd=REPO_ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine has taken over 30 s to import and migrate
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"live server did not start:\n{(data / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
async def ws_url(app: Starlette) -> AsyncIterator[str]:
    """A real server for WebSocket tests, in the test loop, sharing the ORM the `app` fixture set up."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task

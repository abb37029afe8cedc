"""Driving real app processes as people do: start and stop servers (and a private Redis), mint
development tokens, submit and move a case over HTTP, follow `caseProgress` over
graphql-transport-ws. Shared by bench/case_progress.py and tests/test_multi_instance.py.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

REPO = Path(__file__).resolve().parent.parent
ITEM_CODE = "61010102006"  # 教师资格认定: handled by department D02, the `staff` persona's
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Variables the app reads (backend/settings.py): never inherited from the caller's shell, so a
# developer's REDIS_URL or OIDC_ISSUER cannot leak into a measured or tested process.
_APP_VARIABLES = (
    "APP_ENV", "HOST", "PORT", "DATA_DIR", "DATABASE_URL", "REDIS_URL", "STATIC_DIR", "LOG_LEVEL",
    "CATALOG_CACHE_SECONDS", "UPLOAD_MAX_BYTES", "DEFICIENCY_SUPPLEMENT_DAYS", "SUPERVISION_WARN_PERCENT",
    "SUPERVISION_INTERVAL_SECONDS", "FEED_POLL_MS", "OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL",
    "OIDC_CLIENT_ID", "PUBLIC_URL", "PII_ENCRYPTION_KEY", "PII_INDEX_KEY", "APP_SIGNING_KEY",
    "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "PUSH_ENDPOINT_HOSTS", "PUSH_TIMEOUT_MS", "PUSH_MAX_ATTEMPTS",
    "PUSH_RETRY_BASE_MS", "PUSH_RETRY_MAX_WAIT_SECONDS", "WORKER_MODE",
    "GRAPHQL_MAX_REQUEST_BYTES", "GRAPHQL_MAX_TOKENS", "GRAPHQL_MAX_DEPTH", "GRAPHQL_MAX_ALIASES", "GRAPHQL_MAX_COST",
    "GRAPHQL_MAX_FRAGMENT_SPREADS", "GRAPHQL_MAX_REPEATED_FIELDS",
    "TRUSTED_PROXIES", "METRICS_ALLOW_IPS", "LOG_FORMAT", "SHUTDOWN_GRACE_SECONDS", "WORKER_METRICS_PORT",
    "PII_PREVIOUS_ENCRYPTION_KEYS",
)

SUBMIT = """mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
  __typename ... on ApplicationSubmitted { case { number status events { cursor kind } } }
  ... on MaterialsMissingError { code message } ... on InputError { code message }
  ... on NotPermittedError { code message } ... on NotFoundError { code message } } }"""
FORM = """query($code: String!) { applicationForm(itemCode: $code) {
  online materials { materialId required acceptsFields } } }"""
CASE_EVENTS = "query($n: String!) { case(number: $n) { status events { id cursor kind status at } } }"
SUBSCRIBE = """subscription($after: String, $case: String) {
  caseProgress(after: $after, caseNumber: $case) { id cursor caseNumber kind status at } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BENCH_UNLIMITED = ("RATE_LIMIT_MUTATIONS_PER_TOKEN", "RATE_LIMIT_MUTATIONS_PER_ADDRESS", "RATE_LIMIT_UPLOADS_PER_TOKEN",
                   "RATE_LIMIT_UPLOADS_PER_ADDRESS", "UPLOAD_DAILY_FILES", "UPLOAD_DAILY_BYTES")


def app_env(*, data_dir: Path, database_url: str, port: int, redis_url: str | None = None,
            public_url: str | None = None, feed_poll_ms: int = 5000, **extra: str) -> dict[str, str]:
    """A development server's environment: the built-in identity provider signs the personas in.
    Instances meant to accept each other's tokens need the same DATA_DIR (the generated keys) and
    the same PUBLIC_URL (the dev provider's issuer is derived from it, else from HOST:PORT)."""
    env = {k: v for k, v in os.environ.items() if k not in _APP_VARIABLES}
    env |= {"APP_ENV": "dev", "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "SUPERVISION_INTERVAL_SECONDS": "0",
            "FEED_POLL_MS": str(feed_poll_ms), "PUBLIC_URL": public_url or f"http://127.0.0.1:{port}",
            # Benchmarks measure throughput, not the guards against one person flooding it.
            **{name: "0" for name in BENCH_UNLIMITED}, **extra}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def run_cli(env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "backend", *args], env=dict(env), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"`python -m backend {' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def start_server(env: Mapping[str, str], log_path: Path, *, repo: Path = REPO,
                 command: tuple[str, ...] = ("-m", "backend", "serve")) -> subprocess.Popen[bytes]:
    """`python -m backend serve`: one uvicorn worker, output appended to `log_path`. `repo` may
    be another checkout (a "before" row served by the code of another commit)."""
    log = log_path.open("ab")
    try:
        return subprocess.Popen([sys.executable, *command], env=dict(env), cwd=repo, stdout=log,
                                stderr=subprocess.STDOUT)
    finally:
        log.close()  # the child holds its own descriptor


async def wait_healthy(base: str, process: subprocess.Popen[bytes], *, log_path: Path | None = None,
                       timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            if process.poll() is not None or time.monotonic() > deadline:
                text = log_path.read_text(errors="replace")[-4000:] if log_path and log_path.exists() else ""
                raise RuntimeError(f"{base} did not become healthy (exit {process.poll()}):\n{text}")
            await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes] | None, *, timeout: float = 10.0) -> None:
    """Terminate, then kill: a process that ignores SIGTERM must not outlive the run."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_redis(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """A private, memory-only redis-server: the caller may kill it without touching anyone else's."""
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


async def wait_redis(port: int, process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1)
            writer.write(b"PING\r\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 1)
            writer.close()
            if line.startswith(b"+PONG"):
                return
        except (OSError, asyncio.TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server on port {port} did not start (exit {process.poll()})")
        await asyncio.sleep(0.05)


def mint_tokens(env: Mapping[str, str], personas: Sequence[str], *, seconds: int = 3600) -> dict[str, str]:
    """Tokens from the development identity provider, minted exactly as `python -m backend
    dev-token PERSONA` does (without a process start per persona). Creates the dev keys under
    DATA_DIR/secrets if they are missing, so call it before starting the servers."""
    from backend.auth.dev_idp import mint_access_token
    from backend.auth.identity import build_identity
    from backend.keys import load_keys
    from backend.settings import load_settings

    settings = load_settings(dict(env))
    identity = build_identity(settings, load_keys(settings))
    return {p: mint_access_token(identity, persona=p, audience=settings.oidc_audience, seconds=seconds)
            for p in personas}


class GraphQLError(AssertionError):
    pass


@dataclass
class Api:
    """GraphQL over HTTP against one instance."""

    base: str
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=20))

    async def close(self) -> None:
        await self.http.aclose()

    async def gql(self, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(f"{self.base}/graphql", json={"query": query, "variables": variables or {}},
                                        headers={"authorization": f"Bearer {token}",
                                                 "accept": "application/graphql-response+json"})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLError(f"{response.status_code}: {body}")
        return body["data"]

    async def upload(self, token: str) -> str:
        response = await self.http.post(f"{self.base}/uploads", params={"filename": "材料.pdf"}, content=PDF,
                                        headers={"authorization": f"Bearer {token}", "content-type": "application/pdf"})
        if response.status_code != 201:
            raise GraphQLError(f"upload: {response.status_code} {response.text}")
        return str(response.json()["id"])

    async def materials(self, token: str, *, item_code: str = ITEM_CODE) -> list[dict[str, Any]]:
        """Every required material of the form, provided (fields where a blank form exists, else
        an uploaded PDF), so the case can go all the way to approval."""
        form = (await self.gql(token, FORM, {"code": item_code}))["applicationForm"]
        assert form["online"], form
        given: list[dict[str, Any]] = []
        for material in form["materials"]:
            if not material["required"]:
                continue
            if material["acceptsFields"]:
                given.append({"materialId": material["materialId"], "fields": [{"name": "内容", "value": "已填写"}]})
            else:
                given.append({"materialId": material["materialId"], "uploadIds": [await self.upload(token)]})
        return given

    async def submit_case(self, token: str, *, item_code: str = ITEM_CODE) -> dict[str, Any]:
        data = await self.gql(token, SUBMIT, {"input": {
            "itemCode": item_code, "materials": await self.materials(token, item_code=item_code),
            "idempotencyKey": uuid.uuid4().hex}})
        result = data["submitApplication"]
        if result["__typename"] != "ApplicationSubmitted":
            raise GraphQLError(f"submitApplication: {result}")
        return result["case"]

    async def move(self, token: str, mutation: str, number: str, **arguments: str) -> str:
        """One staff transition, e.g. move(t, "acceptCase", n) or move(t, "deliverCase", n, method="WINDOW").
        Returns the case's new status."""
        extra = "".join(f", {name}: {value}" for name, value in arguments.items())
        data = await self.gql(token, f"""mutation($n: String!) {{ {mutation}(number: $n{extra}) {{
            __typename ... on CaseUpdated {{ case {{ status }} }}
            ... on InvalidTransitionError {{ code message }} ... on NotPermittedError {{ code message }}
            ... on NotFoundError {{ code message }} ... on InputError {{ code message }} }} }}""", {"n": number})
        result = data[mutation]
        if result["__typename"] != "CaseUpdated":
            raise GraphQLError(f"{mutation}: {result}")
        return str(result["case"]["status"])

    async def events(self, token: str, number: str) -> list[dict[str, Any]]:
        return list((await self.gql(token, CASE_EVENTS, {"n": number}))["case"]["events"])


@dataclass
class Received:
    at: float  # time.time() when the message was read off the socket
    event: dict[str, Any]


class Subscription:
    """One graphql-transport-ws connection carrying one `caseProgress` operation."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.received: asyncio.Queue[Received] = asyncio.Queue()
        self.errors: list[Any] = []
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, token: str, *, timeout: float = 10.0, deflate: bool = True) -> Subscription:
        """An acknowledged connection (connection_init with the token), no operation yet. Like
        browsers, it offers permessage-deflate unless `deflate` is false."""
        ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=timeout,
                                      max_size=2**20, ping_interval=None,
                                      compression="deflate" if deflate else None)
        try:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            if ack.get("type") != "connection_ack":
                raise GraphQLError(f"connection_init answered {ack}")
        except BaseException:
            await ws.close()
            raise
        connection = cls(ws)
        connection._reader = asyncio.create_task(connection._read())
        return connection

    async def subscribe(self, *, after: str | None = None, case_number: str | None = None) -> None:
        await self.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIBE, "variables": {"after": after, "case": case_number}}}))

    @classmethod
    async def open(cls, url: str, token: str, *, after: str | None = None, case_number: str | None = None,
                   timeout: float = 10.0) -> Subscription:
        connection = await cls.connect(url, token, timeout=timeout)
        try:
            await connection.subscribe(after=after, case_number=case_number)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.time()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(payload["errors"])
                    else:
                        self.received.put_nowait(Received(now, payload["data"]["caseProgress"]))
                elif kind == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                elif kind in ("error", "complete"):
                    self.errors.append(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def next(self, timeout: float) -> Received:
        return await asyncio.wait_for(self.received.get(), timeout)

    async def take(self, count: int, timeout: float) -> list[Received]:
        """Exactly `count` further events, waiting at most `timeout` seconds for all of them."""
        deadline = time.monotonic() + timeout
        got: list[Received] = []
        while len(got) < count:
            left = deadline - time.monotonic()
            try:
                got.append(await self.next(max(left, 0.001)))
            except asyncio.TimeoutError:
                kinds = [r.event["kind"] for r in got]
                raise AssertionError(f"got {kinds} within {timeout}s, expected {count} events; "
                                     f"errors={self.errors}") from None
        return got

    def pending(self) -> list[Received]:
        """What has arrived and not been taken yet (to prove there is no duplicate)."""
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


async def reset_postgres(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: BENCH_DATABASE_URL must name a *bench* database")
    plain = base.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(f"{plain}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(f"{plain}/{name}")
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def bench_stores(data: Path) -> tuple[str, str | None, subprocess.Popen[bytes] | None]:
    """The database and Redis a bench runs on: BENCH_DATABASE_URL (a PostgreSQL database whose
    name contains "bench", created if missing and EMPTIED) or a fresh SQLite file under `data`;
    BENCH_REDIS_URL, or `private` for a memory-only redis-server on a free port (the caller
    stops the returned process), or none (the in-process bus)."""
    database = os.environ.get("BENCH_DATABASE_URL", "").replace("postgresql://", "postgres://", 1)
    redis_setting = os.environ.get("BENCH_REDIS_URL", "")
    if database:
        await reset_postgres(database)
    else:
        database = f"sqlite://{data / 'bench.sqlite3'}"
    if redis_setting != "private":
        return database, redis_setting or None, None
    port = free_port()
    process = start_redis(port, data / "redis.log")
    await wait_redis(port, process)
    return database, f"redis://127.0.0.1:{port}/0", process

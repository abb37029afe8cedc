"""A cluster for fault tests: two real app processes (`python -m backend serve`) on a private
sibling of TEST_DATABASE_URL (`<name>_multi`, dropped and recreated), and a private redis-server
on its own port that can be killed and brought back without touching anybody else's. Shared by
tests/test_multi_instance.py and tests/test_faults.py."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from bench.live_cases import Api, app_env, free_port, mint_tokens, run_cli, start_redis, start_server, stop, wait_healthy, wait_redis


def database_urls() -> tuple[str, str]:
    """(our private database, the maintenance database to create it from)"""
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgres://", 1)
    base, name = url.rsplit("/", 1)
    return f"{base}/{name}_multi", f"{base}/postgres"


async def _recreate_database(url: str, admin: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    try:
        # FORCE: a server left over from an interrupted run must not keep the database open.
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@dataclass
class Redis:
    """A private redis-server that can be killed and brought back on the same port."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = start_redis(self.port, self.log)
        await wait_redis(self.port, self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[Redis]:
    redis = Redis(port=free_port(), log=tmp_path / "redis.log")
    try:
        await redis.start()
        yield redis
    finally:
        redis.stop()


@dataclass
class Cluster:
    a: str  # base URLs of the two instances
    b: str
    a_spawned: float  # time.monotonic() when A's process was started
    tokens: dict[str, str]
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # instance A's environment (for a worker, the CLI)
    database_url: str = ""
    logs: list[Path] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)

    def api(self, base: str) -> Api:
        self.apis.append(Api(base))
        return self.apis[-1]

    @staticmethod
    def ws(base: str) -> str:
        return base.replace("http://", "ws://") + "/graphql"


@contextlib.asynccontextmanager
async def start_cluster(tmp_path: Path, redis: Redis, *, feed_poll_ms: int,
                        extra: dict[str, str] | None = None) -> AsyncIterator[Cluster]:
    database_url, admin_url = database_urls()
    await _recreate_database(database_url, admin_url)
    port_a, port_b = free_port(), free_port()
    # One DATA_DIR (the generated dev keys) and one PUBLIC_URL (the dev provider's issuer): the
    # instances stand behind one address, as behind a load balancer, and accept the same tokens.
    common = {"data_dir": tmp_path / "data", "database_url": database_url, "redis_url": redis.url,
              "public_url": f"http://127.0.0.1:{port_a}", "feed_poll_ms": feed_poll_ms, **(extra or {})}
    env_a, env_b = app_env(port=port_a, **common), app_env(port=port_b, **common)
    tokens = mint_tokens(env_a, ["citizen", "staff"])  # before the servers: it writes the dev keys
    run_cli(env_a, "migrate")
    run_cli(env_a, "seed")
    servers: list[subprocess.Popen[bytes]] = []
    cluster: Cluster | None = None
    try:
        servers.append(start_server(env_a, tmp_path / "a.log"))
        a_spawned = time.monotonic()
        servers.append(start_server(env_b, tmp_path / "b.log"))
        cluster = Cluster(a=f"http://127.0.0.1:{port_a}", b=f"http://127.0.0.1:{port_b}", a_spawned=a_spawned,
                          tokens=tokens, servers=servers, env=env_a, database_url=database_url,
                          logs=[tmp_path / "a.log", tmp_path / "b.log"])
        await wait_healthy(cluster.a, servers[0], log_path=tmp_path / "a.log", timeout=90)
        await wait_healthy(cluster.b, servers[1], log_path=tmp_path / "b.log", timeout=90)
        yield cluster
    finally:
        for api in cluster.apis if cluster else []:
            await api.close()
        for process in servers:
            stop(process)



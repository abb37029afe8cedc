"""Faults, on PostgreSQL + Redis, each checked for "nothing lost, nothing repeated": Redis killed
and restarted during a stream of case events with subscribers attached; one of two app
instances killed during them (its subscribers reconnect to the other with their cursor);
PostgreSQL connections dropped under the app during writes (every mutation either succeeds or
answers an error, and a retry with the same idempotency key finishes the job: no half-written
case); the push worker killed mid-push (the lease lapses, the push goes out at most once more,
the delivery ends SENT).

One cluster serves the module (tests/cluster.py: two `python -m backend serve` processes, a
private database and a private redis-server); the instance-kill test runs last since it leaves
one instance dead. Sizes are small in CI; `make soak` (SOAK=1) runs them as issue 15 asks, and
FAULT_EVENTS / FAULT_SUBSCRIBERS / FAULT_WRITES override either. Figures: docs/RELIABILITY.md."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backend.services.cases.feed import encode_event_cursor
from bench.live_cases import REPO, Api, GraphQLError, Subscription, free_port, stop
from tests.cluster import Cluster, Redis, start_cluster
from tests.push_service import PushService

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")]

SOAK = os.environ.get("SOAK", "") not in ("", "0")
EVENTS = int(os.environ.get("FAULT_EVENTS", "1000" if SOAK else "200"))
SUBSCRIBERS = int(os.environ.get("FAULT_SUBSCRIBERS", "20" if SOAK else "4"))
WRITES = int(os.environ.get("FAULT_WRITES", "300" if SOAK else "40"))
WRITERS = 8
POLL_MS = 1000  # a feed re-reads the table this long after its last wake: it bounds a lost hint's delay
PUSH_TIMEOUT_MS = 3000
FIGURES: dict[str, Any] = {}


def _plain(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@pytest.fixture(scope="module")
async def redis(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Redis]:
    server = Redis(port=free_port(), log=tmp_path_factory.mktemp("faults-redis") / "redis.log")
    try:
        await server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory, redis: Redis) -> AsyncIterator[Cluster]:
    extra = {"PUSH_ENDPOINT_HOSTS": "127.0.0.1", "PUSH_TIMEOUT_MS": str(PUSH_TIMEOUT_MS), "PUSH_RETRY_BASE_MS": "20",
             "PUSH_RETRY_MAX_WAIT_SECONDS": "2"}
    async with start_cluster(tmp_path_factory.mktemp("faults"), redis, feed_poll_ms=POLL_MS, extra=extra) as running:
        yield running


async def _sql(cluster: Cluster, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_plain(cluster.database_url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


# ---- case events with followers --------------------------------------------------------


@dataclass
class Follower:
    """A subscriber as the PWA is one: on a dropped socket it comes back, to the other
    instance, with the cursor of the last event it saw."""

    token: str
    base: str
    after: str
    cluster: Cluster
    events: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0
    errors: list[Any] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: bool = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop:
            cursor = self.events[-1]["cursor"] if self.events else self.after
            try:
                sub = await Subscription.open(self.cluster.ws(self.base), self.token, after=cursor, timeout=5)
            except Exception:  # the instance is down (refused, reset, timed out): try the other
                self.base = self.cluster.b if self.base == self.cluster.a else self.cluster.a
                await asyncio.sleep(0.2)
                continue
            try:
                while not self._stop:
                    try:
                        self.events.append((await sub.next(timeout=0.2)).event)
                    except asyncio.TimeoutError:
                        if sub.closed.is_set() and sub.received.empty():
                            break
                self.errors += sub.errors
            finally:
                await sub.close()
            if not self._stop:
                self.reconnects += 1
                self.base = self.cluster.b if self.base == self.cluster.a else self.cluster.a

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task


async def _overdue_cases(cluster: Cluster, count: int) -> list[str]:
    api = cluster.api(cluster.b)
    citizen, staff = cluster.tokens["citizen"], cluster.tokens["staff"]
    numbers = []
    for _ in range(count):
        number = (await api.submit_case(citizen))["number"]
        assert await api.move(staff, "acceptCase", number) == "ACCEPTED"
        numbers.append(number)
    # as supervision marks a case once its days have passed: explaining it is one more event each time
    await _sql(cluster, "UPDATE service_case SET overdue_at = now() WHERE number = ANY($1::text[])", numbers)
    return numbers


async def _event_ids_after(cluster: Cluster, start: int) -> list[int]:
    return [row["id"] for row in await _sql(cluster, "SELECT id FROM case_event WHERE id > $1 ORDER BY id", start)]


async def _produce(cluster: Cluster, numbers: list[str], total: int, live: Callable[[], list[str]],
                   progress: list[int]) -> int:
    """`total` explainOverdue moves from WRITERS writers, each on its own case, spread over the
    live instances; a request an instance could not answer is sent again to another."""
    apis = {base: Api(base) for base in (cluster.a, cluster.b)}
    staff = cluster.tokens["staff"]
    failures = 0

    async def writer(i: int, number: str) -> None:
        nonlocal failures
        turn = i
        while progress[0] < total:
            bases = live()
            base = bases[turn % len(bases)]
            turn += 1
            try:
                await apis[base].move(staff, "explainOverdue", number, reason=f'"超期说明 {progress[0]}"')
            except (httpx.TransportError, GraphQLError):
                failures += 1
                await asyncio.sleep(0.05)
                continue
            progress[0] += 1

    try:
        await asyncio.gather(*(writer(i, n) for i, n in enumerate(numbers)))
    finally:
        for api in apis.values():
            await api.close()
    return failures


async def _followers(cluster: Cluster, start: int) -> list[Follower]:
    after = encode_event_cursor(start)
    followers = []
    for i in range(SUBSCRIBERS):
        token = cluster.tokens["citizen" if i % 2 == 0 else "staff"]
        follower = Follower(token=token, base=cluster.a if i % 4 < 2 else cluster.b, after=after, cluster=cluster)
        await follower.start()
        followers.append(follower)
    await asyncio.sleep(0.5)  # subscribed (the replay after the cursor is empty so far)
    return followers


async def _check_followers(cluster: Cluster, followers: list[Follower], start: int, *, timeout: float) -> dict[str, Any]:
    expected = await _event_ids_after(cluster, start)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(len(f.events) < len(expected) for f in followers):
        await asyncio.sleep(0.1)
    await asyncio.sleep(POLL_MS / 1000 + 0.5)  # room for a duplicate to show up
    for follower in followers:
        await follower.stop()
    problems = []
    for i, follower in enumerate(followers):
        got = [int(e["id"]) for e in follower.events]
        if got != expected:
            lost = sorted(set(expected) - set(got))
            repeated = len(got) - len(set(got))
            problems.append(f"follower {i}: {len(got)} of {len(expected)} events, lost {lost[:10]} "
                            f"({len(lost)}), repeated {repeated}, in order {got == sorted(got)}")
    assert not problems, "\n".join(problems)
    assert all(not f.errors for f in followers), [f.errors for f in followers]
    return {"events": len(expected), "subscribers": len(followers), "reconnects": sum(f.reconnects for f in followers)}


async def test_redis_killed_and_restarted_during_case_events(cluster: Cluster, redis: Redis) -> None:
    numbers = await _overdue_cases(cluster, WRITERS)
    start = (await _sql(cluster, "SELECT max(id) AS id FROM case_event"))[0]["id"]
    followers = await _followers(cluster, start)
    progress = [0]
    started = time.monotonic()

    async def outage() -> float:
        while progress[0] < EVENTS // 4:
            await asyncio.sleep(0.01)
        redis.kill()
        down = time.monotonic()
        while progress[0] < EVENTS // 2:
            await asyncio.sleep(0.01)
        await redis.start()
        return time.monotonic() - down

    outage_task = asyncio.create_task(outage())
    failures = await _produce(cluster, numbers, EVENTS, lambda: [cluster.a, cluster.b], progress)
    down_for = await outage_task
    figures = await _check_followers(cluster, followers, start, timeout=30)
    assert failures == 0  # the bus is a hint: no write waits on it
    FIGURES["redis"] = {**figures, "redis_down_seconds": round(down_for, 1),
                        "seconds": round(time.monotonic() - started, 1)}
    print("redis outage", FIGURES["redis"])


async def test_postgres_connections_dropped_during_writes(cluster: Cluster) -> None:
    """Submissions and acceptances while every app connection to the database is terminated
    again and again. Each answer is a success or an error (never a hang); the same request,
    sent again with the same idempotency key once the storm is over, finishes it; and every
    case is whole: its materials, its files, its events."""
    api = cluster.api(cluster.b)
    citizen, staff = cluster.tokens["citizen"], cluster.tokens["staff"]
    materials = [await api.materials(citizen) for _ in range(WRITES)]  # uploads first, before the storm
    keys = [uuid.uuid4().hex for _ in range(WRITES)]
    storm = True
    terminated = 0
    answers: dict[str, int] = {}

    async def killer() -> None:
        nonlocal terminated
        conn = await asyncpg.connect(_plain(cluster.database_url))
        try:
            while storm:
                rows = await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                terminated += sum(1 for row in rows if row[0])
                await asyncio.sleep(0.1)
        finally:
            await conn.close()

    submit = """mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
      __typename ... on ApplicationSubmitted { case { number status } } ... on InputError { code field message } } }"""

    async def send(i: int) -> str | None:
        payload = {"itemCode": "61010102006", "materials": materials[i], "idempotencyKey": keys[i]}
        try:
            response = await api.http.post(f"{api.base}/graphql", json={"query": submit, "variables": {"input": payload}},
                                           headers={"authorization": f"Bearer {citizen}"}, timeout=15)
        except httpx.TransportError as error:
            answers[f"transport {type(error).__name__}"] = answers.get(f"transport {type(error).__name__}", 0) + 1
            return None
        if not response.headers.get("content-type", "").startswith("application/"):
            key = f"{response.status_code} {response.headers.get('content-type')} {response.text[:40]!r}"
            answers[key] = answers.get(key, 0) + 1
            return None
        body = response.json()
        result = (body.get("data") or {}).get("submitApplication")
        if result and result["__typename"] == "ApplicationSubmitted":
            answers["ok"] = answers.get("ok", 0) + 1
            number = result["case"]["number"]
            accepted = await _accept(api, staff, number, answers)
            return number if accepted else number
        codes = ",".join(f"{(e.get('extensions') or {}).get('code')} {e.get('message')}"
                         for e in body.get("errors") or []) or str(result)
        key = f"{response.status_code} {codes}"
        answers[key] = answers.get(key, 0) + 1
        return None

    in_flight = asyncio.Semaphore(20)  # as many as a busy hall's windows and phones send at once

    async def bounded(i: int) -> str | None:
        async with in_flight:
            return await send(i)

    killing = asyncio.create_task(killer())
    started = time.monotonic()
    try:
        first = await asyncio.gather(*(bounded(i) for i in range(WRITES)))
    finally:
        storm = False
        await killing
    storm_seconds = time.monotonic() - started
    # After the storm: the same requests again, same keys. Idempotent: no second case.
    numbers = []
    for i, number in enumerate(first):
        for _attempt in range(5):
            number = number or await send(i)
            if number:
                break
            await asyncio.sleep(0.5)
        assert number, f"submission {i} never succeeded after the storm; answers {answers}"
        numbers.append(number)
    for number in numbers:
        for _attempt in range(5):
            if await _accept(api, staff, number, answers):
                break
            await asyncio.sleep(0.5)

    rows = await _sql(cluster, """
        SELECT c.idempotency_key, c.number, c.status,
               (SELECT count(*) FROM case_material m WHERE m.case_id = c.id) AS materials,
               (SELECT count(*) FROM upload u JOIN case_material m ON u.case_material_id = m.id WHERE m.case_id = c.id)
                 AS files,
               (SELECT string_agg(e.kind, ',' ORDER BY e.id) FROM case_event e WHERE e.case_id = c.id) AS events
        FROM service_case c WHERE c.idempotency_key = ANY($1::text[])""", keys)
    by_key = {row["idempotency_key"]: row for row in rows}
    assert sorted(by_key) == sorted(keys) and len(rows) == WRITES  # one case per key, none lost, none twice
    expected_files = sum(len(m.get("uploadIds", [])) for m in materials[0])
    shapes = {(row["status"], row["materials"] > 0, row["files"], row["events"]) for row in rows}
    assert shapes == {("ACCEPTED", True, expected_files, "SUBMITTED,ACCEPTED")}, shapes
    assert len({row["materials"] for row in rows}) == 1
    # Every answer during the storm was a success or a JSON error saying to retry: never a hang,
    # never a plain-text 500.
    assert not [k for k in answers if "text/plain" in k or k.startswith(("transport", "accept transport"))], answers
    FIGURES["postgres"] = {"writes": WRITES, "terminated_connections": terminated, "answers": answers,
                           "storm_seconds": round(storm_seconds, 1), "server_errors": _error_lines(cluster)}
    print("postgres storm", FIGURES["postgres"])


def _error_lines(cluster: Cluster) -> dict[str, int]:
    """ERROR lines the instances logged, by message (for the report)."""
    seen: dict[str, int] = {}
    for path in cluster.logs:
        for line in path.read_text(errors="replace").splitlines():
            if " ERROR " in line or line.startswith("ERROR:"):
                message = line.split(" ERROR ", 1)[-1][:120]
                seen[message] = seen.get(message, 0) + 1
    return seen


async def _accept(api: Api, staff: str, number: str, answers: dict[str, int]) -> bool:
    """True once the case is accepted (by this call or an earlier one)."""
    try:
        status = await api.move(staff, "acceptCase", number)
    except GraphQLError as error:
        if "INVALID_TRANSITION" in str(error):
            return True  # accepted by an earlier try whose answer was lost (the rows say which)
        answers["accept error"] = answers.get("accept error", 0) + 1
        return False
    except httpx.TransportError:
        answers["accept transport"] = answers.get("accept transport", 0) + 1
        return False
    answers["accepted"] = answers.get("accepted", 0) + 1
    return status == "ACCEPTED"


# ---- the push worker ---------------------------------------------------------------------


def _start_worker(cluster: Cluster, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "backend", "worker"], env=dict(cluster.env), cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()


async def _until(check: Callable[[], Awaitable[Any]], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def test_worker_killed_mid_push(cluster: Cluster, tmp_path: Path) -> None:
    citizen, staff = cluster.tokens["citizen"], cluster.tokens["staff"]
    api = cluster.api(cluster.b)
    async with PushService() as push:
        device = push.subscribe("slow", delay=PUSH_TIMEOUT_MS / 1000 * 0.6)  # answers, but only after the kill
        number = (await api.submit_case(citizen))["number"]
        # Earlier tests' notifications were never pushed (no worker ran): as if one had.
        await _sql(cluster, "UPDATE notification SET push_after = NULL WHERE push_after IS NOT NULL")
        register = """mutation($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) { __typename } }"""
        await api.gql(citizen, register, {"input": {**device.info, "deviceLabel": "故障测试"}})
        worker = _start_worker(cluster, tmp_path / "worker.log")
        again: subprocess.Popen[bytes] | None = None
        try:
            assert await api.move(staff, "acceptCase", number) == "ACCEPTED"
            await push.wait_for(lambda p: device.requests >= 1, timeout=20, what="the push request")
            worker.send_signal(signal.SIGKILL)  # mid-push: the service has the request, no answer yet
            worker.wait(timeout=10)
            [row] = await _sql(cluster, """SELECT d.id, d.state, d.attempts, d.lease_until > now() AS leased
                FROM push_delivery d JOIN notification n ON n.id = d.notification_id JOIN service_case c ON c.id = n.case_id
                WHERE c.number = $1 AND n.kind = 'CASE_ACCEPTED'""", number)
            assert (row["state"], row["attempts"], row["leased"]) == ("PENDING", 0, True), dict(row)
            lease_wait = 0.0
            if SOAK:  # the lease lapses on its own: the push timeout + 30 s
                lease_wait = time.monotonic()
                await _until(lambda: _lapsed(cluster, row["id"]), timeout=PUSH_TIMEOUT_MS / 1000 + 45, what="the lease")
                lease_wait = time.monotonic() - lease_wait
            else:  # as if that time had passed
                await _sql(cluster, "UPDATE push_delivery SET lease_until = now() - interval '1 second' WHERE id = $1",
                           row["id"])
            again = _start_worker(cluster, tmp_path / "worker2.log")  # its first round sweeps expired leases
            final = await _until(lambda: _final(cluster, row["id"]), timeout=30, what="the delivery to end")
        finally:
            stop(worker)
            stop(again)
        await asyncio.sleep(PUSH_TIMEOUT_MS / 1000)  # a slow first answer, if any, has landed by now
        assert final["state"] == "SENT", dict(final)
        assert 1 <= device.requests <= 2 and len(device.received) <= 2, (device.requests, len(device.received))
        FIGURES["worker"] = {"requests": device.requests, "delivered": len(device.received),
                             "state": final["state"], "attempts": final["attempts"],
                             "lease_wait_seconds": round(lease_wait, 1)}
        print("worker kill", FIGURES["worker"])


async def _lapsed(cluster: Cluster, delivery_id: int) -> bool:
    return bool((await _sql(cluster, "SELECT lease_until < now() AS lapsed FROM push_delivery WHERE id = $1",
                            delivery_id))[0]["lapsed"])


async def _final(cluster: Cluster, delivery_id: int) -> asyncpg.Record | None:
    [row] = await _sql(cluster, "SELECT state, attempts, log FROM push_delivery WHERE id = $1", delivery_id)
    return row if row["state"] != "PENDING" else None


# ---- last: it leaves instance A dead --------------------------------------------------------


async def test_an_instance_killed_during_case_events(cluster: Cluster) -> None:
    numbers = await _overdue_cases(cluster, WRITERS)
    start = (await _sql(cluster, "SELECT max(id) AS id FROM case_event"))[0]["id"]
    followers = await _followers(cluster, start)
    progress = [0]
    alive = [cluster.a, cluster.b]
    started = time.monotonic()

    async def crash() -> None:
        while progress[0] < EVENTS // 3:
            await asyncio.sleep(0.01)
        cluster.servers[0].send_signal(signal.SIGKILL)
        cluster.servers[0].wait(timeout=10)
        alive.remove(cluster.a)

    crashing = asyncio.create_task(crash())
    failures = await _produce(cluster, numbers, EVENTS, lambda: list(alive), progress)
    await crashing
    figures = await _check_followers(cluster, followers, start, timeout=30)
    on_a = sum(1 for i in range(SUBSCRIBERS) if i % 4 < 2)
    assert figures["reconnects"] >= on_a  # everyone on A came back, to B
    FIGURES["instance"] = {**figures, "failed_requests": failures, "seconds": round(time.monotonic() - started, 1)}
    print("instance kill", FIGURES["instance"])

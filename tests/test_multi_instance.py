"""Two app processes, one PostgreSQL database, one Redis: live case progress crosses instances
through Redis, and a Redis outage loses nothing.

The app processes are real (`python -m backend serve`). Redis is a private redis-server started
here on its own port, so killing it mid-stream touches nobody else; the database is a private
sibling of TEST_DATABASE_URL (`<name>_multi`), dropped and recreated here.

Why FEED_POLL_MS is 15 s: each feed re-reads the event table only after FEED_POLL_MS without a
bus message (the timer restarts on every wake). With 15 s, no re-read can happen in an instance's
first 15 s, so an event that reaches A's subscriber sooner was carried by Redis — that is the
proof of the first part. The interval still bounds how long an event whose bus message was lost
can wait, which keeps the outage part well under a minute even in the worst case.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis import asyncio as aioredis

from backend.bus import RedisBus, flush_announcements
from backend.services.cases.events import CASE_EVENTS_CHANNEL, announce
from bench.live_cases import Received, Subscription
from tests.cluster import Cluster, Redis, private_redis, start_cluster  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")]

POLL_SECONDS = 30  # long enough that a loaded 2-core machine (15 s seen at load 19) still tells Redis from polling


@pytest.fixture
async def cluster(tmp_path: Path, private_redis: Redis) -> AsyncIterator[Cluster]:
    async with start_cluster(tmp_path, private_redis, feed_poll_ms=POLL_SECONDS * 1000) as running:
        yield running


def _kinds(received: list[Received]) -> list[str]:
    return [r.event["kind"] for r in received]


async def _bus_ok(base: str) -> bool:
    async with httpx.AsyncClient(timeout=5) as http:
        return bool((await http.get(f"{base}/healthz")).json()["bus"]["ok"])


async def test_progress_crosses_instances_and_survives_a_redis_outage(cluster: Cluster, private_redis: Redis) -> None:
    citizen, staff = cluster.tokens["citizen"], cluster.tokens["staff"]
    a, b = cluster.api(cluster.a), cluster.api(cluster.b)

    # The citizen applies on B; the cursor of the SUBMITTED event is read on B too.
    number = (await b.submit_case(citizen))["number"]
    table = await b.events(citizen, number)
    assert [e["kind"] for e in table] == ["SUBMITTED"]

    # Two subscribers on A resume after SUBMITTED: one drops off during the outage, one stays.
    leaving = await Subscription.open(cluster.ws(cluster.a), citizen, after=table[0]["cursor"])
    staying = await Subscription.open(cluster.ws(cluster.a), citizen, after=table[0]["cursor"])
    back: Subscription | None = None
    try:
        # Staff accept on B. A learns of it only through Redis: its first re-read of the table is
        # POLL_SECONDS after it started, and the event arrives before that.
        assert await b.move(staff, "acceptCase", number) == "ACCEPTED"
        accepted = await leaving.take(1, timeout=5)
        assert time.monotonic() - cluster.a_spawned < POLL_SECONDS, "too slow to tell Redis from A's re-read"
        assert _kinds(accepted) == ["ACCEPTED"] and accepted[0].event["caseNumber"] == number
        stayed = await staying.take(1, timeout=5)
        assert _kinds(stayed) == ["ACCEPTED"]
        last_cursor = accepted[0].event["cursor"]

        # Redis dies mid-stream; the first client goes away. Staff carry on: the bus is only a
        # hint, so the moves succeed and the health check says the bus is down.
        private_redis.kill()
        await leaving.close()
        assert await b.move(staff, "startReview", number) == "UNDER_REVIEW"
        assert await b.move(staff, "approveCase", number) == "APPROVED"
        assert not await _bus_ok(cluster.b)
        await private_redis.start()

        # The client comes back — to B — with the last cursor it saw: exactly what it missed.
        back = await Subscription.open(cluster.ws(cluster.b), citizen, after=last_cursor)
        missed = await back.take(2, timeout=POLL_SECONDS + 5)
        assert _kinds(missed) == ["REVIEW_STARTED", "APPROVED"]
        assert [r.event["status"] for r in missed] == ["UNDER_REVIEW", "APPROVED"]
        # The subscriber that stayed on A: A's feed re-subscribes once Redis is back and re-reads.
        stayed += await staying.take(2, timeout=POLL_SECONDS + 5)
        assert _kinds(stayed) == ["ACCEPTED", "REVIEW_STARTED", "APPROVED"]

        # A further move reaches both at once: the bus retries on a fresh connection after the
        # restart (test below), so nobody waits for a re-read.
        assert await b.move(staff, "deliverCase", number, method="WINDOW") == "DELIVERED"
        delivered = await back.take(1, timeout=5)
        assert _kinds(delivered) == ["DELIVERED"]
        stayed += await staying.take(1, timeout=5)
        assert _kinds(stayed) == ["ACCEPTED", "REVIEW_STARTED", "APPROVED", "DELIVERED"]

        # Nothing twice, nothing else, and the same ids as the table.
        await asyncio.sleep(1.0)
        assert back.pending() == [] and staying.pending() == []
        assert leaving.errors == staying.errors == back.errors == []
        table = await a.events(citizen, number)
        assert [e["kind"] for e in table] == ["SUBMITTED", "ACCEPTED", "REVIEW_STARTED", "APPROVED", "DELIVERED"]
        ids = [e["id"] for e in table]
        assert [r.event["id"] for r in accepted + missed + delivered] == ids[1:]
        assert [r.event["id"] for r in stayed] == ids[1:]
    finally:
        for subscription in (leaving, staying, back):
            if subscription is not None:
                await subscription.close()


async def test_first_announcement_after_a_redis_restart_reaches_subscribers(private_redis: Redis) -> None:
    listener = aioredis.from_url(private_redis.url, decode_responses=True)
    bus = RedisBus(private_redis.url)

    class Event:  # announce() reads only the id
        def __init__(self, id: int) -> None:
            self.id = id

    try:
        announce(bus, Event(1))
        await flush_announcements()  # the bus has a pooled connection now
        private_redis.kill()
        await private_redis.start()
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CASE_EVENTS_CHANNEL)
        try:
            announce(bus, Event(2))
            await flush_announcements()
            heard = []
            deadline = time.monotonic() + 2
            while not heard and time.monotonic() < deadline:
                message = await pubsub.get_message(timeout=0.2)
                if message is not None:
                    heard.append(message["data"])
        finally:
            await pubsub.aclose()
        assert heard == ['{"id": 2}']
    finally:
        await bus.close()
        await listener.aclose()

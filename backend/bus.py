"""The event bus: Redis pub/sub when REDIS_URL is set, an in-process fan-out otherwise.

The bus only carries notifications that something changed; the database stays the truth,
so a subscriber that misses a message can always catch up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any, AsyncIterator, Protocol

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

log = logging.getLogger("backend.bus")


class Bus(Protocol):
    kind: str

    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class InProcessBus:
    kind = "memory"

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._queue_size = queue_size

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():  # a stalled subscriber loses live messages, never blocks others
                continue
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._queues[channel].add(queue)

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._queues.clear()


class RedisBus:
    kind = "redis"

    def __init__(self, url: str) -> None:
        # redis-py's async client does not retry by default, so after a Redis restart the first
        # command on each pooled connection would fail ("Connection closed by server"): retry
        # briefly on a fresh connection instead.
        self._redis = aioredis.from_url(
            url, decode_responses=True, health_check_interval=30, socket_connect_timeout=2,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            retry_on_error=[aioredis.ConnectionError, aioredis.TimeoutError],
        )

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(channel, json.dumps(message, ensure_ascii=False))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)

        async def messages() -> AsyncIterator[dict[str, Any]]:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])

        try:
            yield messages()
        finally:
            await pubsub.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), timeout=2))
        except (aioredis.RedisError, OSError, asyncio.TimeoutError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def create_bus(redis_url: str | None) -> Bus:
    return RedisBus(redis_url) if redis_url else InProcessBus()


async def relay_wakeups(bus: Bus, channel: str, wake: asyncio.Event, *, poll_seconds: float) -> None:
    """Set `wake` for every message on `channel`, for as long as the task runs. When the bus is
    down, keep trying with backoff; meanwhile the reader relies on its own periodic re-read."""
    backoff = 0.5
    while True:
        try:
            async with bus.subscribe(channel) as messages:
                backoff = 0.5
                wake.set()  # (re)subscribed: whatever was said meanwhile is in the database
                async for _ in messages:
                    wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("lost the bus on %s; re-reading every %.1fs until it is back", channel, poll_seconds,
                        exc_info=True)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 10.0)


async def wait_for_wake(wake: asyncio.Event, *, seconds: float) -> None:
    """Until `wake` is set or `seconds` pass, then clear it. asyncio.timeout, not wait_for: on
    Python 3.11 wait_for can swallow a cancellation that arrives just as the event is set, and
    the reader's task then never stops (a worker that ignored SIGTERM right after starting)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    wake.clear()


_announcing: set[asyncio.Task[None]] = set()


def announce_soon(bus: Bus | None, channel: str, message: dict[str, Any]) -> None:
    """Publish a hint after commit, never awaited by the request: if the bus is down the change
    is already safe in the database, and readers' periodic re-read finds it."""
    if bus is None:
        return
    task = asyncio.get_running_loop().create_task(_publish_hint(bus, channel, message))
    _announcing.add(task)
    task.add_done_callback(_announcing.discard)


async def _publish_hint(bus: Bus, channel: str, message: dict[str, Any]) -> None:
    try:
        await asyncio.wait_for(bus.publish(channel, message), timeout=5)
    except Exception:  # only a hint: log it, the readers' poll catches up
        log.warning("could not announce on %s", channel, exc_info=True)


async def flush_announcements() -> None:
    """Wait for announcements in flight (tests, shutdown)."""
    if _announcing:
        await asyncio.gather(*list(_announcing), return_exceptions=True)

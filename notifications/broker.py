"""The taskiq broker: Redis streams when REDIS_URL is set (acknowledged, so a worker that
dies mid-job leaves its message to be claimed by another), in memory otherwise (the job runs
as a task in this process)."""

from __future__ import annotations

import hashlib
from typing import Awaitable, Callable

from redis.asyncio import Redis
from taskiq import AsyncBroker, BrokerMessage, InMemoryBroker
from taskiq_redis import RedisStreamBroker


def push_queue(database_url: str) -> str:
    """A job names a row of one database, so its queue belongs to that database: two
    deployments (or a test run and a bench) sharing one Redis must not take each other's jobs.
    The URL is hashed: it may hold a password."""
    return "zsb:push-jobs:" + hashlib.sha256(database_url.encode()).hexdigest()[:16]


class SharedClientStreamBroker(RedisStreamBroker):
    """taskiq-redis builds a new Redis client for every kick and every acknowledgement, and each
    one copies redis-py's table of response callbacks: a visible share of a push's CPU in the
    worker's profile (docs/PERFORMANCE.md, "Web push"). One client over the broker's own pool
    sends the same commands. Written against taskiq-redis 1.2 (pinned in pyproject.toml)."""

    _client: Redis | None = None

    def _redis(self) -> Redis:
        if self._client is None:
            self._client = Redis(connection_pool=self.connection_pool)
        return self._client

    async def kick(self, message: BrokerMessage) -> None:
        queue_name = message.labels.get("queue_name") or self.queue_name
        await self._redis().xadd(queue_name, {b"data": message.message}, maxlen=self.maxlen,
                                 approximate=self.approximate)

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            await self._redis().xack(queue_name, self.consumer_group_name, id)
        return ack

    async def shutdown(self) -> None:
        if self._client is not None:
            await self._client.aclose()  # the pool is the broker's: closed by the base class
            self._client = None
        await super().shutdown()


def build_broker(redis_url: str | None, *, database_url: str, max_async_tasks: int) -> AsyncBroker:
    if not redis_url:
        return InMemoryBroker(max_async_tasks=max_async_tasks)
    return SharedClientStreamBroker(
        url=redis_url, queue_name=push_queue(database_url), consumer_group_name="zsb-workers",
        # A group created after jobs were queued still takes them; jobs are idempotent anyway.
        consumer_id="0",
        maxlen=100_000,
        # A message a dead worker took is handed to another after this long unacknowledged.
        idle_timeout=120_000,
        unacknowledged_lock_timeout=60,
    )

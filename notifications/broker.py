"""The taskiq broker: Redis streams when REDIS_URL is set (acknowledged, so a worker that
dies mid-job leaves its message to be claimed by another), in memory otherwise (the job runs
as a task in this process)."""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

PUSH_QUEUE = "zsb:push-jobs"


def build_broker(redis_url: str | None, *, max_async_tasks: int) -> AsyncBroker:
    if not redis_url:
        return InMemoryBroker(max_async_tasks=max_async_tasks)
    return RedisStreamBroker(
        url=redis_url, queue_name=PUSH_QUEUE, consumer_group_name="zsb-workers",
        # A group created after jobs were queued still takes them; jobs are idempotent anyway.
        consumer_id="0",
        maxlen=100_000,
        # A message a dead worker took is handed to another after this long unacknowledged.
        idle_timeout=120_000,
        unacknowledged_lock_timeout=60,
    )

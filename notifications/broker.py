"""The taskiq broker: Redis streams when REDIS_URL is set (acknowledged, so a worker that
dies mid-job leaves its message to be claimed by another), in memory otherwise (the job runs
as a task in this process)."""

from __future__ import annotations

import hashlib

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker


def push_queue(database_url: str) -> str:
    """A job names a row of one database, so its queue belongs to that database: two
    deployments (or a test run and a bench) sharing one Redis must not take each other's jobs.
    The URL is hashed: it may hold a password."""
    return "zsb:push-jobs:" + hashlib.sha256(database_url.encode()).hexdigest()[:16]


def build_broker(redis_url: str | None, *, database_url: str, max_async_tasks: int) -> AsyncBroker:
    if not redis_url:
        return InMemoryBroker(max_async_tasks=max_async_tasks)
    return RedisStreamBroker(
        url=redis_url, queue_name=push_queue(database_url), consumer_group_name="zsb-workers",
        # A group created after jobs were queued still takes them; jobs are idempotent anyway.
        consumer_id="0",
        maxlen=100_000,
        # A message a dead worker took is handed to another after this long unacknowledged.
        idle_timeout=120_000,
        unacknowledged_lock_timeout=60,
    )

"""Prometheus metrics of one process (prometheus-client's default registry).

Counted where things happen (GraphQL operations in backend/schema/metrics_extension.py, web
pushes in notifications/jobs.py, websockets in backend/observability.py); the gauges that
describe shared state (subscribers, feed lag, job queue depth, the database pool) are read
when /metrics is scraped (`refresh`). No web framework here: the worker imports it too.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger("backend.metrics")

HTTP_REQUESTS = Counter("zsb_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
HTTP_SECONDS = Histogram("zsb_http_request_seconds", "HTTP request time", ["route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
GRAPHQL_OPERATIONS = Counter("zsb_graphql_operations_total", "GraphQL operations executed",
                             ["operation", "type", "outcome"])
GRAPHQL_SECONDS = Histogram("zsb_graphql_operation_seconds", "GraphQL operation time (queries and mutations)",
                            ["operation", "type"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBSOCKETS = Gauge("zsb_websocket_connections", "Open websocket connections (graphql-transport-ws)")
SUBSCRIPTIONS = Gauge("zsb_subscriptions", "Live subscriptions following a feed", ["feed"])
FEED_LAG = Gauge("zsb_feed_lag_rows", "Rows in the table this process's feed has not read yet", ["feed"])
PUSH_SENT = Counter("zsb_push_sent_total", "Web pushes accepted by the push service")
PUSH_FAILED = Counter("zsb_push_failed_total", "Web push deliveries given up (refused, retries exhausted)")
PUSH_EXPIRED = Counter("zsb_push_expired_total", "Web push deliveries whose subscription was gone (404/410)")
PUSH_RETRIED = Counter("zsb_push_retried_total", "Web push attempts retried after 429, 5xx or no answer")
JOB_QUEUE_DEPTH = Gauge("zsb_job_queue_depth", "Push deliveries waiting to be sent (PENDING)")
DB_POOL = Gauge("zsb_db_pool_connections", "Database connection pool of this process", ["state"])

# Operation names come from clients: beyond this many distinct ones, the rest count as "other".
MAX_OPERATION_LABELS = 300
_operation_labels: set[str] = set()


def operation_label(name: str) -> str:
    if name in _operation_labels:
        return name
    if len(_operation_labels) >= MAX_OPERATION_LABELS:
        return "other"
    _operation_labels.add(name)
    return name


def _pool_use() -> None:
    from tortoise import connections

    try:
        pool: Any = getattr(connections.get("default"), "_pool", None)
    except Exception:  # ORM not initialised in this process
        return
    if pool is None or not hasattr(pool, "get_size"):  # SQLite: one connection, no pool
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    DB_POOL.labels("open").set(size)
    DB_POOL.labels("in_use").set(size - idle)
    DB_POOL.labels("max").set(pool.get_max_size())


async def refresh(feeds: dict[str, Any]) -> None:
    """The gauges read from shared state. `feeds`: name → TailFeed (those of this process)."""
    from backend.models import PushDelivery
    from backend.models.notifications import PushState

    for name, feed in feeds.items():
        if feed is None:
            continue
        SUBSCRIPTIONS.labels(name).set(feed.follower_count)
        try:
            FEED_LAG.labels(name).set(await feed.lag())
        except Exception:  # a scrape must answer whatever the database does
            log.warning("metrics: could not read the %s feed's lag", name, exc_info=True)
    try:
        JOB_QUEUE_DEPTH.set(await PushDelivery.filter(state=PushState.PENDING).count())
    except Exception:
        log.warning("metrics: could not count pending push deliveries", exc_info=True)
    _pool_use()


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST

"""Rows that readers follow with `id > cursor` (case events, notifications) must become visible
in id order, or a reader could pass an id whose transaction has not committed yet and skip it
forever. SQLite has a single writer and needs nothing. On PostgreSQL every transaction that
inserts such rows takes one advisory lock right before the inserts and holds it until commit,
so ids are handed out in commit order. Taken last, the lock is held only for the inserts and
the commit.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

_INSERT_ORDER_LOCK = 7_261_001  # any constant shared by every writer of case_event and notification


async def hold_insert_order(conn: BaseDBAsyncClient) -> None:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_INSERT_ORDER_LOCK])

"""Writing case events so that readers of the feed never skip one, and announcing them.

A reader catches up with `id > cursor`, which is only safe if events become visible in id
order: see insert_order.py.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backend.bus import Bus, announce_soon
from backend.models import Case, CaseEvent, User
from backend.models.cases import CaseEventKind
from backend.services.cases.notifications import notify_case_event
from backend.services.insert_order import hold_insert_order

CASE_EVENTS_CHANNEL = "case-events"


async def record_event(
    conn: BaseDBAsyncClient, *, case: Case, kind: CaseEventKind, actor: User | None, actor_label: str,
    note: str = "", data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Insert the event in the caller's transaction (`conn`), as its last statement, with the
    applicant's notification when the event is one they must hear about (same transaction:
    the inbox always has it)."""
    await hold_insert_order(conn)
    event = CaseEvent(
        case=case, applicant_id=case.applicant_id, enterprise_id=case.enterprise_id,
        department_id=case.department_id, kind=kind, status=case.status, actor=actor,
        actor_label=actor_label, note=note, data=data or {},
    )
    await event.save(using_db=conn)
    await notify_case_event(conn, case=case, event=event)
    return event


def announce(bus: Bus | None, event: CaseEvent) -> None:
    """Tell every app instance that the event table grew (after commit; see bus.announce_soon)."""
    announce_soon(bus, CASE_EVENTS_CHANNEL, {"id": event.id})

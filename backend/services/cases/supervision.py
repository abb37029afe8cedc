"""电子监察 (Art. 33): warn before the promised limit, flag overdue cases, and end 容缺 cases
whose promised materials did not come in time.

`supervise` is safe to run twice, and on several instances at once: each warning and flag is
claimed with a conditional update, so only one run writes its event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Case, CaseMaterial, Department, RectificationTicket, User
from backend.models.cases import CaseEventKind, CaseStatus, MaterialProvision
from backend.models.identity import Role
from backend.models.ratings import TicketState
from backend.services.cases.access import staff_department
from backend.services.cases.events import announce, record_event
from backend.services.cases.lifecycle import SYSTEM_LABEL, now_utc, terminate
from backend.services.cases.deadlines import deadline_of
from backend.services.workdays import local_date
from backend.services.errors import InvalidTransitionError, NotPermittedError
from backend.services.ratings.tickets import is_overdue as is_ticket_overdue, supervise_tickets

log = logging.getLogger("backend.supervision")
CLOCK_RUNNING = (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW)


@dataclass(frozen=True)
class SupervisionRun:
    warned: int
    flagged_overdue: int
    terminated: int
    tickets_warned: int = 0  # 差评整改 steps on their last day
    tickets_overdue: int = 0


async def supervise(*, warn_percent: int, bus: Bus | None, now: datetime | None = None) -> SupervisionRun:
    now = now or now_utc()
    today = local_date(now)
    warned = flagged = 0
    running = await Case.filter(status__in=CLOCK_RUNNING, paused_on__isnull=True, promised_due__isnull=False).filter(
        overdue_at__isnull=True)
    for case in running:
        deadline = deadline_of(case, today=today, warn_percent=warn_percent)
        if deadline is None:
            continue
        if deadline.overdue:
            flagged += await _flag(case, field_name="overdue_at", kind=CaseEventKind.OVERDUE, now=now, bus=bus,
                                   note=f"已超过承诺办结期限（{deadline.promised_due:%Y年%m月%d日}），请承办部门说明原因")
        elif deadline.due_soon and case.warned_at is None:
            warned += await _flag(case, field_name="warned_at", kind=CaseEventKind.DUE_SOON, now=now, bus=bus,
                                  note=f"已用 {deadline.working_days_used}/{deadline.promised_days} 个工作日，"
                                       f"将于 {deadline.promised_due:%Y年%m月%d日} 到期")
    terminated = await _terminate_unsupplied(today=today, now=now, bus=bus)
    tickets = await supervise_tickets(now=now)
    if warned or flagged or terminated or tickets.warned or tickets.flagged_overdue:
        log.info("supervision: %s warned, %s overdue, %s terminated; rectification tickets: %s warned, %s overdue",
                 warned, flagged, terminated, tickets.warned, tickets.flagged_overdue)
    return SupervisionRun(warned=warned, flagged_overdue=flagged, terminated=terminated,
                          tickets_warned=tickets.warned, tickets_overdue=tickets.flagged_overdue)


async def _flag(case: Case, *, field_name: str, kind: CaseEventKind, note: str, now: datetime, bus: Bus | None) -> int:
    async with in_transaction() as conn:
        claimed = await Case.filter(id=case.id, **{f"{field_name}__isnull": True}).using_db(conn).update(**{field_name: now})
        if not claimed:
            return 0  # another run got there first
        setattr(case, field_name, now)
        event = await record_event(conn, case=case, kind=kind, actor=None, actor_label=SYSTEM_LABEL, note=note)
    announce(bus, event)
    return 1


async def _terminate_unsupplied(*, today: date, now: datetime, bus: Bus | None) -> int:
    late = await Case.filter(
        status__in=(*CLOCK_RUNNING, CaseStatus.SUPPLEMENT_REQUESTED), supplement_deadline__lt=today,
    )
    count = 0
    for case in late:
        owed = await CaseMaterial.filter(case=case, outstanding=True, provision=MaterialProvision.DEFERRED
                                         ).values_list("name", flat=True)
        if not owed:
            continue
        reason = f"容缺材料未在承诺期限（{case.supplement_deadline:%Y年%m月%d日}）内补齐：{'、'.join(owed)}"
        try:
            await terminate(case=case, reason=reason, bus=bus, now=now)
            count += 1
        except InvalidTransitionError:  # it moved meanwhile (e.g. withdrawn): leave it
            log.info("supervision: case %s was not terminated (it moved meanwhile)", case.number)
    return count


# ---- the supervisor's view -------------------------------------------------------------


@dataclass
class DepartmentReport:
    department: Department
    due_soon: list[Case] = field(default_factory=list)
    overdue: list[Case] = field(default_factory=list)
    # 差评整改 counts in supervision too (Art. 34): tickets not yet closed, and those past a step's limit.
    tickets_open: int = 0
    tickets_overdue: int = 0


async def report(*, viewer: User, warn_percent: int, today: date | None = None) -> list[DepartmentReport]:
    """Running cases that are due soon or overdue, and open rectification tickets, per department:
    every department for a supervisor, the viewer's own for staff."""
    today = today or local_date(now_utc())
    query = Case.filter(status__in=(*CLOCK_RUNNING, CaseStatus.SUPPLEMENT_REQUESTED), promised_due__isnull=False)
    open_tickets = RectificationTicket.exclude(state=TicketState.CLOSED)
    if Role.SUPERVISOR not in viewer.roles:
        department_id = staff_department(viewer)
        if department_id is None:
            raise NotPermittedError("只有电子监察人员或窗口工作人员可以查看")
        query = query.filter(department_id=department_id)
        open_tickets = open_tickets.filter(department_id=department_id)
    by_department: dict[int, DepartmentReport] = {}
    departments = {d.id: d for d in await Department.all()}

    def entry_of(department_id: int) -> DepartmentReport:
        return by_department.setdefault(department_id, DepartmentReport(department=departments[department_id]))

    for case in await query.order_by("promised_due", "id"):
        deadline = deadline_of(case, today=today, warn_percent=warn_percent)
        if deadline is None or not (deadline.overdue or deadline.due_soon):
            continue
        entry = entry_of(case.department_id)
        (entry.overdue if deadline.overdue else entry.due_soon).append(case)
    for ticket in await open_tickets:
        entry = entry_of(ticket.department_id)
        entry.tickets_open += 1
        entry.tickets_overdue += is_ticket_overdue(ticket, today=today)
    return sorted(by_department.values(), key=lambda r: (r.department.sort_order, r.department.id))

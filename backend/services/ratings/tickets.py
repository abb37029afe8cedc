"""差评整改: every 不满意 / 非常不满意 rating opens a ticket for the department that served.

OPEN → VERIFIED (found true / not true, with the finding) → RECTIFIED (what was changed) →
VISITED (the person's answer on the return visit) → CLOSED. "Not true", and a return visit
that is still bad, wait for a supervisor: who confirms (closed) or overrules (rectify). The
deadlines run on the working-day calendar (verify 1, rectify 15, return visit 3 working days:
settings). Every step appends to the ticket's history, which nothing edits, notifies the
person, and runs in one transaction with the ticket row locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Awaitable, Callable

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Booking, Case, Department, Rating, RectificationTicket, ServiceItem, TicketEntry, User
from backend.models.identity import Role
from backend.models.notifications import NotificationKind
from backend.models.ratings import RatingLevel, TicketAction, TicketStage, TicketState
from backend.services.cases.access import staff_department
# The case lifecycle's own words for the system and for a staff member ("部门 · 姓名"), so a
# ticket's history reads like a case's.
from backend.services.cases.lifecycle import SYSTEM_LABEL, _staff_label
from backend.services.workdays import local_date
from backend.services.errors import NotFoundError, NotPermittedError, TicketTransitionError, ValidationError
from backend.services.notifications.inbox import announce_notifications, notify
from backend.services.pagination import check_page_size
from backend.services.ratings import levels
from backend.services.workdays import working_calendar
from backend.settings import Settings

MAX_TEXT = 1000
A, S, G = TicketAction, TicketState, TicketStage
STATE_LABELS = {S.OPEN: "待核实", S.VERIFIED: "已核实", S.RECTIFIED: "已整改", S.VISITED: "已回访", S.CLOSED: "已办结"}
ACTION_LABELS = {
    A.OPENED: "收到差评，转承办部门核实", A.VERIFIED: "核实", A.CONFIRMED: "监察确认", A.OVERRULED: "监察认定属实，要求整改",
    A.RECTIFIED: "整改完成", A.VISIT_REQUESTED: "发起回访", A.VISITED: "回访评价", A.CLOSED: "办结",
    A.DUE_SOON: "即将到期预警", A.OVERDUE: "已超期",
}


@dataclass(frozen=True)
class TicketDays:
    """Working days allowed for each step (settings)."""

    verify: int = 1
    rectify: int = 15
    visit: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketDays:
        return cls(verify=settings.rating_verify_days, rectify=settings.rating_rectify_days,
                   visit=settings.rating_visit_days)


def due_of(ticket: RectificationTicket) -> date | None:
    """The deadline of the step now running."""
    return {G.VERIFY: ticket.verify_due, G.RECTIFY: ticket.rectify_due, G.VISIT: ticket.visit_due}.get(ticket.stage)


def is_overdue(ticket: RectificationTicket, *, today: date) -> bool:
    due = due_of(ticket)
    return due is not None and today > due


def _text(value: str | None, *, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field=field, message=f"请填写{label}")
    if len(text) > MAX_TEXT:
        raise ValidationError(field=field, message=f"{label}不能超过 {MAX_TEXT} 字")
    return text


def _add(day: date, working_days: int) -> date:
    return working_calendar().add_working_days(day, working_days)


async def _entry(conn: BaseDBAsyncClient, ticket: RectificationTicket, action: TicketAction, *, actor: User | None,
                 label: str, note: str = "") -> None:
    await TicketEntry.create(ticket_id=ticket.id, action=action, state=ticket.state, actor=actor, actor_label=label,
                             note=note, using_db=conn)


async def _tell(conn: BaseDBAsyncClient, ticket: RectificationTicket, *, step: str, body: str,
                kind: NotificationKind = NotificationKind.RECTIFICATION_PROGRESS, query: str = "") -> None:
    title = "整改回访：请再评价一次" if kind is NotificationKind.RATING_RETURN_VISIT else "差评整改进展"
    await notify(conn, user_id=ticket.person_id, kind=kind, title=title, body=body,
                 link=f"{await _rated_page(conn, ticket)}{query}", source=f"ticket:{ticket.id}:{step}",
                 case_id=ticket.case_id)


async def _rated_page(conn: BaseDBAsyncClient, ticket: RectificationTicket) -> str:
    """Where the person sees the rating and its ticket: the case page, or the booking's for a
    hall visit."""
    if ticket.case_id is not None:
        number = await Case.filter(id=ticket.case_id).using_db(conn).first().values_list("number", flat=True)
        return f"/cases/{number}"
    booking_id = await Rating.filter(id=ticket.rating_id).using_db(conn).first().values_list("booking_id", flat=True)
    number = await Booking.filter(id=booking_id).using_db(conn).first().values_list("number", flat=True)
    return f"/bookings/{number}"


# ---- opening (called by rating.py in the rating's transaction) ------------------------------


async def open_ticket(conn: BaseDBAsyncClient, *, rating: Rating, days: TicketDays,
                      now: datetime) -> RectificationTicket:
    """For the department of the rated service (a case's, or for a hall visit the item's), with
    the hall when a hall served."""
    today = local_date(now)
    ticket = RectificationTicket(rating_id=rating.id, person_id=rating.rater_id, case_id=rating.case_id,
                                 department_id=rating.department_id, item_id=rating.item_id, hall_id=rating.hall_id,
                                 state=S.OPEN, stage=G.VERIFY, opened_on=today, verify_due=_add(today, days.verify))
    await ticket.save(using_db=conn)
    chips = "、".join(levels.reason_label(code) for code in rating.reasons)
    await _entry(conn, ticket, A.OPENED, actor=None, label=SYSTEM_LABEL,
                 note=f"{levels.label(rating.level)}{'：' + chips if chips else ''}")
    item = await ServiceItem.filter(id=rating.item_id).using_db(conn).first().values_list("name", flat=True)
    await _tell(conn, ticket, step="opened",
                body=f"您对「{item}」的评价已转承办部门核实，将于 {ticket.verify_due:%m月%d日} 前给您答复。")
    return ticket


# ---- who may work a ticket -------------------------------------------------------------------


def is_supervisor(user: User) -> bool:
    return Role.SUPERVISOR in user.roles


def _may_see(ticket: RectificationTicket, user: User) -> bool:
    return is_supervisor(user) or staff_department(user) == ticket.department_id


async def _locked(conn: BaseDBAsyncClient, ticket_id: int, actor: User) -> RectificationTicket:
    ticket = await RectificationTicket.select_for_update().using_db(conn).get_or_none(id=ticket_id)
    if ticket is None or not _may_see(ticket, actor):
        raise NotFoundError("未找到该整改工单")
    return ticket


def _as_staff(ticket: RectificationTicket, actor: User) -> None:
    if staff_department(actor) != ticket.department_id:
        raise NotPermittedError("只有承办部门的工作人员可以办理整改工单")


def _invalid(ticket: RectificationTicket, what: str) -> TicketTransitionError:
    return TicketTransitionError(f"工单当前为“{STATE_LABELS[ticket.state]}”，不能{what}", state=ticket.state.value)


Change = Callable[[BaseDBAsyncClient, RectificationTicket], Awaitable[None]]


async def _move(ticket_id: int, actor: User, bus: Bus | None, change: Change) -> RectificationTicket:
    async with in_transaction() as conn:
        ticket = await _locked(conn, ticket_id, actor)
        await change(conn, ticket)
    announce_notifications(bus)
    return ticket


# ---- the department's steps ----------------------------------------------------------------


async def verify(*, actor: User, ticket_id: int, found_true: bool, finding: str, days: TicketDays, bus: Bus | None,
                 now: datetime | None = None) -> RectificationTicket:
    text = _text(finding, field="finding", label="核实情况")
    today = local_date(now or datetime.now(timezone.utc))
    label = await _staff_label(actor)

    async def change(conn: BaseDBAsyncClient, ticket: RectificationTicket) -> None:
        _as_staff(ticket, actor)
        if ticket.state is not S.OPEN:
            raise _invalid(ticket, "核实")
        ticket.state, ticket.found_true, ticket.finding, ticket.verified_on = S.VERIFIED, found_true, text, today
        if found_true:
            ticket.stage, ticket.rectify_due = G.RECTIFY, _add(today, days.rectify)
            body = f"经核实，您反映的问题属实，承办部门将于 {ticket.rectify_due:%m月%d日} 前完成整改。核实情况：{text}"
        else:
            ticket.stage, ticket.awaiting_supervisor = G.SUPERVISOR, True
            body = f"经核实，承办部门认为您反映的问题不属实，已提交电子监察人员确认。核实情况：{text}"
        await ticket.save(using_db=conn)
        await _entry(conn, ticket, A.VERIFIED, actor=actor, label=label, note=f"{'属实' if found_true else '不属实'}：{text}")
        await _tell(conn, ticket, step="verified", body=body)

    return await _move(ticket_id, actor, bus, change)


async def record_rectification(*, actor: User, ticket_id: int, rectification: str, days: TicketDays,
                               bus: Bus | None, now: datetime | None = None) -> RectificationTicket:
    text = _text(rectification, field="rectification", label="整改措施")
    today = local_date(now or datetime.now(timezone.utc))
    label = await _staff_label(actor)

    async def change(conn: BaseDBAsyncClient, ticket: RectificationTicket) -> None:
        _as_staff(ticket, actor)
        if ticket.state is not S.VERIFIED or ticket.stage is not G.RECTIFY:
            raise _invalid(ticket, "登记整改")
        ticket.state, ticket.rectification, ticket.rectified_on = S.RECTIFIED, text, today
        ticket.stage, ticket.visit_due = G.VISIT, _add(today, days.visit)
        await ticket.save(using_db=conn)
        await _entry(conn, ticket, A.RECTIFIED, actor=actor, label=label, note=text)
        await _entry(conn, ticket, A.VISIT_REQUESTED, actor=None, label=SYSTEM_LABEL, note="已请评价人再次评价")
        await _tell(conn, ticket, step="visit", kind=NotificationKind.RATING_RETURN_VISIT, query="?visit=1",
                    body=f"承办部门已整改：{text}。您现在满意吗？一键回复。")

    return await _move(ticket_id, actor, bus, change)


async def _visited(conn: BaseDBAsyncClient, ticket: RectificationTicket, *, level: RatingLevel, note: str,
                   actor: User | None, label: str, today: date) -> None:
    if ticket.state is not S.RECTIFIED:
        raise _invalid(ticket, "回访")
    ticket.state, ticket.visit_level, ticket.visit_note, ticket.visited_on = S.VISITED, level, note, today
    still_bad = level in levels.BAD
    ticket.stage, ticket.awaiting_supervisor = (G.SUPERVISOR, True) if still_bad else (G.NONE, False)
    await ticket.save(using_db=conn)
    await _entry(conn, ticket, A.VISITED, actor=actor, label=label,
                 note=levels.label(level) + (f"：{note}" if note else ""))
    if still_bad:
        await _tell(conn, ticket, step="visited", body="已收到您的回访评价，电子监察人员将督促承办部门继续整改。")
        return
    await _close(conn, ticket, actor=None, label=SYSTEM_LABEL, today=today, note="回访满意，工单办结")
    await _tell(conn, ticket, step="visited", body="已收到您的回访评价，整改工单已办结。感谢您的监督！")


async def _close(conn: BaseDBAsyncClient, ticket: RectificationTicket, *, actor: User | None, label: str,
                 today: date, note: str) -> None:
    ticket.state, ticket.stage, ticket.awaiting_supervisor, ticket.closed_on = S.CLOSED, G.NONE, False, today
    await ticket.save(using_db=conn)
    await _entry(conn, ticket, A.CLOSED, actor=actor, label=label, note=note)


async def record_return_visit(*, actor: User, ticket_id: int, level: RatingLevel, note: str | None, bus: Bus | None,
                              now: datetime | None = None) -> RectificationTicket:
    """The department's return visit by phone or in person, with the person's answer."""
    text = levels.check_comment(note, field="note")
    today = local_date(now or datetime.now(timezone.utc))
    label = await _staff_label(actor)

    async def change(conn: BaseDBAsyncClient, ticket: RectificationTicket) -> None:
        _as_staff(ticket, actor)
        await _visited(conn, ticket, level=level, note=text, actor=actor, label=label, today=today)

    return await _move(ticket_id, actor, bus, change)


async def answer_visit_in(conn: BaseDBAsyncClient, *, ticket_id: int, person: User, level: RatingLevel,
                          now: datetime, note: str = "") -> RectificationTicket:
    """The person's own answer to the return visit (one tap, or on the case page)."""
    ticket = await RectificationTicket.select_for_update().using_db(conn).get_or_none(id=ticket_id)
    if ticket is None or ticket.person_id != person.id:
        raise NotFoundError("未找到该整改工单")
    await _visited(conn, ticket, level=level, note=note, actor=person, label=f"评价人 · {person.name}",
                   today=local_date(now))
    return ticket


async def answer_visit(*, person: User, ticket_id: int, level: RatingLevel, note: str | None, bus: Bus | None,
                       now: datetime | None = None) -> RectificationTicket:
    text = levels.check_comment(note, field="note")
    async with in_transaction() as conn:
        ticket = await answer_visit_in(conn, ticket_id=ticket_id, person=person, level=level,
                                       now=now or datetime.now(timezone.utc), note=text)
    announce_notifications(bus)
    return ticket


# ---- the supervisor ------------------------------------------------------------------------


async def confirm(*, actor: User, ticket_id: int, agree: bool, note: str | None, days: TicketDays, bus: Bus | None,
                  now: datetime | None = None) -> RectificationTicket:
    """Confirm a "not true" finding (closed) or overrule it (the department rectifies), or close a
    ticket whose return visit was still bad once the supervisor is satisfied it was followed up."""
    if not is_supervisor(actor):
        raise NotPermittedError("只有电子监察人员可以确认")
    text = levels.check_comment(note, field="note")
    today = local_date(now or datetime.now(timezone.utc))
    label = f"电子监察 · {actor.name}"

    async def change(conn: BaseDBAsyncClient, ticket: RectificationTicket) -> None:
        if not ticket.awaiting_supervisor:
            raise _invalid(ticket, "由监察确认")
        if agree:
            await _entry(conn, ticket, A.CONFIRMED, actor=actor, label=label, note=text or "同意")
            await _close(conn, ticket, actor=actor, label=label, today=today, note=text or "监察确认办结")
            await _tell(conn, ticket, step="closed", body=f"电子监察人员已确认，整改工单办结。{text}")
            return
        if ticket.state is not S.VERIFIED:
            raise ValidationError(field="agree", message="回访后的工单只能确认办结")
        ticket.found_true, ticket.stage, ticket.awaiting_supervisor = True, G.RECTIFY, False
        ticket.rectify_due = _add(today, days.rectify)
        await ticket.save(using_db=conn)
        await _entry(conn, ticket, A.OVERRULED, actor=actor, label=label, note=text or "认定属实，请整改")
        await _tell(conn, ticket, step="overruled",
                    body=f"电子监察人员认定您反映的问题属实，承办部门将于 {ticket.rectify_due:%m月%d日} 前完成整改。")

    return await _move(ticket_id, actor, bus, change)


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    states: tuple[TicketState, ...] = ()
    department_code: str | None = None
    item_code: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    overdue_only: bool = False
    awaiting_supervisor: bool | None = None


async def list_tickets(*, viewer: User, where: TicketFilter, first: int = 50,
                       today: date | None = None) -> list[RectificationTicket]:
    """Staff: their department's tickets; supervisors: every department's. Newest first."""
    first = check_page_size(first)
    today = today or local_date(datetime.now(timezone.utc))
    query = RectificationTicket.all()
    if not is_supervisor(viewer):
        department_id = staff_department(viewer)
        if department_id is None:
            raise NotPermittedError("只有窗口工作人员或电子监察人员可以查看整改工单")
        query = query.filter(department_id=department_id)
    if where.department_code:
        department = await Department.get_or_none(code=where.department_code.strip())
        if department is None:
            raise ValidationError(field="departmentCode", message="没有这个部门")
        query = query.filter(department_id=department.id)
    if where.item_code:
        query = query.filter(item__code=where.item_code.strip())
    if where.states:
        query = query.filter(state__in=list(where.states))
    if where.opened_from:
        query = query.filter(opened_on__gte=where.opened_from)
    if where.opened_to:
        query = query.filter(opened_on__lte=where.opened_to)
    if where.awaiting_supervisor is not None:
        query = query.filter(awaiting_supervisor=where.awaiting_supervisor)
    if where.overdue_only:
        query = query.filter(Q(stage=G.VERIFY, verify_due__lt=today) | Q(stage=G.RECTIFY, rectify_due__lt=today)
                             | Q(stage=G.VISIT, visit_due__lt=today))
    return list(await query.order_by("-id").limit(first))


async def get_ticket(*, viewer: User, ticket_id: int) -> RectificationTicket | None:
    ticket = await RectificationTicket.get_or_none(id=ticket_id)
    if ticket is None:
        return None
    return ticket if _may_see(ticket, viewer) or ticket.person_id == viewer.id else None


async def entries_by_ticket_id(ids: list[int]) -> list[list[TicketEntry]]:
    grouped: dict[int, list[TicketEntry]] = {i: [] for i in ids}
    for row in await TicketEntry.filter(ticket_id__in=ids).order_by("id"):
        grouped[row.ticket_id].append(row)
    return [grouped[i] for i in ids]


async def tickets_by_rating_id(ids: list[int]) -> list[RectificationTicket | None]:
    found = {row.rating_id: row for row in await RectificationTicket.filter(rating_id__in=ids)}
    return [found.get(i) for i in ids]


async def ratings_by_id(ids: list[int]) -> list[Rating | None]:
    found = {row.id: row for row in await Rating.filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def visit_ticket_for(*, case_id: int, user_id: int) -> RectificationTicket | None:
    """The ticket waiting for this person's return-visit answer on this case (for the push token)."""
    return await RectificationTicket.filter(case_id=case_id, person_id=user_id, state=S.RECTIFIED).first()


# ---- 电子监察 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketSupervision:
    warned: int
    flagged_overdue: int


async def supervise_tickets(*, now: datetime | None = None) -> TicketSupervision:
    """Warn on the last working day of a step, flag it once it has passed: once per step, claimed
    by a conditional update so concurrent runs write each entry once."""
    today = local_date(now or datetime.now(timezone.utc))
    warned = flagged = 0
    running = await RectificationTicket.filter(stage__in=(G.VERIFY, G.RECTIFY, G.VISIT))
    for ticket in running:
        due = due_of(ticket)
        if due is None:
            continue
        if today > due and ticket.overdue_stage is not ticket.stage:
            flagged += await _flag(ticket, field_name="overdue_stage", action=A.OVERDUE,
                                   note=f"{_STEP[ticket.stage]}已超过期限（{due:%Y年%m月%d日}）")
        elif today <= due and working_calendar().working_days_between(today, due) == 0 \
                and ticket.warned_stage is not ticket.stage:
            warned += await _flag(ticket, field_name="warned_stage", action=A.DUE_SOON,
                                  note=f"{_STEP[ticket.stage]}将于 {due:%Y年%m月%d日} 到期")
    return TicketSupervision(warned=warned, flagged_overdue=flagged)


_STEP = {G.VERIFY: "核实", G.RECTIFY: "整改", G.VISIT: "回访"}


async def _flag(ticket: RectificationTicket, *, field_name: str, action: TicketAction, note: str) -> int:
    async with in_transaction() as conn:
        unclaimed = Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__not": ticket.stage})
        claimed = await RectificationTicket.filter(unclaimed, id=ticket.id, stage=ticket.stage).using_db(conn).update(
            **{field_name: ticket.stage})
        if not claimed:
            return 0
        await _entry(conn, ticket, action, actor=None, label=SYSTEM_LABEL, note=note)
    return 1


async def cases_by_id(ids: list[int]) -> list[Case | None]:
    found = {row.id: row for row in await Case.filter(id__in=ids)}
    return [found.get(i) for i in ids]

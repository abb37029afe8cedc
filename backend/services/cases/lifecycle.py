"""The case lifecycle (Art. 16–18, 20, 33): who may move a case where, and what each move records.

Every move runs in one transaction: the case row is locked, the transition is checked against
TRANSITIONS, the case is changed and its event written; the bus hears of it after commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Awaitable, Callable, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Case, CaseMaterial, Department, User
from backend.models.cases import CaseEventKind, CaseStatus, DeliveryMethod, MaterialProvision
from backend.services.cases.access import CaseScope, case_scope, item_code
from backend.services.cases.events import announce, record_event
from backend.services.cases.deadlines import due_dates
from backend.services.workdays import local_date
from backend.services.errors import InvalidTransitionError, NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.identifiers import mask_numbers
from backend.services.licenses.registry import issue_for_case
from backend.services.workdays import working_calendar

S = CaseStatus
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.REJECTED, S.WITHDRAWN}),
    S.SUPPLEMENT_REQUESTED: frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.WITHDRAWN, S.TERMINATED}),
    S.ACCEPTED: frozenset({S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN, S.TERMINATED}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.SUPPLEMENT_REQUESTED, S.WITHDRAWN, S.TERMINATED}),
    S.APPROVED: frozenset({S.DELIVERED}),
}
# When the applicant may supply what is owed. 容缺 materials are owed from submission: the promise
# (Art. 17; 002 §24) is to supply them, and the deadline that starts at acceptance is only the
# latest day. Supplied before acceptance, the case reaches the window complete and is accepted
# without a 容缺 deadline.
SUPPLEMENTABLE = frozenset({S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.ACCEPTED, S.UNDER_REVIEW})
MAX_NOTE = 500
SYSTEM_LABEL = "电子监察系统"
_TRACKING = re.compile(r"^[A-Za-z0-9-]{6,30}$")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def can_move(status: CaseStatus, target: CaseStatus) -> bool:
    return target in TRANSITIONS.get(status, frozenset())


def case_number(*, case_id: int, on: date) -> str:
    """Human-readable and unique: the day it was submitted and the row id."""
    return f"ZSB-{on:%Y%m%d}-{case_id:06d}"


def _text(value: str | None, *, field: str, required: bool, label: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(field=field, message=f"请填写{label}")
    if len(text) > MAX_NOTE:
        raise ValidationError(field=field, message=f"{label}不能超过 {MAX_NOTE} 字")
    return mask_numbers(text)  # kept in the case, its events and the applicant's inbox


async def _staff_label(user: User) -> str:
    department = await Department.get_or_none(id=user.department_id) if user.department_id else None
    return f"{department.name if department else '窗口'} · {user.name}"


@dataclass
class Move:
    """One change to a case, applied under the row lock."""

    kind: CaseEventKind
    target: CaseStatus | None  # None: the status stays (a note, a warning)
    note: str = ""
    data: dict[str, Any] | None = None
    apply: Callable[[Case, date], None] | None = None
    # Further writes in the same transaction (they run before the event, which goes last).
    also: Callable[[BaseDBAsyncClient], Awaitable[None]] | None = None


async def _load_visible(*, number: str, actor: User) -> tuple[Case, CaseScope, str]:
    case = await Case.get_or_none(number=number.strip())
    if case is None:
        raise NotFoundError("未找到该办件")
    scope = await case_scope(user=actor)
    code = await item_code(case.item_id)
    if not scope.sees(case, item_code=code):
        raise NotFoundError("未找到该办件")  # don't confirm that someone else's case exists
    return case, scope, code


async def as_staff(*, number: str, actor: User) -> Case:
    case, scope, _ = await _load_visible(number=number, actor=actor)
    if not scope.is_staff_of(case):
        raise NotPermittedError("只有承办部门的窗口工作人员可以办理此操作")
    return case


async def as_applicant(*, number: str, actor: User) -> Case:
    case, scope, item_code = await _load_visible(number=number, actor=actor)
    if case.applicant_id != actor.id and not scope.acts_for_enterprise(case, item_code=item_code):
        raise NotPermittedError("只有申请人（或企业授权的经办人）可以办理此操作")
    return case


async def apply_move(*, case: Case, move: Move, actor: User | None, actor_label: str, bus: Bus | None,
                     now: datetime | None = None, expect: Sequence[CaseStatus] | None = None) -> Case:
    now = now or now_utc()
    async with in_transaction() as conn:
        locked = await Case.select_for_update().using_db(conn).get(id=case.id)
        if expect is not None and locked.status not in expect:
            raise _invalid(locked.status, move)
        if move.target is not None and not can_move(locked.status, move.target):
            raise _invalid(locked.status, move)
        if move.apply is not None:
            move.apply(locked, local_date(now))
        if move.target is not None:
            locked.status = move.target
        await locked.save(using_db=conn)
        if move.also is not None:
            await move.also(conn)
        event = await record_event(conn, case=locked, kind=move.kind, actor=actor, actor_label=actor_label,
                                   note=move.note, data=move.data)
    announce(bus, event)
    return locked


def _invalid(status: CaseStatus, move: Move) -> InvalidTransitionError:
    return InvalidTransitionError(f"办件当前为“{status.label}”，不能进行“{move.kind.label}”", status=status.value)


# ---- staff (承办部门窗口) -------------------------------------------------------------


async def accept(*, number: str, actor: User, note: str | None, bus: Bus | None, deficiency_days: int,
                 now: datetime | None = None) -> Case:
    """受理: issues the acceptance notice and starts the working-day clock (Art. 17)."""
    case = await as_staff(number=number, actor=actor)
    text = _text(note, field="note", required=False, label="受理意见")
    deferred = await CaseMaterial.filter(case=case, outstanding=True, provision=MaterialProvision.DEFERRED).exists()
    moment = now or now_utc()

    def start_clock(row: Case, today: date) -> None:
        row.accepted_at = moment
        row.accepted_on = today
        row.promised_due, row.statutory_due = due_dates(
            accepted_on=today, promised_days=row.promised_days, statutory_days=row.statutory_days, paused_days=0)
        if deferred:  # 容缺受理: the promised materials are owed by this date
            row.supplement_deadline = working_calendar().add_working_days(today, deficiency_days)

    note_text = text or ("容缺受理：请在期限内补齐承诺的材料" if deferred else "材料齐全，予以受理")
    return await apply_move(case=case, move=Move(CaseEventKind.ACCEPTED, S.ACCEPTED, note_text, apply=start_clock),
                            actor=actor, actor_label=await _staff_label(actor), bus=bus, now=moment)


async def request_supplement(*, number: str, actor: User, material_ids: Sequence[int], note: str,
                             bus: Bus | None, now: datetime | None = None) -> Case:
    """要求补正, listing exactly which materials. After acceptance the clock stops meanwhile."""
    case = await as_staff(number=number, actor=actor)
    text = _text(note, field="note", required=True, label="补正说明")
    ids = sorted(set(material_ids))
    if not ids:
        raise ValidationError(field="materialIds", message="请选择需要补正的材料")
    rows = await CaseMaterial.filter(case=case, material_id__in=ids)
    if len(rows) != len(ids):
        raise ValidationError(field="materialIds", message="所选材料不属于该办件的办事指南")
    names = [row.name for row in sorted(rows, key=lambda r: r.position)]

    def pause(row: Case, today: date) -> None:
        row.resume_status = S.UNDER_REVIEW if row.accepted_on is not None else S.SUBMITTED
        row.supplement_note = text
        if row.accepted_on is not None and row.paused_on is None:
            row.paused_on = today

    async def mark_owed(conn: BaseDBAsyncClient) -> None:
        await CaseMaterial.filter(id__in=[row.id for row in rows]).using_db(conn).update(outstanding=True)

    move = Move(CaseEventKind.SUPPLEMENT_REQUESTED, S.SUPPLEMENT_REQUESTED, f"{text}（需补正：{'、'.join(names)}）",
                 data={"materials": names}, apply=pause, also=mark_owed)
    return await apply_move(case=case, move=move, actor=actor, actor_label=await _staff_label(actor), bus=bus, now=now)


async def start_review(*, number: str, actor: User, bus: Bus | None, now: datetime | None = None) -> Case:
    case = await as_staff(number=number, actor=actor)
    return await apply_move(case=case, move=Move(CaseEventKind.REVIEW_STARTED, S.UNDER_REVIEW, "进入审查"),
                            actor=actor, actor_label=await _staff_label(actor), bus=bus, now=now)


async def approve(*, number: str, actor: User, note: str | None, bus: Bus | None, now: datetime | None = None) -> Case:
    """批准: the result is issued now, which is when the case counts as completed (Art. 18)."""
    case = await as_staff(number=number, actor=actor)
    text = _text(note, field="note", required=False, label="审批意见") or "审批通过"
    owed = await CaseMaterial.filter(case=case, outstanding=True).values_list("name", flat=True)
    if owed:
        raise InvalidTransitionError(f"尚有材料未补齐（{'、'.join(owed)}），补齐后才能批准", status=case.status.value)
    moment = now or now_utc()

    def complete(row: Case, _today: date) -> None:
        row.completed_at = moment

    async def issue_license(conn: BaseDBAsyncClient) -> None:
        # An item that issues a license issues it with the decision, in its transaction (Art. 18).
        await issue_for_case(conn, case=case, on=local_date(moment))

    move = Move(CaseEventKind.APPROVED, S.APPROVED, text, apply=complete, also=issue_license)
    return await apply_move(case=case, move=move, actor=actor, actor_label=await _staff_label(actor), bus=bus,
                            now=moment)


async def reject(*, number: str, actor: User, reason: str, bus: Bus | None, now: datetime | None = None) -> Case:
    case = await as_staff(number=number, actor=actor)
    text = _text(reason, field="reason", required=True, label="不予批准的理由")
    moment = now or now_utc()

    def decide(row: Case, _today: date) -> None:
        row.decision_reason = text
        row.completed_at = moment

    return await apply_move(case=case, move=Move(CaseEventKind.REJECTED, S.REJECTED, text, apply=decide),
                            actor=actor, actor_label=await _staff_label(actor), bus=bus, now=moment)


async def deliver(*, number: str, actor: User, method: DeliveryMethod, tracking_number: str | None,
                  bus: Bus | None, now: datetime | None = None) -> Case:
    """送达 (Art. 20): window pickup, electronic, or mail with its tracking number."""
    case = await as_staff(number=number, actor=actor)
    tracking = (tracking_number or "").strip() or None
    if method is DeliveryMethod.MAIL and tracking is None:
        raise ValidationError(field="trackingNumber", message="邮寄送达须填写快递单号")
    if tracking is not None and not _TRACKING.match(tracking):
        raise ValidationError(field="trackingNumber", message="快递单号应为 6–30 位字母或数字")
    if method is not DeliveryMethod.MAIL:
        tracking = None

    def record(row: Case, _today: date) -> None:
        row.delivery_method = method
        row.tracking_number = tracking

    note = method.label + (f"，快递单号 {tracking}" if tracking else "")
    return await apply_move(case=case, move=Move(CaseEventKind.DELIVERED, S.DELIVERED, note,
                                                  data={"method": method.value}, apply=record),
                            actor=actor, actor_label=await _staff_label(actor), bus=bus, now=now)


async def explain_overdue(*, number: str, actor: User, reason: str, bus: Bus | None,
                          now: datetime | None = None) -> Case:
    """An overdue case carries the department's stated reason (Art. 33)."""
    case = await as_staff(number=number, actor=actor)
    text = _text(reason, field="reason", required=True, label="超期原因")
    if case.overdue_at is None:
        raise InvalidTransitionError("办件未超期，无需说明超期原因", status=case.status.value)

    def explain(row: Case, _today: date) -> None:
        row.overdue_reason = text

    return await apply_move(case=case, move=Move(CaseEventKind.OVERDUE_EXPLAINED, None, text, apply=explain),
                            actor=actor, actor_label=await _staff_label(actor), bus=bus, now=now)


# ---- applicant -------------------------------------------------------------------------


async def withdraw(*, number: str, actor: User, reason: str | None, bus: Bus | None,
                   now: datetime | None = None) -> Case:
    case = await as_applicant(number=number, actor=actor)
    text = _text(reason, field="reason", required=False, label="撤回原因") or "申请人撤回申请"
    moment = now or now_utc()

    def close(row: Case, _today: date) -> None:
        row.completed_at = moment

    return await apply_move(case=case, move=Move(CaseEventKind.WITHDRAWN, S.WITHDRAWN, text, apply=close),
                            actor=actor, actor_label=f"申请人 · {actor.name}", bus=bus, now=moment)


# ---- the system (电子监察) -------------------------------------------------------------


async def terminate(*, case: Case, reason: str, bus: Bus | None, now: datetime | None = None) -> Case:
    moment = now or now_utc()

    def close(row: Case, _today: date) -> None:
        row.decision_reason = reason
        row.completed_at = moment

    return await apply_move(case=case, move=Move(CaseEventKind.TERMINATED, S.TERMINATED, reason, apply=close),
                            actor=None, actor_label=SYSTEM_LABEL, bus=bus, now=moment)

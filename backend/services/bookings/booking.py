"""Booking a slot, cancelling and rescheduling, and reading one's bookings.

Capacity is exact under any concurrency: a place is taken by one conditional statement,
`UPDATE booking_slot SET booked = booked + 1 WHERE id = … AND booked < capacity`, as the last
statement of the booking's transaction (so the slot row is locked for the shortest time); no
row taken means the slot is full and the whole booking rolls back. On PostgreSQL that update,
the limits and the insert are one statement (place.take_place), and the checks before the
transaction one SELECT (place.read_slot): 3 statements a booking. A cancel gives the place
back in the same transaction as the status change, which is itself conditional
(`WHERE status = 'BOOKED'`), so a place is never given back twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise import timezone
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Booking, BookingSlot, BookingSuspension, Case, CaseEvent, Enterprise, ServiceItem, User
from backend.models.catalog import Audience
from backend.models.bookings import BookingStatus
from backend.models.cases import CaseEventKind
from backend.services.bookings.errors import (
    BookingCutoffError, BookingLimitError, BookingNotActiveError, BookingSuspendedError, SlotFullError,
)
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.bookings.schedule import clock
from backend.services.bookings import place
from backend.services.bookings.slots import offered_by
from backend.services.cases.events import announce, record_event
from backend.services.cases.lifecycle import as_applicant
from backend.services.workdays import local_date
from backend.services.errors import NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.accounts import enterprise_access
from backend.services.pagination import Page, check_page_size, decode_cursor

NUMBER_PREFIX = "YY"
NUMBER_ATTEMPTS = 3
ACTIVE = BookingStatus.BOOKED


@dataclass(frozen=True)
class BookingRequest:
    slot_id: int
    hall_id: int
    item_code: str
    enterprise_uscc: str | None = None
    case_number: str | None = None


def new_number(*, on: datetime) -> str:
    """Not guessable (someone else's booking is NOT_FOUND anyway), short enough to read out."""
    return f"{NUMBER_PREFIX}{local_date(on):%Y%m%d}{secrets.randbelow(10**10):010d}"


def active_key(*, user_id: int, item_id: int, day: object) -> str:
    return f"{user_id}:{item_id}:{day}"


def _check_not_suspended(suspension: BookingSuspension | None, *, now: datetime) -> None:
    """`suspension` is the person's longest-lasting one: if it has ended, all have."""
    if suspension is not None and suspension.until > now:
        until = suspension.until.astimezone(now.tzinfo)
        raise BookingSuspendedError(f"{suspension.reason}，网上预约暂停至 {until:%Y-%m-%d %H:%M}",
                                    until=suspension.until)


async def _checked_slot(request: BookingRequest, *, user: User, rules: BookingRules, now: datetime) -> BookingSlot:
    """The slot (with .item and .hall), after every check that needs no lock, from one query
    (place.read_slot): the slot's own errors first, then the person's suspension."""
    read = await place.read_slot(slot_id=request.slot_id, user_id=user.id)
    if read is None:
        raise ValidationError(field="slotId", message="预约时段不存在，请重新选择时段")
    slot = read.slot
    if slot.hall_id != request.hall_id:
        raise ValidationError(field="slotId", message="该时段不属于所选大厅，请重新选择时段")
    if slot.item.code != request.item_code.strip():
        raise ValidationError(field="slotId", message="该时段不是所选事项的预约时段，请重新选择时段")
    check_slot_open(slot, rules=rules, now=now)
    offered, closure = offered_by(slot, bookable=read.bookable, schedule=read.schedule, closure=read.closure)
    if closure is not None:
        raise ValidationError(field="slotId", message=f"{slot.hall.name}当天闭厅（{closure.reason}），请选择其他日期")
    if not offered:
        raise ValidationError(field="slotId", message="该时段已不再开放预约，请重新选择时段")
    _check_not_suspended(read.latest_suspension, now=now)
    return slot


def check_slot_open(slot: BookingSlot, *, rules: BookingRules, now: datetime) -> None:
    today = local_date(now)
    if slot.ends_at <= now or slot.day < today:
        raise ValidationError(field="slotId", message="该时段已经过去，请选择其他时段")
    if slot.day > today + timedelta(days=rules.days_ahead):
        raise ValidationError(field="slotId", message=f"预约只开放今天起 {rules.days_ahead} 天内的时段")
    if slot.starts_at - timedelta(minutes=rules.cutoff_minutes) <= now:
        raise BookingCutoffError(f"距开始已不足 {_span(rules.cutoff_minutes)}，该时段停止预约，请选择其他时段")


def _span(minutes: int) -> str:
    return f"{minutes // 60} 小时" if minutes % 60 == 0 else f"{minutes} 分钟"


async def _enterprise_for(user: User, *, uscc: str | None, item: ServiceItem) -> Enterprise | None:
    if not uscc or not uscc.strip():
        return None
    item_code = item.code
    if item.audience is Audience.PERSON:
        raise ValidationError(field="enterpriseUscc", message="该事项只面向个人办理，不能以企业名义预约")
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None:
        raise NotPermittedError("你不是该企业的法定代表人，或没有有效的经办授权")
    if "*" not in access.scope and item_code not in access.scope:
        raise NotPermittedError("你的经办授权不包含该事项，请联系企业法定代表人调整授权范围")
    return access.enterprise


async def _case_for(user: User, *, number: str | None, item_id: int) -> Case | None:
    if not number or not number.strip():
        return None
    try:
        case = await as_applicant(number=number.strip(), actor=user)
    except (NotFoundError, NotPermittedError):
        raise ValidationError(field="caseNumber", message="办件不存在，或你不是它的申请人") from None
    if case.item_id != item_id:
        raise ValidationError(field="caseNumber", message="该办件与所预约的事项不同")
    if case.status.is_final:
        raise ValidationError(field="caseNumber", message=f"该办件已{case.status.label}，无需再预约到厅")
    return case


async def _check_limits(conn: BaseDBAsyncClient, *, user: User, item_id: int, day: object,
                        rules: BookingRules, moving: int | None = None) -> None:
    """Under the person's row lock (taken by the caller), so two of their own requests at once
    cannot both pass; the unique active_key is the backstop for the per-day rule."""
    query = Booking.filter(user_id=user.id, status=ACTIVE).using_db(conn)
    if moving is not None:
        query = query.exclude(id=moving)
    active = await query.values_list("item_id", "day")  # one statement for both rules
    if moving is None and len(active) >= rules.max_active:
        raise BookingLimitError(f"每人最多同时保留 {rules.max_active} 个有效预约，请先办理或取消已有预约",
                                limit=rules.max_active)
    if (item_id, day) in {(i, d) for i, d in active}:
        raise BookingLimitError("同一事项每人每天只能预约一次", limit=1)


async def _take_place(conn: BaseDBAsyncClient, slot_id: int) -> None:
    taken = await BookingSlot.filter(id=slot_id, booked__lt=F("capacity")).using_db(conn).update(
        booked=F("booked") + 1)
    if not taken:
        raise SlotFullError("该时段已约满，请选择其他时段")


async def _give_back(conn: BaseDBAsyncClient, slot_id: int) -> None:
    await BookingSlot.filter(id=slot_id, booked__gt=0).using_db(conn).update(booked=F("booked") - 1)


def _where(slot: BookingSlot) -> str:
    return f"{slot.hall.name} {slot.day:%Y-%m-%d} {clock(slot.start_minute)}–{clock(slot.end_minute)}"


async def book(*, user: User, request: BookingRequest, rules: BookingRules, bus: Bus | None,
               now: datetime | None = None) -> Booking:
    now = now or now_local()
    slot = await _checked_slot(request, user=user, rules=rules, now=now)
    enterprise = await _enterprise_for(user, uscc=request.enterprise_uscc, item=slot.item)
    case = await _case_for(user, number=request.case_number, item_id=slot.item_id)
    key = active_key(user_id=user.id, item_id=slot.item_id, day=slot.day)
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            booking, event = await _book_once(user=user, slot=slot, enterprise=enterprise, case=case, key=key,
                                              rules=rules, now=now)
            break
        except IntegrityError:
            # Either unique index: the active key (the same person's other request for this item
            # and day won) or, rarely, the random number. Only the first is the person's error.
            if await Booking.exists(active_key=key) or attempt == NUMBER_ATTEMPTS - 1:
                raise BookingLimitError("同一事项每人每天只能预约一次", limit=1) from None
    if event is not None:
        announce(bus, event)
    # What the confirmation shows, already at hand: no read back.
    booking.hall, booking.item, booking.enterprise, booking.case = slot.hall, slot.item, enterprise, case
    return booking


async def _book_once(*, user: User, slot: BookingSlot, enterprise: Enterprise | None, case: Case | None, key: str,
                     rules: BookingRules, now: datetime) -> tuple[Booking, CaseEvent | None]:
    event = None
    async with in_transaction() as conn:
        await _lock_person(conn, user)
        booking = Booking(number=new_number(on=now), user_id=user.id, enterprise=enterprise, slot_id=slot.id,
                          hall_id=slot.hall_id, item_id=slot.item_id, day=slot.day, starts_at=slot.starts_at,
                          ends_at=slot.ends_at, status=ACTIVE, case=case, active_key=key)
        if place.takes_place_in_one_statement(conn):
            await _insert_taking_place(conn, booking, rules=rules)
        else:
            await _check_limits(conn, user=user, item_id=slot.item_id, day=slot.day, rules=rules)
            await booking.save(using_db=conn)
            await _take_place(conn, slot.id)
        if case is not None:
            event = await record_event(conn, case=case, kind=CaseEventKind.BOOKED, actor=user, actor_label=user.name,
                                       note=_where(slot), data={"booking": booking.number})
    return booking, event


async def _lock_person(conn: BaseDBAsyncClient, user: User) -> None:
    """The person's row lock: their concurrent requests pass the limits one at a time."""
    if place.takes_place_in_one_statement(conn):
        await place.lock_person(conn, user_id=user.id)
    else:
        await User.select_for_update().using_db(conn).get(id=user.id)


async def _insert_taking_place(conn: BaseDBAsyncClient, booking: Booking, *, rules: BookingRules) -> None:
    """PostgreSQL: the limits, the place and the row in one statement (place.take_place); the
    errors are those of _check_limits and _take_place, in the same order."""
    at = timezone.now()
    taken = await place.take_place(conn, booking=booking, max_active=rules.max_active, at=at)
    if taken.held >= rules.max_active:
        raise BookingLimitError(f"每人最多同时保留 {rules.max_active} 个有效预约，请先办理或取消已有预约",
                                limit=rules.max_active)
    if taken.same_day:
        raise BookingLimitError("同一事项每人每天只能预约一次", limit=1)
    if taken.booking_id is None:
        raise SlotFullError("该时段已约满，请选择其他时段")
    booking.id, booking.created_at, booking.updated_at = taken.booking_id, at, at
    booking._saved_in_db = True


# ---- reading ------------------------------------------------------------------------------


def _related(query):  # noqa: ANN001, ANN202 - a tortoise queryset
    return query.select_related("hall", "item", "enterprise", "case")


async def visible_booking(*, viewer: User, number: str) -> Booking | None:
    """The booker's own, or their enterprise's within scope; anybody else's is simply not there."""
    text = number.strip().upper()
    if not text.startswith(NUMBER_PREFIX) or len(text) > 24:
        return None
    row = await _related(Booking.filter(number=text)).first()
    if row is None:
        return None
    if row.user_id == viewer.id:
        return row
    if row.enterprise is not None and await _in_scope(viewer, row):
        return row
    return None


async def _in_scope(viewer: User, row: Booking) -> bool:
    """The enterprise's legal representative, or an agent whose live authority names the booked
    item: the rule of the enterprise's list (enterprise_bookings). Without the item check an
    agent authorised for one item could open, cancel or move any of the enterprise's bookings by
    number (found writing the access matrix's enterprise rows)."""
    access = await enterprise_access(user=viewer, uscc=row.enterprise.uscc)
    return access is not None and ("*" in access.scope or row.item.code in access.scope)


async def own_booking(*, viewer: User, number: str) -> Booking:
    row = await visible_booking(viewer=viewer, number=number)
    if row is None:
        raise NotFoundError("预约不存在")
    return row


async def my_bookings(*, user: User, first: int = 20, after: str | None = None) -> Page[Booking]:
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    query = Booking.filter(user_id=user.id)
    total = await query.count()
    rows = await _related(query.order_by("-starts_at", "-id").offset(offset).limit(first))
    return Page(nodes=rows, offset=offset, total_count=total)


async def enterprise_bookings(*, user: User, uscc: str, first: int = 20) -> list[Booking]:
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None:
        return []
    query = Booking.filter(enterprise_id=access.enterprise.id)
    if "*" not in access.scope:
        query = query.filter(Q(user_id=user.id) | Q(item__code__in=list(access.scope)))
    return list(await _related(query.order_by("-starts_at", "-id").limit(check_page_size(first))))


# ---- changing -----------------------------------------------------------------------------


def _check_active(booking: Booking) -> None:
    if booking.status is not ACTIVE:
        raise BookingNotActiveError(f"该预约{booking.status.label}，不能再更改", status=booking.status.value)


def _check_cutoff(booking: Booking, *, rules: BookingRules, now: datetime, what: str) -> None:
    if booking.starts_at - timedelta(minutes=rules.cutoff_minutes) <= now:
        raise BookingCutoffError(f"距预约开始已不足 {_span(rules.cutoff_minutes)}，不能再{what}")


async def cancel_booking(conn: BaseDBAsyncClient, *, booking: Booking, reason: str) -> bool:
    """In the caller's transaction: BOOKED → CANCELLED and the place back, or nothing (False)
    when it was no longer BOOKED. Shared by the person's cancel and a hall's closure."""
    changed = await Booking.filter(id=booking.id, status=ACTIVE).using_db(conn).update(
        status=BookingStatus.CANCELLED, active_key=None, cancel_reason=reason[:200], updated_at=now_local())
    if changed:
        await _give_back(conn, booking.slot_id)
    return bool(changed)


async def cancel(*, user: User, number: str, rules: BookingRules, now: datetime | None = None) -> Booking:
    now = now or now_local()
    booking = await own_booking(viewer=user, number=number)
    _check_active(booking)
    _check_cutoff(booking, rules=rules, now=now, what="取消")
    async with in_transaction() as conn:
        if not await cancel_booking(conn, booking=booking, reason="本人取消"):
            await booking.refresh_from_db(using_db=conn)
            _check_active(booking)
    await booking.refresh_from_db()
    return booking


async def reschedule(*, user: User, number: str, slot_id: int, rules: BookingRules,
                     now: datetime | None = None) -> Booking:
    """Move the booking (same number) to another slot of the same hall and item, in one
    transaction: the new place is taken before the old one is given back."""
    now = now or now_local()
    booking = await own_booking(viewer=user, number=number)
    _check_active(booking)
    _check_cutoff(booking, rules=rules, now=now, what="改约")
    if slot_id == booking.slot_id:
        raise ValidationError(field="slotId", message="请选择与原预约不同的时段")
    slot = await _checked_slot(BookingRequest(slot_id=slot_id, hall_id=booking.hall_id, item_code=booking.item.code),
                               user=user, rules=rules, now=now)
    try:
        async with in_transaction() as conn:
            await _lock_person(conn, user)
            locked = await Booking.select_for_update().using_db(conn).get(id=booking.id)
            _check_active(locked)
            await _check_limits(conn, user=user, item_id=slot.item_id, day=slot.day, rules=rules, moving=booking.id)
            await Booking.filter(id=booking.id).using_db(conn).update(
                slot_id=slot.id, day=slot.day, starts_at=slot.starts_at, ends_at=slot.ends_at,
                active_key=active_key(user_id=booking.user_id, item_id=slot.item_id, day=slot.day),
                reminded_day_at=None, reminded_hour_at=None, updated_at=now)
            await _take_place(conn, slot.id)
            await _give_back(conn, booking.slot_id)
    except IntegrityError:
        raise BookingLimitError("同一事项每人每天只能预约一次", limit=1) from None
    return await own_booking(viewer=user, number=booking.number)

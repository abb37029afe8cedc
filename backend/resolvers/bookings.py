"""Booking resolvers: check input, call one service, map the result."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import Info

from backend.models import Booking, ServiceItem, User
from backend.resolvers.inputs import record_id, record_key
from backend.resolvers.errors import user_errors
from backend.resolvers.pagination import page_info
from backend.schema.context import Context
from backend.schema.types import bookings as t
from backend.schema.types import errors as e
from backend.services.bookings import booking as service, checkin, hall_admin, slots
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.bookings.schedule import Hours, parse_minute, unique_days
from backend.services.workdays import local_date
from backend.services.errors import ValidationError


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


def _rules(info: Info[Context, None]) -> BookingRules:
    return BookingRules.of(info.context.settings)


def _id(raw: strawberry.ID, *, field: str, what: str) -> int:
    found = record_id(raw, model=Booking, field=field, message=f"{what}编号格式不正确")
    return found if found is not None else 0  # no row has id 0: the service answers not-found


def _item_code(raw: str) -> str:
    # An over-long code names no item: "" finds none, as an unknown code does.
    return record_key(raw, model=ServiceItem, column="code", field="itemCode", message="事项编码格式不正确") or ""


def _number(raw: str) -> str:
    # A booking number that could not have been issued (control characters, too long) names no
    # booking: "" is answered as not found, which every booking operation's union carries.
    try:
        return record_key(raw, model=Booking, column="number", field="number") or ""
    except ValidationError:
        return ""


# ---- queries ------------------------------------------------------------------------------


@user_errors
async def bookable_halls(item_code: str) -> list[t.BookableHall]:
    return [t.BookableHall.from_data(row) for row in await slots.bookable_halls(item_code=_item_code(item_code))]


@user_errors
async def hall_slots(info: Info[Context, None], hall_id: strawberry.ID, item_code: str,
                     from_: Annotated[date, strawberry.argument(name="from")],
                     to: date) -> list[t.BookingSlot]:
    views = await slots.hall_slots(hall_id=_id(hall_id, field="hallId", what="大厅"), item_code=_item_code(item_code),
                                   start=from_, end=to, rules=_rules(info), now=now_local())
    return [t.BookingSlot.from_data(view) for view in views]


@user_errors
async def my_bookings(info: Info[Context, None], first: int = 20, after: str | None = None) -> t.BookingConnection:
    page = await service.my_bookings(user=_viewer(info), first=first, after=after)
    edges = [t.BookingEdge(cursor=page.cursor_at(i), node=t.Booking.from_model(row)) for i, row in enumerate(page.nodes)]
    return t.BookingConnection(edges=edges, page_info=page_info(page), total_count=page.total_count)


@user_errors
async def booking(info: Info[Context, None], number: str) -> t.Booking | None:
    row = await service.visible_booking(viewer=_viewer(info), number=_number(number))
    return t.Booking.from_model(row) if row else None


@user_errors
async def booking_check_in_code(info: Info[Context, None], number: str) -> t.BookingCheckInCode:
    code = await checkin.check_in_code(viewer=_viewer(info), number=_number(number), signer=info.context.identity.codes,
                                       rules=_rules(info))
    return t.BookingCheckInCode.from_data(code)


@user_errors
async def hall_bookings(info: Info[Context, None], hall_id: strawberry.ID,
                        date: date | None = None) -> list[t.HallBooking]:
    day = date or local_date(now_local())
    rows = await hall_admin.hall_bookings(actor=_viewer(info), hall_id=_id(hall_id, field="hallId", what="大厅"),
                                          day=day)
    return [t.HallBooking.from_model(row) for row in rows]


# ---- mutations ----------------------------------------------------------------------------


@strawberry.input
class BookSlotInput:
    slot_id: strawberry.ID
    hall_id: strawberry.ID
    item_code: str
    enterprise_uscc: str | None = strawberry.field(default=None, description="以企业名义预约 (法定代表人或授权经办人)")
    case_number: str | None = strawberry.field(default=None, description="关联的办件 (补正、窗口领取)")


@strawberry.input(description="HH:MM; weekdays as 0=Monday … 6=Sunday")
class HallHoursInput:
    open_at: str
    close_at: str
    lunch_start: str | None = None
    lunch_end: str | None = None
    evening_weekdays: list[int] = strawberry.field(default_factory=list)
    evening_close_at: str | None = None
    weekend_days: list[int] = strawberry.field(default_factory=list)
    weekend_open_at: str | None = None
    weekend_close_at: str | None = None


@strawberry.input
class BookableItemInput:
    item_code: str
    window: str
    slot_minutes: int
    capacity: int
    active: bool = True


@strawberry.input
class SetHallScheduleInput:
    hall_id: strawberry.ID
    hours: HallHoursInput | None = strawberry.field(default=None, description="null: keep the hall's hours")
    items: list[BookableItemInput] = strawberry.field(default_factory=list,
                                                      description="Your department's items at the hall")


@strawberry.input
class CloseHallInput:
    hall_id: strawberry.ID
    date: date
    reason: str


_BOOKING_ERRORS = (t.SlotFullError | t.BookingLimitError | t.BookingSuspendedError | t.BookingCutoffError
                   | e.InputError | e.NotPermittedError | e.NotFoundError)
BookSlotResult = Annotated[t.BookingConfirmed | _BOOKING_ERRORS, strawberry.union("BookSlotResult")]
CancelBookingResult = Annotated[t.BookingCancelled | t.BookingNotActiveError | t.BookingCutoffError | e.NotFoundError,
                                strawberry.union("CancelBookingResult")]
RescheduleBookingResult = Annotated[t.BookingRescheduled | t.BookingNotActiveError | _BOOKING_ERRORS,
                                    strawberry.union("RescheduleBookingResult")]
CheckInBookingResult = Annotated[t.BookingCheckedIn | t.CheckInRefusedError | e.NotPermittedError | e.InputError,
                                 strawberry.union("CheckInBookingResult")]
SetHallScheduleResult = Annotated[t.HallScheduleSaved | e.InputError | e.NotPermittedError | e.NotFoundError,
                                  strawberry.union("SetHallScheduleResult")]
CloseHallResult = Annotated[t.HallClosed | e.InputError | e.NotPermittedError | e.NotFoundError,
                            strawberry.union("CloseHallResult")]


async def book_slot(info: Info[Context, None], input: BookSlotInput) -> BookSlotResult:
    request = service.BookingRequest(
        slot_id=_id(input.slot_id, field="slotId", what="时段"), hall_id=_id(input.hall_id, field="hallId", what="大厅"),
        item_code=_item_code(input.item_code), enterprise_uscc=input.enterprise_uscc, case_number=input.case_number)
    row = await service.book(user=_viewer(info), request=request, rules=_rules(info), bus=info.context.bus)
    return t.BookingConfirmed(booking=t.Booking.from_model(row))  # book() sets its hall, item, enterprise, case


async def cancel_booking(info: Info[Context, None], number: str) -> CancelBookingResult:
    row = await service.cancel(user=_viewer(info), number=_number(number), rules=_rules(info))
    return t.BookingCancelled(booking=t.Booking.from_model(await service.own_booking(viewer=_viewer(info),
                                                                                     number=row.number)))


async def reschedule_booking(info: Info[Context, None], number: str, slot_id: strawberry.ID) -> RescheduleBookingResult:
    row = await service.reschedule(user=_viewer(info), number=_number(number),
                                   slot_id=_id(slot_id, field="slotId", what="时段"), rules=_rules(info))
    return t.BookingRescheduled(booking=t.Booking.from_model(row))


async def check_in_booking(info: Info[Context, None], code: str) -> CheckInBookingResult:
    keys = info.context.identity.codes.published_jwks
    row = await checkin.check_in(actor=_viewer(info), code=code, keys=keys, bus=info.context.bus)
    full = await Booking.get(id=row.id).select_related("user", "item", "hall", "enterprise", "case")
    return t.BookingCheckedIn(booking=t.HallBooking.from_model(full))


def _hours(raw: HallHoursInput) -> Hours:
    def minute(value: str | None, field: str) -> int | None:
        return None if value is None or not value.strip() else parse_minute(value, field=f"hours.{field}")

    open_at, close_at = minute(raw.open_at, "openAt"), minute(raw.close_at, "closeAt")
    if open_at is None or close_at is None:
        raise ValidationError(field="hours.openAt", message="请填写上班和下班时间")
    return Hours(open_minute=open_at, close_minute=close_at, lunch_start=minute(raw.lunch_start, "lunchStart"),
                 lunch_end=minute(raw.lunch_end, "lunchEnd"), evening_weekdays=unique_days(raw.evening_weekdays),
                 evening_close=minute(raw.evening_close_at, "eveningCloseAt"),
                 weekend_days=unique_days(raw.weekend_days), weekend_open=minute(raw.weekend_open_at, "weekendOpenAt"),
                 weekend_close=minute(raw.weekend_close_at, "weekendCloseAt"))


async def set_hall_schedule(info: Info[Context, None], input: SetHallScheduleInput) -> SetHallScheduleResult:
    hall_id = _id(input.hall_id, field="hallId", what="大厅")
    items = [hall_admin.ItemSetting(item_code=i.item_code, window=i.window, slot_minutes=i.slot_minutes,
                                    capacity=i.capacity, active=i.active) for i in input.items]
    schedule = await hall_admin.set_hall_schedule(actor=_viewer(info), hall_id=hall_id,
                                                  hours=_hours(input.hours) if input.hours else None, items=items)
    return t.HallScheduleSaved(hall_id=strawberry.ID(str(hall_id)), hours=t.HallHours.from_data(Hours.of(schedule)))


async def close_hall(info: Info[Context, None], input: CloseHallInput) -> CloseHallResult:
    hall_id = _id(input.hall_id, field="hallId", what="大厅")
    result = await hall_admin.close_hall(actor=_viewer(info), hall_id=hall_id, day=input.date, reason=input.reason,
                                         bus=info.context.bus)
    return t.HallClosed(hall_id=strawberry.ID(str(hall_id)), date=result.closure.day, reason=result.closure.reason,
                        cancelled_count=result.cancelled)

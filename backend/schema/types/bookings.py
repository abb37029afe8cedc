"""GraphQL types of booking (预约): bookable halls, slots, bookings, check-in codes, the hall's
day list, and the typed errors of the booking mutations."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Info

from backend.models import BookableItem
from backend.models import Booking as BookingModel
from backend.models import bookings as m
from backend.schema.context import Context
from backend.schema.errors import from_domain
from backend.schema.types.catalog import PageInfo, ServiceHall
from backend.schema.types.errors import ErrorCode
from backend.services.cases import applications
from backend.services.bookings.checkin import CheckInCode as CheckInCodeData
from backend.services.bookings.schedule import Hours, clock
from backend.services.bookings.slots import BookableHall as BookableHallData, SlotView
from backend.services.workdays import CHINA
from backend.services.errors import DomainError
from backend.services.identity.identifiers import mask_name

BookingStatus = strawberry.enum(m.BookingStatus, description="预约状态")


@strawberry.enum(description="时段类别: 工作日, 延时服务晚间, 周末预约服务")
class SlotKind(Enum):
    WORKDAY = "WORKDAY"
    EXTENDED = "EXTENDED"
    WEEKEND = "WEEKEND"


def _clock(minute: int | None) -> str | None:
    return None if minute is None else clock(minute)


@strawberry.type(description="大厅开放时间 (HH:MM); weekdays as 0=Monday … 6=Sunday")
class HallHours:
    open_at: str
    close_at: str
    lunch_start: str | None
    lunch_end: str | None
    evening_weekdays: list[int] = strawberry.field(description="延时服务 evenings")
    evening_close_at: str | None
    weekend_days: list[int] = strawberry.field(description="周末预约服务 days (5, 6)")
    weekend_open_at: str | None
    weekend_close_at: str | None

    @classmethod
    def from_data(cls, hours: Hours) -> HallHours:
        return cls(open_at=clock(hours.open_minute), close_at=clock(hours.close_minute),
                   lunch_start=_clock(hours.lunch_start), lunch_end=_clock(hours.lunch_end),
                   evening_weekdays=list(hours.evening_weekdays), evening_close_at=_clock(hours.evening_close),
                   weekend_days=list(hours.weekend_days), weekend_open_at=_clock(hours.weekend_open),
                   weekend_close_at=_clock(hours.weekend_close))


@strawberry.type(description="可预约此事项的大厅")
class BookableHall:
    hall: ServiceHall
    window: str = strawberry.field(description="办理窗口/区域")
    slot_minutes: int
    capacity: int = strawberry.field(description="每个时段的名额")
    hours: HallHours

    @classmethod
    def from_data(cls, data: BookableHallData) -> BookableHall:
        return cls(hall=ServiceHall.from_model(data.hall), window=data.bookable.window,
                   slot_minutes=data.bookable.slot_minutes, capacity=data.bookable.capacity,
                   hours=HallHours.from_data(Hours.of(data.schedule)))


@strawberry.type(description="预约时段")
class BookingSlot:
    id: strawberry.ID
    date: date
    start_time: str
    end_time: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    places_left: int
    kind: SlotKind
    open: bool = strawberry.field(description="false: past the cut-off, no longer bookable")

    @classmethod
    def from_data(cls, view: SlotView) -> BookingSlot:
        slot = view.slot
        return cls(id=strawberry.ID(str(slot.id)), date=slot.day, start_time=clock(slot.start_minute),
                   end_time=clock(slot.end_minute), starts_at=slot.starts_at, ends_at=slot.ends_at,
                   capacity=slot.capacity, places_left=view.places_left, kind=SlotKind(view.kind), open=view.open)


@strawberry.type(description="到厅须带的材料; onFile: 免证办, already proven by an e-license")
class BookingMaterial:
    name: str
    material_type: str
    copies: int
    required: bool
    on_file: bool
    license_name: str | None


def clock_times(row: BookingModel) -> tuple[str, str]:
    """The slot's start and end as the hall's clock shows them (China time, HH:MM)."""
    return f"{row.starts_at.astimezone(CHINA):%H:%M}", f"{row.ends_at.astimezone(CHINA):%H:%M}"


@strawberry.type(description="预约")
class Booking:
    number: str
    status: BookingStatus
    status_label: str
    hall: ServiceHall
    item_code: str
    item_name: str
    date: date
    start_time: str
    end_time: str
    starts_at: datetime
    ends_at: datetime
    enterprise_name: str | None
    enterprise_uscc: str | None
    case_number: str | None
    cancel_reason: str | None
    checked_in_at: datetime | None
    created_at: datetime
    ics_url: str = strawberry.field(description="GET: the booking as an .ics calendar file (with the token)")
    _place: strawberry.Private[tuple[int, int]]

    @classmethod
    def from_model(cls, row: BookingModel) -> Booking:
        start, end = row.starts_at, row.ends_at
        start_time, end_time = clock_times(row)
        return cls(
            number=row.number, status=row.status, status_label=row.status.label,
            hall=ServiceHall.from_model(row.hall), item_code=row.item.code, item_name=row.item.name, date=row.day,
            start_time=start_time, end_time=end_time, starts_at=start, ends_at=end,
            enterprise_name=row.enterprise.name if row.enterprise else None,
            enterprise_uscc=row.enterprise.uscc if row.enterprise else None,
            case_number=row.case.number if row.case else None, cancel_reason=row.cancel_reason,
            checked_in_at=row.checked_in_at, created_at=row.created_at, ics_url=f"/bookings/{row.number}.ics",
            _place=(row.hall_id, row.item_id),
        )

    @strawberry.field(description="办理窗口/区域")
    async def window(self) -> str:
        hall_id, item_id = self._place
        row = await BookableItem.get_or_none(hall_id=hall_id, item_id=item_id)
        return row.window if row else "综合窗口"

    @strawberry.field(description="须带材料 (the item's materials, 免证办 marked)")
    async def materials(self, info: Info[Context, None]) -> list[BookingMaterial]:
        viewer = info.context.viewer
        assert viewer is not None
        try:
            form = await applications.application_form(user=viewer, item_code=self.item_code,
                                                       enterprise_uscc=self.enterprise_uscc)
        except DomainError as error:
            raise from_domain(error) from error
        return [BookingMaterial(name=f.material.name, material_type=f.material.material_type.label,
                                copies=f.material.copies, required=f.material.required, on_file=f.on_file is not None,
                                license_name=f.on_file.license_type.name if f.on_file else None)
                for f in form.materials]


@strawberry.type
class BookingEdge:
    cursor: str
    node: Booking


@strawberry.type
class BookingConnection:
    edges: list[BookingEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="签到码: a signed, short-lived token and its QR code")
class BookingCheckInCode:
    token: str
    qr_svg: str
    expires_at: datetime

    @classmethod
    def from_data(cls, data: CheckInCodeData) -> BookingCheckInCode:
        return cls(token=data.token, qr_svg=data.qr_svg, expires_at=datetime.fromtimestamp(data.expires_at, CHINA))


@strawberry.type(description="大厅当日预约 (staff): the person's name masked")
class HallBooking:
    number: str
    status: BookingStatus
    status_label: str
    person_name: str
    enterprise_name: str | None
    item_code: str
    item_name: str
    start_time: str
    end_time: str
    checked_in_at: datetime | None

    @classmethod
    def from_model(cls, row: BookingModel) -> HallBooking:
        # Only what the day's list reads (user, item, enterprise): not Booking.from_model, which
        # needs the linked case fetched too.
        start_time, end_time = clock_times(row)
        return cls(number=row.number, status=row.status, status_label=row.status.label,
                   person_name=mask_name(row.user.name), enterprise_name=row.enterprise.name if row.enterprise else None,
                   item_code=row.item.code, item_name=row.item.name, start_time=start_time,
                   end_time=end_time, checked_in_at=row.checked_in_at)


# ---- mutation results ---------------------------------------------------------------------


@strawberry.type
class BookingConfirmed:
    booking: Booking


@strawberry.type
class BookingCancelled:
    booking: Booking


@strawberry.type
class BookingRescheduled:
    booking: Booking


@strawberry.type
class BookingCheckedIn:
    booking: HallBooking


@strawberry.type
class HallScheduleSaved:
    hall_id: strawberry.ID
    hours: HallHours


@strawberry.type
class HallClosed:
    hall_id: strawberry.ID
    date: date
    reason: str
    cancelled_count: int = strawberry.field(description="Bookings cancelled; every holder was told")


@strawberry.type(description="该时段已约满")
class SlotFullError:
    code: ErrorCode
    message: str


@strawberry.type(description="超出预约限制: 同一事项每天一次, 或同时有效的预约数")
class BookingLimitError:
    code: ErrorCode
    message: str
    limit: int


@strawberry.type(description="因多次预约未到，网上预约暂停")
class BookingSuspendedError:
    code: ErrorCode
    message: str
    until: datetime


@strawberry.type(description="已过预约/取消/改约的截止时间")
class BookingCutoffError:
    code: ErrorCode
    message: str


@strawberry.type(description="预约已取消、已签到或已爽约，不能再更改")
class BookingNotActiveError:
    code: ErrorCode
    message: str
    status: BookingStatus


@strawberry.enum
class CheckInRefusal(Enum):
    EXPIRED = "EXPIRED"
    REPLAYED = "REPLAYED"
    INVALID = "INVALID"
    NOT_TODAY = "NOT_TODAY"
    NOT_ACTIVE = "NOT_ACTIVE"


@strawberry.type(description="签到被拒: reason says why")
class CheckInRefusedError:
    code: ErrorCode
    message: str
    reason: CheckInRefusal

"""Hall staff's side: the day's list, the hall's schedule and bookable items, and closures
(an emergency closure cancels the day's bookings and tells every holder). Who may do what:
backend/services/bookings/staff.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import BookableItem, Booking, BookingSlot, HallClosure, HallSchedule, User
from backend.models.bookings import BookingStatus
from backend.models.notifications import NotificationKind
from backend.services.bookings.booking import cancel_booking
from backend.services.bookings.rules import now_local
from backend.services.bookings.schedule import Hours, check_hours
from backend.services.bookings.staff import department_items_at, hall_of
from backend.services.catalog.version import catalog_changed
from backend.services.workdays import local_date
from backend.services.errors import ValidationError
from backend.services.notifications.inbox import announce_notifications, notify

MAX_SLOT_MINUTES, MAX_CAPACITY, MAX_REASON = 240, 500, 200


@dataclass(frozen=True)
class ItemSetting:
    item_code: str
    window: str
    slot_minutes: int
    capacity: int
    active: bool = True


async def hall_bookings(*, actor: User, hall_id: int, day: date) -> list[Booking]:
    """The day's bookings at the hall for the actor's department's items, in slot order."""
    items = await department_items_at(actor=actor, hall_id=hall_id)
    return list(await Booking.filter(hall_id=hall_id, day=day, item_id__in=[i.id for i in items]).exclude(
        status=BookingStatus.CANCELLED).select_related("user", "item", "hall", "enterprise").order_by(
        "starts_at", "id"))


async def set_hall_schedule(*, actor: User, hall_id: int, hours: Hours | None,
                            items: Sequence[ItemSetting]) -> HallSchedule:
    """Hall-wide hours (any department stationed there) and the actor's own department's
    bookable items. A changed capacity applies to future slots already shown, too."""
    mine = {item.code: item for item in await department_items_at(actor=actor, hall_id=hall_id)}
    for index, setting in enumerate(items):
        where = f"items[{index}]"
        if setting.item_code.strip() not in mine:
            raise ValidationError(field=f"{where}.itemCode", message="只能设置本部门在该大厅办理的事项")
        if not 5 <= setting.slot_minutes <= MAX_SLOT_MINUTES:
            raise ValidationError(field=f"{where}.slotMinutes", message=f"时段长度须在 5 到 {MAX_SLOT_MINUTES} 分钟之间")
        if not 1 <= setting.capacity <= MAX_CAPACITY:
            raise ValidationError(field=f"{where}.capacity", message=f"每个时段的名额须在 1 到 {MAX_CAPACITY} 之间")
        if not setting.window.strip() or len(setting.window.strip()) > 80:
            raise ValidationError(field=f"{where}.window", message="请填写办理窗口或区域（不超过 80 字）")
    if hours is not None:
        check_hours(hours)
    now = now_local()
    async with in_transaction() as conn:
        if hours is not None:
            values = {"open_minute": hours.open_minute, "close_minute": hours.close_minute,
                      "lunch_start": hours.lunch_start, "lunch_end": hours.lunch_end,
                      "evening_weekdays": list(hours.evening_weekdays), "evening_close": hours.evening_close,
                      "weekend_days": list(hours.weekend_days), "weekend_open": hours.weekend_open,
                      "weekend_close": hours.weekend_close}
            await HallSchedule.update_or_create(defaults=values, hall_id=hall_id, using_db=conn)
        for setting in items:
            item = mine[setting.item_code.strip()]
            await BookableItem.update_or_create(
                defaults={"window": setting.window.strip(), "slot_minutes": setting.slot_minutes,
                          "capacity": setting.capacity, "active": setting.active},
                hall_id=hall_id, item_id=item.id, using_db=conn)
            await BookingSlot.filter(hall_id=hall_id, item_id=item.id, starts_at__gt=now).using_db(conn).update(
                capacity=setting.capacity)
    await catalog_changed()  # halls are part of the public catalog
    schedule = await HallSchedule.get_or_none(hall_id=hall_id)
    if schedule is None:
        raise ValidationError(field="hours", message="该大厅尚未设置开放时间，请一并填写")
    return schedule


@dataclass(frozen=True)
class ClosureResult:
    closure: HallClosure
    cancelled: int


async def close_hall(*, actor: User, hall_id: int, day: date, reason: str, bus: Bus | None,
                     now: datetime | None = None) -> ClosureResult:
    await department_items_at(actor=actor, hall_id=hall_id)
    hall = await hall_of(hall_id)
    now = now or now_local()
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise ValidationError(field="reason", message=f"请填写闭厅原因（不超过 {MAX_REASON} 字）")
    if day < local_date(now):
        raise ValidationError(field="date", message="不能设置已经过去的日期闭厅")
    if day > local_date(now) + timedelta(days=366):
        raise ValidationError(field="date", message="闭厅日期最多设在一年以内")
    affected = await Booking.filter(hall_id=hall_id, day=day, status=BookingStatus.BOOKED).select_related("item")
    cancelled = 0
    try:
        async with in_transaction() as conn:
            closure = await HallClosure.create(hall_id=hall_id, day=day, reason=text, emergency=bool(affected),
                                               created_by=actor, using_db=conn)
            for booking in affected:
                if await cancel_booking(conn, booking=booking, reason=f"大厅闭厅：{text}"):
                    cancelled += 1
                    await notify(conn, user_id=booking.user_id, kind=NotificationKind.BOOKING_CHANGED,
                                 title="预约已取消：大厅闭厅",
                                 body=f"{hall.name}因“{text}”于 {day:%Y-%m-%d} 闭厅，你预约的“{booking.item.name}”"
                                      f"（预约号 {booking.number}）已取消，请重新预约其他日期。",
                                 link=f"/bookings/{booking.number}", source=f"booking-closure:{booking.id}",
                                 case_id=booking.case_id)
    except IntegrityError:
        raise ValidationError(field="date", message=f"{hall.name}在 {day:%Y-%m-%d} 已设为闭厅") from None
    await catalog_changed()
    if cancelled:
        announce_notifications(bus)
    return ClosureResult(closure=closure, cancelled=cancelled)

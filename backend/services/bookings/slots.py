"""The halls that take bookings for an item, and their slots with the places left.

Slot rows are written the first time a day is shown (one INSERT … ON CONFLICT DO NOTHING per
request), so every slot has a stable id and its `booked` count is kept by the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.models import BookableItem, BookingSlot, HallClosure, HallSchedule, ServiceHall, ServiceItem
from backend.services.bookings.rules import BookingRules
from backend.services.bookings.schedule import Hours, moment, opening_on, slot_times
from backend.services.workdays import local_date
from backend.services.errors import NotFoundError, ValidationError

MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class BookableHall:
    hall: ServiceHall
    bookable: BookableItem
    schedule: HallSchedule


@dataclass(frozen=True)
class SlotView:
    slot: BookingSlot
    kind: str  # WORKDAY, EXTENDED, WEEKEND
    open: bool  # still bookable now (not past the cut-off)

    @property
    def places_left(self) -> int:
        return max(0, self.slot.capacity - self.slot.booked)


async def item_by_code(item_code: str, *, field: str = "itemCode") -> ServiceItem:
    item = await ServiceItem.get_or_none(code=item_code.strip())
    if item is None:
        raise ValidationError(field=field, message="事项不存在，请从事项目录重新进入")
    return item


async def bookable_halls(*, item_code: str) -> list[BookableHall]:
    """Halls that handle the item and take bookings for it, city hall first."""
    item = await item_by_code(item_code)
    rows = await BookableItem.filter(item=item, active=True).select_related("hall")
    schedules = {s.hall_id: s for s in await HallSchedule.filter(hall_id__in=[r.hall_id for r in rows])}
    found = [BookableHall(hall=r.hall, bookable=r, schedule=schedules[r.hall_id]) for r in rows if r.hall_id in schedules]
    return sorted(found, key=lambda b: (b.hall.sort_order, b.hall.id))


async def bookable_at(*, hall_id: int, item: ServiceItem) -> tuple[BookableItem, HallSchedule]:
    bookable = await BookableItem.get_or_none(hall_id=hall_id, item=item, active=True)
    schedule = await HallSchedule.get_or_none(hall_id=hall_id)
    if bookable is None or schedule is None:
        if not await ServiceHall.exists(id=hall_id):
            raise NotFoundError("服务大厅不存在")
        raise ValidationError(field="hallId", message="该大厅不提供此事项的预约，请选择其他大厅")
    return bookable, schedule


def bookable_days(*, today: date, rules: BookingRules) -> tuple[date, date]:
    return today, today + timedelta(days=rules.days_ahead)


async def closed_days(*, hall_id: int, start: date, end: date) -> dict[date, HallClosure]:
    return {c.day: c for c in await HallClosure.filter(hall_id=hall_id, day__gte=start, day__lte=end)}


def planned(*, hours: Hours, bookable: BookableItem, day: date, closed: bool) -> tuple[str, list[tuple[int, int]]]:
    opening = opening_on(hours, day, closed=closed)
    if opening is None:
        return "", []
    return opening.kind, slot_times(opening, slot_minutes=bookable.slot_minutes)


async def hall_slots(*, hall_id: int, item_code: str, start: date, end: date, rules: BookingRules,
                     now: datetime) -> list[SlotView]:
    item = await item_by_code(item_code)
    bookable, schedule = await bookable_at(hall_id=hall_id, item=item)
    today = local_date(now)
    first, last = bookable_days(today=today, rules=rules)
    if end < start:
        raise ValidationError(field="to", message="结束日期不能早于开始日期")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationError(field="to", message=f"一次最多查询 {MAX_RANGE_DAYS} 天")
    if start < today:
        raise ValidationError(field="from", message="不能预约已经过去的日期")
    if start > last:
        raise ValidationError(field="from", message=f"预约只开放今天起 {rules.days_ahead} 天内的时段")
    end = min(end, last)
    hours = Hours.of(schedule)
    closures = await closed_days(hall_id=hall_id, start=start, end=end)
    wanted: dict[tuple[date, int], tuple[str, int]] = {}
    day = start
    while day <= end:
        kind, times = planned(hours=hours, bookable=bookable, day=day, closed=day in closures)
        for begin, finish in times:
            wanted[(day, begin)] = (kind, finish)
        day += timedelta(days=1)
    if not wanted:
        return []
    await BookingSlot.bulk_create([
        BookingSlot(hall_id=hall_id, item_id=item.id, day=d, start_minute=m, end_minute=finish,
                    starts_at=moment(d, m), ends_at=moment(d, finish), capacity=bookable.capacity)
        for (d, m), (_kind, finish) in wanted.items()
    ], ignore_conflicts=True)
    rows = await BookingSlot.filter(hall_id=hall_id, item_id=item.id, day__gte=start, day__lte=end).order_by(
        "day", "start_minute")
    cutoff = now + timedelta(minutes=rules.cutoff_minutes)
    return [SlotView(slot=row, kind=wanted[(row.day, row.start_minute)][0], open=row.starts_at > cutoff)
            for row in rows if (row.day, row.start_minute) in wanted
            and wanted[(row.day, row.start_minute)][1] == row.end_minute]


def offered_by(slot: BookingSlot, *, bookable: BookableItem | None, schedule: HallSchedule | None,
               closure: HallClosure | None) -> tuple[bool, HallClosure | None]:
    """Whether the hall's current schedule still has this slot (a schedule can change after a
    slot row was written), and the closure that took its day away, if any; on rows already read
    (booking reads them with the slot, in one query: place.read_slot)."""
    if bookable is None or schedule is None or closure is not None:
        return False, closure
    _kind, times = planned(hours=Hours.of(schedule), bookable=bookable, day=slot.day, closed=False)
    return (slot.start_minute, slot.end_minute) in times, None

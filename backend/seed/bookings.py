"""Demo booking schedules for the seeded halls (marked demo in docs/BOOKINGS.md): opening hours
from each hall's published hours, a 延时服务 evening, Saturday-morning service at the city hall
and one district hall (Art. 21), and every item a hall handles bookable in 30-minute slots."""

from __future__ import annotations

from tortoise import connections

from backend.models import BookableItem, Department, HallSchedule, ServiceHall, ServiceItem
from backend.models.catalog import HallLevel
from backend.seed.reference import CITY_HALL

SLOT_MINUTES = 30
_H = 60


def _hours(hall: ServiceHall) -> dict[str, object]:
    base: dict[str, object] = {"open_minute": 9 * _H, "close_minute": 17 * _H, "lunch_start": 12 * _H,
                               "lunch_end": 13 * _H, "evening_weekdays": [], "evening_close": None,
                               "weekend_days": [], "weekend_open": None, "weekend_close": None}
    if hall.name == CITY_HALL:  # “周六上午提供预约服务”, and Thursday evenings until 19:00
        base |= {"evening_weekdays": [3], "evening_close": 19 * _H, "weekend_days": [5],
                 "weekend_open": 9 * _H, "weekend_close": 12 * _H}
    elif hall.level is HallLevel.DISTRICT:
        base |= {"evening_weekdays": [2], "evening_close": 19 * _H}
        if hall.district == "雁塔区":
            base |= {"weekend_days": [5], "weekend_open": 9 * _H, "weekend_close": 12 * _H}
    return base


async def seed_bookings() -> None:
    """Idempotent: a schedule or bookable item already there (perhaps changed by staff) is kept."""
    halls = await ServiceHall.all()
    for hall in halls:
        await HallSchedule.get_or_create(defaults=_hours(hall), hall=hall)
    _, pairs = await connections.get("default").execute_query(
        "SELECT service_item_id, servicehall_id FROM service_item_hall")
    departments = {d.id: d.name for d in await Department.all()}
    item_departments = dict(await ServiceItem.all().values_list("id", "department_id"))
    capacity = {hall.id: 6 if hall.name == CITY_HALL else 3 for hall in halls}
    await BookableItem.bulk_create([
        BookableItem(hall_id=row["servicehall_id"], item_id=row["service_item_id"], slot_minutes=SLOT_MINUTES,
                     capacity=capacity.get(row["servicehall_id"], 3),
                     window=f"{departments.get(item_departments.get(row['service_item_id']), '综合')}窗口")
        for row in pairs
    ], ignore_conflicts=True)

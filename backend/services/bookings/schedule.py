"""When a hall takes bookings: the working-day calendar (2025–2027), the hall's own hours,
its extended-hours evenings and weekend service days (Art. 21), minus its closures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Sequence

from backend.models import HallSchedule
from backend.services.workdays import CHINA
from backend.services.errors import ValidationError
from backend.services.workdays import working_calendar

DAY_MINUTES = 24 * 60
_SATURDAY = 5


@dataclass(frozen=True)
class Hours:
    """The hall's hours as plain values (from a row, or input not yet saved)."""

    open_minute: int
    close_minute: int
    lunch_start: int | None = None
    lunch_end: int | None = None
    evening_weekdays: tuple[int, ...] = ()
    evening_close: int | None = None
    weekend_days: tuple[int, ...] = ()
    weekend_open: int | None = None
    weekend_close: int | None = None

    @classmethod
    def of(cls, row: HallSchedule) -> Hours:
        return cls(open_minute=row.open_minute, close_minute=row.close_minute, lunch_start=row.lunch_start,
                   lunch_end=row.lunch_end, evening_weekdays=tuple(row.evening_weekdays),
                   evening_close=row.evening_close, weekend_days=tuple(row.weekend_days),
                   weekend_open=row.weekend_open, weekend_close=row.weekend_close)


@dataclass(frozen=True)
class DayOpening:
    periods: tuple[tuple[int, int], ...]  # minute ranges, lunch taken out
    kind: str  # WORKDAY, EXTENDED (延时服务 evening) or WEEKEND (周末预约服务)


def opening_on(hours: Hours, day: date, *, closed: bool = False) -> DayOpening | None:
    """The hall's hours on `day`, or None when it takes no bookings that day."""
    if closed:
        return None
    calendar = working_calendar()
    if calendar.is_working_day(day):
        extended = day.weekday() in hours.evening_weekdays and hours.evening_close is not None
        close = hours.evening_close if extended and hours.evening_close else hours.close_minute
        return DayOpening(periods=_without_lunch(hours, hours.open_minute, close),
                          kind="EXTENDED" if extended else "WORKDAY")
    # Weekend service days, but never in a published holiday spell (春节, 国庆 …).
    if (day.weekday() >= _SATURDAY and day.weekday() in hours.weekend_days and not calendar.is_holiday(day)
            and hours.weekend_open is not None and hours.weekend_close is not None):
        return DayOpening(periods=_without_lunch(hours, hours.weekend_open, hours.weekend_close), kind="WEEKEND")
    return None


def _without_lunch(hours: Hours, start: int, end: int) -> tuple[tuple[int, int], ...]:
    if hours.lunch_start is None or hours.lunch_end is None or hours.lunch_end <= start or hours.lunch_start >= end:
        return ((start, end),)
    return tuple(p for p in ((start, hours.lunch_start), (hours.lunch_end, end)) if p[0] < p[1])


def slot_times(opening: DayOpening, *, slot_minutes: int) -> list[tuple[int, int]]:
    """Whole slots inside each open period; a remainder too short for a slot is not offered."""
    times = []
    for start, end in opening.periods:
        minute = start
        while minute + slot_minutes <= end:
            times.append((minute, minute + slot_minutes))
            minute += slot_minutes
    return times


def moment(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=CHINA) + timedelta(minutes=minute)


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(text: str, *, field: str) -> int:
    """"HH:MM" (24:00 allowed as the end of a day) to minutes after midnight."""
    try:
        hours, minutes = text.strip().split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        value = int(hours) * 60 + int(minutes)
        if not (0 <= int(minutes) < 60 and 0 <= value <= DAY_MINUTES):
            raise ValueError
    except ValueError:
        raise ValidationError(field=field, message="时间格式应为 HH:MM，例如 09:00") from None
    return value


def check_hours(hours: Hours) -> Hours:
    """Hours that make sense, or a ValidationError naming the input at fault."""
    if hours.open_minute >= hours.close_minute:
        raise ValidationError(field="closeAt", message="下班时间须晚于上班时间")
    if (hours.lunch_start is None) != (hours.lunch_end is None):
        raise ValidationError(field="lunchEnd", message="午休须同时填写开始和结束时间")
    if hours.lunch_start is not None and hours.lunch_end is not None and not (
            hours.open_minute < hours.lunch_start < hours.lunch_end < hours.close_minute):
        raise ValidationError(field="lunchStart", message="午休须在上班时间之内，且结束晚于开始")
    if any(d not in range(0, 5) for d in hours.evening_weekdays):
        raise ValidationError(field="eveningWeekdays", message="延时服务只能设在周一至周五（0–4）")
    if hours.evening_weekdays and (hours.evening_close is None or hours.evening_close <= hours.close_minute):
        raise ValidationError(field="eveningCloseAt", message="延时服务的结束时间须晚于平日下班时间")
    if any(d not in (5, 6) for d in hours.weekend_days):
        raise ValidationError(field="weekendDays", message="周末服务日只能是周六（5）或周日（6）")
    if hours.weekend_days and (hours.weekend_open is None or hours.weekend_close is None
                               or hours.weekend_open >= hours.weekend_close):
        raise ValidationError(field="weekendCloseAt", message="请填写周末服务的开始和结束时间，且结束晚于开始")
    return hours


def unique_days(values: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(set(values)))

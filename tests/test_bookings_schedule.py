"""The hall's hours on the working-day calendar: holidays, 调休 weekends, 延时服务 evenings,
weekend service days, lunch, and schedule input checks."""

from __future__ import annotations

from datetime import date

import pytest

from backend.services.bookings.schedule import Hours, check_hours, opening_on, slot_times
from backend.services.errors import ValidationError

CITY = Hours(open_minute=540, close_minute=1020, lunch_start=720, lunch_end=780, evening_weekdays=(3,),
             evening_close=1140, weekend_days=(5,), weekend_open=540, weekend_close=720)


def test_a_working_day_has_morning_and_afternoon_around_lunch() -> None:
    opening = opening_on(CITY, date(2026, 12, 7))  # a Monday
    assert opening is not None and opening.kind == "WORKDAY"
    assert opening.periods == ((540, 720), (780, 1020))
    assert slot_times(opening, slot_minutes=30)[:2] == [(540, 570), (570, 600)]
    assert len(slot_times(opening, slot_minutes=30)) == 6 + 8
    assert len(slot_times(opening, slot_minutes=50)) == 3 + 4  # a remainder too short is not offered


def test_the_extended_evening_runs_late_and_the_weekend_day_only_in_the_morning() -> None:
    thursday = opening_on(CITY, date(2026, 12, 10))
    assert thursday is not None and thursday.kind == "EXTENDED" and thursday.periods[-1] == (780, 1140)
    saturday = opening_on(CITY, date(2026, 12, 12))
    assert saturday is not None and saturday.kind == "WEEKEND" and saturday.periods == ((540, 720),)
    assert opening_on(CITY, date(2026, 12, 13)) is None  # Sunday: no service


def test_holidays_close_the_hall_and_adjusted_weekends_open_it() -> None:
    assert opening_on(CITY, date(2026, 10, 1)) is None  # 国庆节, a Thursday
    assert opening_on(CITY, date(2026, 10, 3)) is None  # a Saturday inside the holiday: no weekend service
    working_sunday = opening_on(CITY, date(2026, 9, 20))  # 调休上班日
    assert working_sunday is not None and working_sunday.kind == "WORKDAY"
    assert opening_on(CITY, date(2026, 12, 7), closed=True) is None


@pytest.mark.parametrize(("hours", "field"), [
    (Hours(open_minute=600, close_minute=540), "closeAt"),
    (Hours(open_minute=540, close_minute=1020, lunch_start=720), "lunchEnd"),
    (Hours(open_minute=540, close_minute=1020, lunch_start=500, lunch_end=560), "lunchStart"),
    (Hours(open_minute=540, close_minute=1020, evening_weekdays=(5,), evening_close=1140), "eveningWeekdays"),
    (Hours(open_minute=540, close_minute=1020, evening_weekdays=(2,), evening_close=1000), "eveningCloseAt"),
    (Hours(open_minute=540, close_minute=1020, weekend_days=(4,)), "weekendDays"),
    (Hours(open_minute=540, close_minute=1020, weekend_days=(6,)), "weekendCloseAt"),
])
def test_schedule_input_that_makes_no_sense_names_the_field(hours: Hours, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        check_hours(hours)
    assert error.value.field == field

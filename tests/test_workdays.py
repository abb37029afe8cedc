"""The working-day calendar against the State Council holiday schedules."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from backend.services.workdays import WorkingCalendar, working_calendar


def test_covers_the_published_and_projected_years() -> None:
    cal = working_calendar()
    assert cal.years == {2025, 2026, 2027}
    assert cal.covers(2026) and not cal.covers(2024)
    assert cal.is_projected(2027) and not cal.is_projected(2026)


def test_adjusted_days() -> None:
    cal = working_calendar()
    assert cal.is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday, 调休上班
    assert cal.is_working_day(date(2026, 1, 4))  # Sunday, 调休上班
    assert not cal.is_working_day(date(2026, 2, 16))  # Monday, 春节
    assert not cal.is_working_day(date(2026, 2, 21))  # plain Saturday
    assert cal.is_working_day(date(2026, 2, 24))  # first working day after 春节


def test_add_working_days() -> None:
    cal = working_calendar()
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)
    assert cal.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 13), 20) == date(2026, 3, 19)  # 2-14, 2-24..2-28, then three 5-day weeks


def test_add_zero_days() -> None:
    cal = working_calendar()
    assert cal.add_working_days(date(2026, 2, 17), 0) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 14)


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError, match="-1"):
        working_calendar().add_working_days(date(2026, 3, 2), -1)


def test_working_days_between_across_spring_festival_2026() -> None:
    cal = working_calendar()
    # Working: 2-14 (Sat), 2-24..2-27, 2-28 (Sat); 2-15..2-23 off.
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    assert cal.working_days_between(date(2026, 2, 14), date(2026, 2, 23)) == 0
    assert cal.working_days_between(date(2026, 2, 28), date(2026, 2, 13)) == 0
    start = date(2026, 2, 13)
    assert cal.working_days_between(start, cal.add_working_days(start, 20)) == 20


def test_uncovered_year_falls_back_to_weekdays(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkingCalendar({"years": {}})
    with caplog.at_level(logging.WARNING, logger="backend.workdays"):
        assert cal.is_working_day(date(2030, 1, 1))  # Tuesday; 元旦 unknown without data
        assert not cal.is_working_day(date(2030, 1, 5))  # Saturday
        assert cal.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 7)
    assert [r.getMessage() for r in caplog.records] == [
        "no holiday data for 2030; counting Monday–Friday as working days"
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"holidays": [{"name": "x", "days": ["2026-02-14"]}], "working_weekends": ["2026-02-14"]},
         "2026-02-14: both a holiday and a working weekend"),
        ({"holidays": [{"name": "元旦", "days": ["2025-12-31"]}]}, "2025-12-31: listed under year 2026"),
        ({"working_weekends": ["2026-02-13"]}, "2026-02-13: working weekend is not a Saturday or Sunday"),
    ],
)
def test_bad_data_rejected(spec: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar({"years": {"2026": spec}})

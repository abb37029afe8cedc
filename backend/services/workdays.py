"""Working-day calendar of mainland China, in its one time zone, for counting 承诺办结时限 / 法定办结时限 in working days.

Data: ``workdays_cn.json`` next to this module, one entry per year from the State Council's annual
notice (国务院办公厅关于××年部分节假日安排的通知). Years flagged ``"projected"`` are our own
estimate until the notice is published and must be replaced then.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

logger = logging.getLogger("backend.workdays")

DATA_FILE = Path(__file__).with_name("workdays_cn.json")
_SATURDAY = 5  # date.weekday(): Monday == 0
CHINA = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The date in China of a moment: working days, due dates and quiet hours are counted in it."""
    return moment.astimezone(CHINA).date()


class WorkingCalendar:
    """Holidays (放假日) and adjusted working days (调休上班日) per covered year."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._holidays: set[date] = set()
        self._working_weekends: set[date] = set()
        self._projected: set[int] = set()
        # Uncovered years fall back to Monday–Friday; warn once per year, not on every call,
        # since a single deadline computation can touch the same year hundreds of times.
        self._warned: set[int] = set()
        for key, spec in data["years"].items():
            year = int(key)
            holidays = {_day(s, year) for h in spec.get("holidays", ()) for s in h["days"]}
            weekends = {_day(s, year) for s in spec.get("working_weekends", ())}
            for day in sorted(weekends):
                if day.weekday() < _SATURDAY:
                    raise ValueError(f"{day.isoformat()}: working weekend is not a Saturday or Sunday")
            if clash := sorted(holidays & weekends):
                raise ValueError(f"{clash[0].isoformat()}: both a holiday and a working weekend")
            self._holidays |= holidays
            self._working_weekends |= weekends
            if spec.get("projected"):
                self._projected.add(year)
        self._years = frozenset(int(key) for key in data["years"])

    @property
    def years(self) -> frozenset[int]:
        return self._years

    def covers(self, year: int) -> bool:
        return year in self._years

    def is_projected(self, year: int) -> bool:
        """True for years filled by estimate rather than from the published notice."""
        return year in self._projected

    def is_working_day(self, day: date) -> bool:
        if not self.covers(day.year):
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning("no holiday data for %d; counting Monday–Friday as working days", day.year)
            return day.weekday() < _SATURDAY
        if day in self._holidays:
            return False
        return day.weekday() < _SATURDAY or day in self._working_weekends

    def is_holiday(self, day: date) -> bool:
        """A day of a published holiday spell (放假日), weekends inside it included."""
        return day in self._holidays

    def add_working_days(self, start: date, days: int) -> date:
        """Due date of a limit of ``days`` working days from ``start``.

        The start day itself never counts (a case accepted on a working day is not "day 1" until
        the next working day), so the result is the ``days``-th working day after ``start``. With
        ``days == 0`` the result is ``start`` if that is a working day, else the next one.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end, i.e. the inverse of ``add_working_days``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _day(text: str, year: int) -> date:
    day = date.fromisoformat(text)
    if day.year != year:
        raise ValueError(f"{text}: listed under year {year}")
    return day


@functools.cache
def working_calendar() -> WorkingCalendar:
    """The calendar from ``workdays_cn.json``, read once per process."""
    return WorkingCalendar(json.loads(DATA_FILE.read_text(encoding="utf-8")))

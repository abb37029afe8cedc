"""The booking rules every hall shares, from the settings (docs/BOOKINGS.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from backend.services.workdays import CHINA


class _BookingSettings(Protocol):
    booking_days_ahead: int
    booking_cutoff_minutes: int
    booking_max_active: int
    booking_no_show_grace_minutes: int
    booking_no_show_limit: int
    booking_no_show_window_days: int
    booking_suspension_days: int
    booking_reminder_hour: int
    booking_code_seconds: int


@dataclass(frozen=True, kw_only=True)
class BookingRules:
    days_ahead: int = 7
    cutoff_minutes: int = 120
    max_active: int = 3
    no_show_grace_minutes: int = 15
    no_show_limit: int = 3
    no_show_window_days: int = 30
    suspension_days: int = 7
    reminder_hour: int = 18
    code_seconds: int = 120

    @classmethod
    def of(cls, settings: _BookingSettings) -> BookingRules:
        return cls(days_ahead=settings.booking_days_ahead, cutoff_minutes=settings.booking_cutoff_minutes,
                   max_active=settings.booking_max_active,
                   no_show_grace_minutes=settings.booking_no_show_grace_minutes,
                   no_show_limit=settings.booking_no_show_limit,
                   no_show_window_days=settings.booking_no_show_window_days,
                   suspension_days=settings.booking_suspension_days, reminder_hour=settings.booking_reminder_hour,
                   code_seconds=settings.booking_code_seconds)


def now_local() -> datetime:
    # In the database's zone: SQLite compares timestamps as text in the configured zone (China).
    return datetime.now(timezone.utc).astimezone(CHINA)

"""Booking's own domain errors; each has its typed GraphQL error (exception_handlers.py)."""

from __future__ import annotations

from datetime import datetime

from backend.services.errors import DomainError, ErrorCode


class SlotFullError(DomainError):
    code = ErrorCode.SLOT_FULL


class BookingLimitError(DomainError):
    """One active booking per item per day, or the most active bookings a person may hold."""

    code = ErrorCode.BOOKING_LIMIT

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class BookingSuspendedError(DomainError):
    code = ErrorCode.BOOKING_SUSPENDED

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class BookingCutoffError(DomainError):
    """Too close to the slot's start to book, cancel or reschedule."""

    code = ErrorCode.BOOKING_CUTOFF


class BookingNotActiveError(DomainError):
    """The booking is cancelled, checked in or a no-show: nothing more can change."""

    code = ErrorCode.BOOKING_NOT_ACTIVE

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class CheckInRefusedError(DomainError):
    """A check-in code that is expired, replayed, forged, or for another hall's items."""

    code = ErrorCode.CHECK_IN_REFUSED

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # EXPIRED, REPLAYED, INVALID, NOT_TODAY, NOT_ACTIVE

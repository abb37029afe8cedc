"""No-shows: a booking not checked in by its slot's end + grace becomes NO_SHOW (a job, safe
to run twice: each row moves by a conditional update, and only the run that moved it acts on
it). Repeated no-shows suspend online booking for a while; the person is told why and until when."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Booking, BookingSuspension
from backend.models.bookings import BookingStatus
from backend.models.notifications import NotificationKind
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.notifications.inbox import announce_notifications, notify

BATCH = 500


async def mark_no_shows(*, rules: BookingRules, bus: Bus | None, now: datetime | None = None) -> int:
    """Returns how many bookings this run marked."""
    now = now or now_local()
    due = await Booking.filter(status=BookingStatus.BOOKED,
                               ends_at__lt=now - timedelta(minutes=rules.no_show_grace_minutes)).order_by(
        "ends_at").limit(BATCH).values_list("id", "user_id")
    marked = 0
    for booking_id, user_id in due:
        moved = await Booking.filter(id=booking_id, status=BookingStatus.BOOKED).update(
            status=BookingStatus.NO_SHOW, active_key=None, updated_at=now)
        if moved:
            marked += 1
            await _maybe_suspend(booking_id=booking_id, user_id=user_id, rules=rules, now=now)
    if marked:
        announce_notifications(bus)
    return marked


async def _maybe_suspend(*, booking_id: int, user_id: int, rules: BookingRules, now: datetime) -> None:
    if rules.suspension_days <= 0:
        return
    since = now - timedelta(days=rules.no_show_window_days)
    count = await Booking.filter(user_id=user_id, status=BookingStatus.NO_SHOW, ends_at__gte=since).count()
    if count < rules.no_show_limit:
        return
    if await BookingSuspension.filter(user_id=user_id, until__gt=now).exists():
        return
    until = now + timedelta(days=rules.suspension_days)
    reason = f"{rules.no_show_window_days} 天内预约未到 {count} 次"
    try:
        async with in_transaction() as conn:
            await BookingSuspension.create(user_id=user_id, until=until, reason=reason, cause_id=booking_id,
                                           using_db=conn)
            await notify(conn, user_id=user_id, kind=NotificationKind.BOOKING_CHANGED, title="网上预约已暂停",
                         body=f"因{reason}，网上预约暂停至 {until:%Y-%m-%d %H:%M}。期间仍可到大厅现场取号办理。",
                         link="/bookings", source=f"booking-suspended:{booking_id}")
    except IntegrityError:
        return  # a parallel run suspended for the same no-show

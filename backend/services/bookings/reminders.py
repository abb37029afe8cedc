"""Reminders through the inbox and web push: the day before at a fixed local hour, and one
hour before. Each is claimed on the booking row (a conditional update) before it is written,
in one transaction, so a run twice or two workers send it once; a cancelled booking is not
BOOKED and so is never reminded. Quiet hours hold the day-before push back to their end; the
one-hour reminder ignores them (backend/services/notifications/inbox.py `ignores_quiet_hours`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Booking
from backend.models.bookings import BookingStatus
from backend.models.notifications import NotificationKind
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.bookings.schedule import clock
from backend.services.workdays import local_date
from backend.services.notifications.inbox import HOUR_REMINDER_SOURCE, announce_notifications, notify

BATCH = 500
DAY_SOURCE = "booking-day:"


async def send_reminders(*, rules: BookingRules, bus: Bus | None, now: datetime | None = None) -> int:
    now = now or now_local()
    sent = 0
    if now.hour >= rules.reminder_hour:
        tomorrow = local_date(now) + timedelta(days=1)
        rows = await Booking.filter(status=BookingStatus.BOOKED, day=tomorrow, reminded_day_at=None).select_related(
            "hall", "item", "slot").limit(BATCH)
        for row in rows:
            sent += await _remind(row, field="reminded_day_at", source=DAY_SOURCE, now=now,
                                  title="明天有一个大厅预约",
                                  body=f"明天 {clock(row.slot.start_minute)} 在{row.hall.name}办理“{row.item.name}”，"
                                       f"预约号 {row.number}。请按时到达并出示签到码。")
    soon = await Booking.filter(status=BookingStatus.BOOKED, reminded_hour_at=None, starts_at__gt=now,
                                starts_at__lte=now + timedelta(hours=1)).select_related("hall", "item", "slot").limit(BATCH)
    for row in soon:
        sent += await _remind(row, field="reminded_hour_at", source=HOUR_REMINDER_SOURCE, now=now,
                              title="预约即将开始",
                              body=f"{clock(row.slot.start_minute)} 在{row.hall.name}办理“{row.item.name}”，"
                                   f"预约号 {row.number}，地址：{row.hall.address}。")
    if sent:
        announce_notifications(bus)
    return sent


async def _remind(row: Booking, *, field: str, source: str, now: datetime, title: str, body: str) -> int:
    async with in_transaction() as conn:
        claimed = await Booking.filter(id=row.id, status=BookingStatus.BOOKED, **{field: None}).using_db(conn).update(
            **{field: now})
        if not claimed:
            return 0
        await notify(conn, user_id=row.user_id, kind=NotificationKind.BOOKING_REMINDER, title=title, body=body,
                     link=f"/bookings/{row.number}", source=f"{source}{row.id}:{row.starts_at.timestamp():.0f}",
                     case_id=row.case_id)
    return 1

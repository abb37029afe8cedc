"""Rating a hall visit (到厅服务评价): a checked-in booking, rated by the person who came.

The same scale, chips, one-per-person rule and rectification as a case's rating; the rating
counts for the item's department and for the hall, so the dashboard's hall rows show it. Only
the booking's holder may rate it (the person served at the window); to anyone else it does
not exist (NOT_FOUND). The invitation goes out once the checked-in slot has ended, claimed on
the booking row so a run twice or two workers send it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Booking, Rating, User
from backend.models.bookings import BookingStatus
from backend.models.notifications import NotificationKind
from backend.models.ratings import RatingChannel, RatingTargetKind
from backend.services.bookings.booking import visible_booking
from backend.services.bookings.errors import BookingNotActiveError
from backend.services.bookings.rules import now_local
from backend.services.cases.access import staff_department
from backend.services.errors import AlreadyRatedError, NotFoundError
from backend.services.notifications.inbox import announce_notifications, notify
from backend.services.ratings import levels, tickets
from backend.services.ratings.rating import RatingInput, record_once

BATCH = 500
# Invitations are not sent for visits that ended longer ago than this (a worker that was off
# for a week does not ask about last week's visits all at once).
INVITE_WITHIN = timedelta(days=2)


def visit_key(booking_id: int) -> str:
    return f"booking:{booking_id}"


async def rateable_booking(*, number: str, user: User) -> Booking:
    booking = await visible_booking(viewer=user, number=number or "")
    if booking is None or booking.user_id != user.id or staff_department(user) == booking.item.department_id:
        raise NotFoundError("预约不存在")
    return booking


async def rate_visit(*, user: User, number: str, rating: RatingInput, days: tickets.TicketDays, bus: Bus | None,
                     now: datetime | None = None) -> Rating:
    now = now or datetime.now(timezone.utc)
    booking = await rateable_booking(number=number, user=user)
    reasons = levels.check_reasons(rating.level, rating.reasons)
    comment = levels.check_comment(rating.comment)
    return await record_once(lambda conn: _record(conn, booking=booking, user=user, rating=rating, reasons=reasons,
                                                  comment=comment, days=days, now=now),
                             already="您已评价过本次到厅服务", bus=bus)


async def _record(conn: BaseDBAsyncClient, *, booking: Booking, user: User, rating: RatingInput, reasons: list[str],
                  comment: str, days: tickets.TicketDays, now: datetime) -> Rating:
    if booking.status is BookingStatus.BOOKED:
        raise BookingNotActiveError("到厅签到后才能评价本次服务", status=booking.status.value)
    if booking.status is not BookingStatus.CHECKED_IN:
        raise BookingNotActiveError(f"该预约{booking.status.label}，没有可评价的到厅服务", status=booking.status.value)
    if await Rating.filter(rater_id=user.id, target_key=visit_key(booking.id)).using_db(conn).exists():
        raise AlreadyRatedError("您已评价过本次到厅服务")
    row = Rating(rater_id=user.id, target_kind=RatingTargetKind.HALL_VISIT, target_key=visit_key(booking.id),
                 booking_id=booking.id, department_id=booking.item.department_id, item_id=booking.item_id,
                 hall_id=booking.hall_id, level=rating.level, reasons=reasons, comment=comment,
                 channel=RatingChannel.APP)
    await row.save(using_db=conn)
    if rating.level in levels.BAD:
        await tickets.open_ticket(conn, rating=row, days=days, now=now)
    return row


async def my_visit_rating(*, user: User, number: str) -> Rating | None:
    booking = await rateable_booking(number=number, user=user)
    return await Rating.get_or_none(rater_id=user.id, target_key=visit_key(booking.id))


async def invite_visit_ratings(*, bus: Bus | None, now: datetime | None = None) -> int:
    """Ask each person whose checked-in slot has ended to rate the visit, once."""
    now = now or now_local()  # booking times compare in local time (SQLite compares them as text)
    rows = await Booking.filter(status=BookingStatus.CHECKED_IN, rating_invited_at=None, ends_at__lte=now,
                                ends_at__gt=now - INVITE_WITHIN).select_related("hall", "item").limit(BATCH)
    sent = 0
    for row in rows:
        async with in_transaction() as conn:
            claimed = await Booking.filter(id=row.id, rating_invited_at=None).using_db(conn).update(
                rating_invited_at=now)
            if not claimed:
                continue
            # No case_id: the invitation rates the visit, not a case the booking may be linked to.
            await notify(conn, user_id=row.user_id, kind=NotificationKind.RATING_INVITATION,
                         title="请为本次到厅服务评价",
                         body=f"您已在{row.hall.name}办理“{row.item.name}”（预约号 {row.number}），"
                              f"请为窗口服务评价，差评将转承办部门核实整改。",
                         link=f"/bookings/{row.number}?rate=1", source=f"visit-rating:{row.id}")
            sent += 1
    if sent:
        announce_notifications(bus)
    return sent


async def booking_numbers_by_id(ids: list[int]) -> list[str | None]:
    found = dict(await Booking.filter(id__in=ids).values_list("id", "number"))
    return [found.get(i) for i in ids]

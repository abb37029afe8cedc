"""The inbox (站内信): writing notifications, reading them, marking them read, and the
person's preferences for which kinds also go to web push, and when not to (quiet hours).

A notification is written in the transaction of whatever caused it (`notify`), so it exists
exactly when its cause does. Its id is the cursor `notificationAdded` resumes from, so it is
inserted under the same ordering lock as case events (see insert_order.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from backend.bus import Bus, announce_soon
from backend.models import Notification, NotificationPreferences, User
from backend.models.notifications import NotificationKind
from backend.services.workdays import CHINA
from backend.services.errors import ValidationError
from backend.services.insert_order import hold_insert_order
from backend.services.pagination import check_page_size, decode_position, encode_position

NOTIFICATIONS_CHANNEL = "notifications"
_CURSOR_PREFIX = "n:"
MAX_TITLE = 64
MAX_BODY = 500
# Kinds kept in the inbox only, never pushed: a receipt for what the person just did on the
# phone (申请已提交) would only buzz the phone in their hand.
INBOX_ONLY_KINDS = frozenset({NotificationKind.CASE_SUBMITTED})


def encode_notification_cursor(notification_id: int) -> str:
    return encode_position(_CURSOR_PREFIX, notification_id)


def decode_notification_cursor(cursor: str, *, field: str = "after") -> int:
    return decode_position(_CURSOR_PREFIX, cursor, field=field, message="消息游标无效，请刷新页面")


# ---- writing ---------------------------------------------------------------------------


async def notify(conn: BaseDBAsyncClient, *, user_id: int, kind: NotificationKind, title: str, body: str,
                 link: str, source: str, case_id: int | None = None) -> Notification:
    """Add a notification to the person's inbox in the caller's transaction.

    `source` names the cause ("case-event:42"): a cause notifies once, however often its
    writer is retried. The caller announces it after commit (`announce_notifications`), or
    lets the case-event announcement do it when the cause is a case move.
    """
    existing = await Notification.filter(source=source).using_db(conn).first()
    if existing is not None:
        return existing
    await hold_insert_order(conn)
    notification = Notification(
        user_id=user_id, kind=kind, title=title[:MAX_TITLE], body=_clip(body, MAX_BODY), link=link,
        source=source, case_id=case_id,
        push_after=None if kind in INBOX_ONLY_KINDS else datetime.now(timezone.utc),
    )
    await notification.save(using_db=conn)
    return notification


# Notifications whose push must not wait for the end of quiet hours: the one-hour booking
# reminder (a push after the appointment has started is worthless).
HOUR_REMINDER_SOURCE = "booking-hour:"


def ignores_quiet_hours(source: str) -> bool:
    return source.startswith(HOUR_REMINDER_SOURCE)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def announce_notifications(bus: Bus | None) -> None:
    """After commit, tell every instance's inbox feed and push dispatcher to look now."""
    announce_soon(bus, NOTIFICATIONS_CHANNEL, {})


# ---- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationPage:
    nodes: list[Notification]
    has_next_page: bool
    total_count: int


async def inbox(*, user: User, first: int = 20, after: str | None = None, unread_only: bool = False) -> NotificationPage:
    """Newest first. Paged by id, not offset, so notifications arriving while the person
    scrolls never shift the next page."""
    first = check_page_size(first)
    query = Notification.filter(user_id=user.id)
    if unread_only:
        query = query.filter(read_at=None)
    total = await query.count()
    if after is not None:
        query = query.filter(id__lt=decode_notification_cursor(after))
    rows = await query.order_by("-id").limit(first + 1).select_related("case")
    return NotificationPage(nodes=rows[:first], has_next_page=len(rows) > first, total_count=total)


async def unread_count(*, user: User) -> int:
    return await Notification.filter(user_id=user.id, read_at=None).count()


async def mark_read(*, user: User, ids: list[str] | None, everything: bool) -> int:
    """Mark the person's own notifications read; ids of others' are ignored, not an error
    (they simply are not in this person's inbox). Returns how many changed."""
    if everything == (ids is not None):
        raise ValidationError(field="ids", message="请指定要标记的消息，或选择全部已读")
    query = Notification.filter(user_id=user.id, read_at=None)
    if ids is not None:
        if len(ids) > 500:
            raise ValidationError(field="ids", message="一次最多标记 500 条消息")
        numbers = []
        for index, raw in enumerate(ids):
            if not str(raw).isdigit():
                raise ValidationError(field=f"ids[{index}]", message="消息编号无效")
            numbers.append(int(raw))
        query = query.filter(id__in=numbers)
    return await query.update(read_at=datetime.now(timezone.utc))


# ---- preferences ------------------------------------------------------------------------

# Every kind goes to push unless the person says otherwise.
PUSHABLE_KINDS = tuple(kind for kind in NotificationKind if kind not in INBOX_ONLY_KINDS)
DEFAULT_PUSH_KINDS = PUSHABLE_KINDS


@dataclass(frozen=True)
class Preferences:
    push_kinds: tuple[NotificationKind, ...]
    quiet_start: time | None
    quiet_end: time | None

    def pushes(self, kind: NotificationKind) -> bool:
        return kind in self.push_kinds

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When quiet hours hold at `moment`, the moment they end; else None. Local (China)
        time; a window like 22:00–07:00 wraps midnight."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = moment.astimezone(CHINA)
        now, start, end = local.time(), self.quiet_start, self.quiet_end
        inside = start <= now < end if start < end else (now >= start or now < end)
        if not inside:
            return None
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return ends.astimezone(timezone.utc)


def _clock(minutes: int | None) -> time | None:
    return None if minutes is None else time(minutes // 60, minutes % 60)


def _from_row(row: NotificationPreferences | None) -> Preferences:
    if row is None:
        return Preferences(push_kinds=DEFAULT_PUSH_KINDS, quiet_start=None, quiet_end=None)
    kinds = tuple(kind for kind in NotificationKind if kind.value in set(row.push_kinds))
    return Preferences(push_kinds=kinds, quiet_start=_clock(row.quiet_start), quiet_end=_clock(row.quiet_end))


async def preferences(*, user_id: int) -> Preferences:
    return _from_row(await NotificationPreferences.get_or_none(user_id=user_id))


async def preferences_of(user_ids: list[int]) -> dict[int, Preferences]:
    rows = {row.user_id: row for row in await NotificationPreferences.filter(user_id__in=user_ids)}
    return {user_id: _from_row(rows.get(user_id)) for user_id in user_ids}


def parse_clock(value: str, *, field: str) -> time:
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationError(field=field, message="时间格式应为 HH:MM，例如 22:00") from None


async def update_preferences(*, user: User, push_kinds: list[NotificationKind],
                             quiet_hours: tuple[str, str] | None) -> Preferences:
    start = end = None
    if quiet_hours is not None:
        start = parse_clock(quiet_hours[0], field="quietHours.start")
        end = parse_clock(quiet_hours[1], field="quietHours.end")
        if start == end:
            raise ValidationError(field="quietHours.end", message="免打扰的开始和结束时间不能相同")
    kinds = sorted({NotificationKind(kind).value for kind in push_kinds})
    minutes = {"quiet_start": start.hour * 60 + start.minute, "quiet_end": end.hour * 60 + end.minute} if start and end \
        else {"quiet_start": None, "quiet_end": None}
    await NotificationPreferences.update_or_create(defaults={"push_kinds": kinds, **minutes}, user_id=user.id)
    return await preferences(user_id=user.id)

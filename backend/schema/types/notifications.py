"""GraphQL types of the inbox and web push (contract: docs/NOTIFICATIONS.md)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from backend.models import notifications as m
from backend.schema.types.catalog import PageInfo
from backend.services.notifications.inbox import PUSHABLE_KINDS, NotificationPage, Preferences, encode_notification_cursor

NotificationKind = strawberry.enum(m.NotificationKind, description="消息类型")


@strawberry.type(description="站内信")
class Notification:
    id: strawberry.ID
    cursor: str = strawberry.field(description="Give it to notificationAdded(after:) to resume after this one")
    kind: NotificationKind
    kind_label: str
    title: str
    body: str
    link: str = strawberry.field(description="A path inside the PWA")
    case_number: str | None
    read: bool
    created_at: datetime

    @classmethod
    def from_model(cls, row: m.Notification) -> Notification:
        # `case` is fetched with the row (select_related) wherever notifications are read.
        case = row.case if row.case_id is not None else None
        return cls(id=strawberry.ID(str(row.id)), cursor=encode_notification_cursor(row.id), kind=row.kind,
                   kind_label=row.kind.label, title=row.title, body=row.body, link=row.link,
                   case_number=case.number if case is not None else None, read=row.read_at is not None,
                   created_at=row.created_at)


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: NotificationPage, *, had_cursor: bool) -> NotificationConnection:
        edges = [NotificationEdge(cursor=encode_notification_cursor(row.id), node=Notification.from_model(row))
                 for row in page.nodes]
        return cls(edges=edges, total_count=page.total_count, page_info=PageInfo(
            has_next_page=page.has_next_page, has_previous_page=had_cursor,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description="免打扰时段（北京时间），可跨零点，如 22:00 至 07:00")
class QuietHours:
    start: str
    end: str


@strawberry.type
class NotificationKindOption:
    kind: NotificationKind
    label: str


@strawberry.type
class NotificationPreferences:
    push_kinds: list[NotificationKind] = strawberry.field(description="Kinds that also go to web push; the inbox gets every kind")
    quiet_hours: QuietHours | None
    kinds: list[NotificationKindOption] = strawberry.field(description="Every kind that can be pushed, with its label, for the settings screen")

    @classmethod
    def from_domain(cls, prefs: Preferences) -> NotificationPreferences:
        quiet = (QuietHours(start=prefs.quiet_start.strftime("%H:%M"), end=prefs.quiet_end.strftime("%H:%M"))
                 if prefs.quiet_start is not None and prefs.quiet_end is not None else None)
        return cls(push_kinds=list(prefs.push_kinds), quiet_hours=quiet,
                   kinds=[NotificationKindOption(kind=kind, label=kind.label) for kind in PUSHABLE_KINDS])


@strawberry.type(description="接收推送的设备")
class PushDevice:
    id: strawberry.ID
    label: str
    created_at: datetime
    last_success_at: datetime | None

    @classmethod
    def from_model(cls, row: m.PushSubscription) -> PushDevice:
        return cls(id=strawberry.ID(str(row.id)), label=row.device_label, created_at=row.created_at,
                   last_success_at=row.last_success_at)


@strawberry.type
class NotificationsMarkedRead:
    marked: int
    unread_count: int


@strawberry.type
class NotificationPreferencesUpdated:
    preferences: NotificationPreferences


@strawberry.type
class PushSubscriptionRegistered:
    device: PushDevice


@strawberry.type
class PushSubscriptionUnregistered:
    removed: bool


@strawberry.type
class PushDeviceRemoved:
    id: strawberry.ID


@strawberry.input
class QuietHoursInput:
    start: str = strawberry.field(description="HH:MM")
    end: str = strawberry.field(description="HH:MM")


@strawberry.input
class NotificationPreferencesInput:
    push_kinds: list[NotificationKind]
    quiet_hours: QuietHoursInput | None = strawberry.field(default=None, description="null: no quiet hours")


@strawberry.input
class PushKeysInput:
    p256dh: str
    auth: str


@strawberry.input(description="PushSubscription.toJSON() of the browser")
class PushSubscriptionInput:
    endpoint: str
    keys: PushKeysInput
    device_label: str | None = None

"""Inbox and web push resolvers: check input, call one service, map the result."""

from __future__ import annotations

from typing import Annotated, AsyncGenerator

import strawberry
from strawberry import Info

from backend.models import Notification as NotificationModel
from backend.models import PushSubscription, User
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import plain_text, record_id
from backend.schema.context import Context
from backend.schema.errors import from_domain
from backend.schema.types import errors as e
from backend.schema.types.notifications import (
    Notification, NotificationConnection, NotificationPreferences, NotificationPreferencesInput,
    NotificationPreferencesUpdated, NotificationsMarkedRead, PushDevice, PushSubscriptionInput,
    PushDeviceRemoved, PushSubscriptionRegistered, PushSubscriptionUnregistered,
)
from backend.services.notifications import inbox as notifications, subscriptions as push_subscriptions
from backend.services.errors import DomainError, NotFoundError


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


# ---- queries ---------------------------------------------------------------------------


@user_errors
async def notifications_page(info: Info[Context, None], first: int = 20, after: str | None = None,
                             unread_only: bool = False) -> NotificationConnection:
    page = await notifications.inbox(user=_viewer(info), first=first, after=after, unread_only=unread_only)
    return NotificationConnection.from_page(page, had_cursor=after is not None)


async def unread_notification_count(info: Info[Context, None]) -> int:
    return await notifications.unread_count(user=_viewer(info))


async def notification_preferences(info: Info[Context, None]) -> NotificationPreferences:
    return NotificationPreferences.from_domain(await notifications.preferences(user_id=_viewer(info).id))


async def my_push_devices(info: Info[Context, None]) -> list[PushDevice]:
    return [PushDevice.from_model(row) for row in await push_subscriptions.devices(user=_viewer(info))]


def web_push_public_key(info: Info[Context, None]) -> str:
    return info.context.push_public_key


# ---- mutations -------------------------------------------------------------------------

MarkReadResult = Annotated[NotificationsMarkedRead | e.InputError, strawberry.union("MarkNotificationsReadResult")]
UpdatePreferencesResult = Annotated[NotificationPreferencesUpdated | e.InputError,
                                    strawberry.union("UpdateNotificationPreferencesResult")]
RegisterResult = Annotated[PushSubscriptionRegistered | e.InputError, strawberry.union("RegisterPushSubscriptionResult")]
RemoveDeviceResult = Annotated[PushDeviceRemoved | e.NotFoundError | e.InputError, strawberry.union("RemovePushDeviceResult")]
UnregisterResult = Annotated[PushSubscriptionUnregistered | e.InputError,
                             strawberry.union("UnregisterPushSubscriptionResult")]


async def mark_notifications_read(info: Info[Context, None], ids: list[strawberry.ID] | None = None,
                                  all: bool = False) -> MarkReadResult:
    viewer = _viewer(info)
    numbers = None
    if ids is not None:
        parsed = [record_id(raw, model=NotificationModel, field=f"ids[{i}]", message="消息编号无效")
                  for i, raw in enumerate(ids)]
        # An id past the column's range is in nobody's inbox: ignored, like someone else's.
        numbers = [str(n) for n in parsed if n is not None]
    marked = await notifications.mark_read(user=viewer, ids=numbers, everything=all)
    return NotificationsMarkedRead(marked=marked, unread_count=await notifications.unread_count(user=viewer))


async def update_notification_preferences(info: Info[Context, None],
                                          input: NotificationPreferencesInput) -> UpdatePreferencesResult:
    quiet = (input.quiet_hours.start, input.quiet_hours.end) if input.quiet_hours is not None else None
    prefs = await notifications.update_preferences(user=_viewer(info), push_kinds=list(input.push_kinds),
                                                   quiet_hours=quiet)
    return NotificationPreferencesUpdated(preferences=NotificationPreferences.from_domain(prefs))


async def register_push_subscription(info: Info[Context, None], input: PushSubscriptionInput) -> RegisterResult:
    row = await push_subscriptions.register(
        user=_viewer(info), endpoint=plain_text(input.endpoint, field="input.endpoint"), p256dh=input.keys.p256dh,
        auth=input.keys.auth,
        device_label=plain_text(input.device_label, field="input.deviceLabel"),
        allowed_hosts=info.context.settings.push_endpoint_hosts)
    return PushSubscriptionRegistered(device=PushDevice.from_model(row))


async def unregister_push_subscription(info: Info[Context, None], endpoint: str) -> UnregisterResult:
    endpoint = plain_text(endpoint, field="endpoint")
    return PushSubscriptionUnregistered(removed=await push_subscriptions.unregister(user=_viewer(info), endpoint=endpoint))


async def remove_push_device(info: Info[Context, None], id: strawberry.ID) -> RemoveDeviceResult:
    device_id = record_id(id, model=PushSubscription, field="id", message="设备编号无效")
    if device_id is None:
        raise NotFoundError("未找到该设备，可能已被移除")
    await push_subscriptions.remove(user=_viewer(info), device_id=device_id)
    return PushDeviceRemoved(id=id)


# ---- subscription ----------------------------------------------------------------------


async def notification_added(info: Info[Context, None], after: str | None = None) -> AsyncGenerator[Notification, None]:
    viewer = _viewer(info)
    try:
        cursor = notifications.decode_notification_cursor(after) if after else None
    except DomainError as error:
        raise from_domain(error) from error
    feed = info.context.inbox_feed
    assert feed is not None  # started in the app's lifespan
    async for row in feed.follow(user_id=viewer.id, after=cursor):
        yield Notification.from_model(row)


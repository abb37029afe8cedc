"""The push outbox: notifications whose push time has come become deliveries and jobs.

A notification is written with `push_after` set (see backend/services/notifications/inbox.py).
A dispatcher claims a batch of due ones with a token (a conditional update, so several
dispatchers on several machines never claim the same row), applies each person's
preferences — kinds they want pushed, quiet hours (which move `push_after` to the end of the
quiet spell) — records one `PushDelivery` per device (unique per notification and device, so
a second pass adds nothing) and kicks a job per delivery. A sweep puts back what a crashed
dispatcher or job left behind.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

from backend.models import Notification, PushDelivery, PushSubscription
from backend.models.notifications import PushState
from backend.services.workdays import CHINA
from backend.services.notifications.inbox import ignores_quiet_hours, preferences_of

log = logging.getLogger("notifications.dispatcher")

BATCH = 200
STALE_CLAIM = timedelta(minutes=2)  # a claim older than this was abandoned by its dispatcher
STALE_JOB = timedelta(minutes=2)  # a pending delivery nobody leased for this long gets a new job

Kick = Callable[[int], Awaitable[None]]


def _local(moment: datetime | None) -> datetime:
    # Compared in the database's own time zone: SQLite compares timestamps as text, and
    # tortoise stores them in the configured zone (China), not in the zone they came in.
    return (moment or datetime.now(timezone.utc)).astimezone(CHINA)


async def dispatch_due(*, kick: Kick, now: datetime | None = None) -> int:
    """One batch. Returns how many notifications it handled (0: nothing was due)."""
    now = _local(now)
    due = await Notification.filter(push_after__lte=now, push_claim=None).order_by("id").limit(BATCH).values_list(
        "id", flat=True)
    if not due:
        return 0
    claim = uuid.uuid4().hex
    await Notification.filter(id__in=list(due), push_claim=None).update(push_claim=claim)
    rows = await Notification.filter(push_claim=claim)
    user_ids = sorted({row.user_id for row in rows})
    prefs = await preferences_of(user_ids)
    devices: dict[int, list[PushSubscription]] = defaultdict(list)
    for subscription in await PushSubscription.filter(user_id__in=user_ids):
        devices[subscription.user_id].append(subscription)
    deliveries: list[PushDelivery] = []
    deferred: dict[datetime, list[int]] = defaultdict(list)
    for row in rows:
        wanted = prefs[row.user_id]
        if not wanted.pushes(row.kind) or not devices[row.user_id]:
            continue
        quiet_until = None if ignores_quiet_hours(row.source) else wanted.quiet_until(now)
        if quiet_until is not None:
            deferred[quiet_until].append(row.id)
            continue
        deliveries += [PushDelivery(notification_id=row.id, subscription_id=device.id,
                                    subscription_key=device.endpoint_hash) for device in devices[row.user_id]]
    if deliveries:
        await PushDelivery.bulk_create(deliveries, ignore_conflicts=True)
    for until, ids in deferred.items():  # quiet hours: back in the outbox until they end
        await Notification.filter(id__in=ids).update(push_after=_local(until), push_claim=None)
    await Notification.filter(push_claim=claim).update(push_after=None)
    held = {i for ids in deferred.values() for i in ids}
    handled = [row.id for row in rows if row.id not in held]
    for delivery_id in await PushDelivery.filter(notification_id__in=handled, state=PushState.PENDING,
                                                 lease_until=None).values_list("id", flat=True):
        await kick(delivery_id)
    return len(rows)


async def sweep(*, kick: Kick, now: datetime | None = None) -> int:
    """Put back claims a dead dispatcher held, and re-kick deliveries no job is working on.
    Both are harmless if the original is merely slow: claims are re-taken conditionally and
    jobs hold a lease."""
    now = _local(now)
    await Notification.filter(push_claim__isnull=False, push_after__lt=now - STALE_CLAIM).update(push_claim=None)
    stale = await PushDelivery.filter(state=PushState.PENDING, created_at__lt=now - STALE_JOB).filter(
        lease_until=None).values_list("id", flat=True)
    expired_leases = await PushDelivery.filter(state=PushState.PENDING, lease_until__lt=now).values_list("id", flat=True)
    for delivery_id in [*stale, *expired_leases]:
        await kick(delivery_id)
    return len(stale) + len(expired_leases)

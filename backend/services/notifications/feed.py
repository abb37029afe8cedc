"""Live inbox: a `TailFeed` over the notification table (see tail_feed.py). A follower sees
its own notifications only. Woken by case-event announcements (a case move writes its
notifications in the same transaction) and by notification announcements (everything else)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator

from tortoise.queryset import QuerySet

from backend.bus import Bus
from backend.models import Notification
from backend.services.cases.events import CASE_EVENTS_CHANNEL
from backend.services.notifications.inbox import NOTIFICATIONS_CHANNEL
from backend.services.tail_feed import TailFeed


@dataclass(eq=False)
class _InboxFollower:
    user_id: int

    def interested(self, notification: Notification) -> bool:
        return notification.user_id == self.user_id

    def replay(self, query: QuerySet[Notification]) -> QuerySet[Notification]:
        return query.filter(user_id=self.user_id)

    async def allowed(self, notification: Notification) -> bool:
        return True  # a person's own inbox is theirs for good


class InboxFeed(TailFeed[Notification]):
    """One per process."""

    def __init__(self, *, bus: Bus, poll_seconds: float) -> None:
        super().__init__(model=Notification, bus=bus, channels=(CASE_EVENTS_CHANNEL, NOTIFICATIONS_CHANNEL),
                         poll_seconds=poll_seconds, related=("case",), name="inbox-feed")

    def follow(self, *, user_id: int, after: int | None) -> AsyncIterator[Notification]:
        return self.tail(_InboxFollower(user_id=user_id), after=after)

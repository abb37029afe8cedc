"""Live case progress that loses nothing: a `TailFeed` over the case event table (see
tail_feed.py), with each follower seeing only the events of the cases its scope may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Callable

from tortoise.queryset import QuerySet

from backend.bus import Bus
from backend.models import AgentAuthority, CaseEvent, Membership
from backend.models.identity import MembershipRole
from backend.services.cases.access import CaseScope, item_code
from backend.services.cases.events import CASE_EVENTS_CHANNEL
from backend.services.identity.accounts import active_authority
from backend.services.pagination import decode_position, encode_position
from backend.services.tail_feed import QUEUE_SIZE, TailFeed

_CURSOR_PREFIX = "e:"


def encode_event_cursor(event_id: int) -> str:
    return encode_position(_CURSOR_PREFIX, event_id)


def decode_event_cursor(cursor: str, *, field: str = "after") -> int:
    return decode_position(_CURSOR_PREFIX, cursor, field=field, message="进度游标无效，请刷新页面")


@dataclass(eq=False)
class _CaseFollower:
    scope: CaseScope
    case_id: int | None

    def interested(self, event: CaseEvent) -> bool:
        if self.case_id is not None and event.case_id != self.case_id:
            return False
        scope = self.scope
        return (event.applicant_id == scope.user.id or scope.supervisor
                or event.department_id == scope.staff_department_id
                or (event.enterprise_id is not None and event.enterprise_id in scope.enterprises))

    def replay(self, query: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
        # CaseEvent carries the case's applicant/enterprise/department ids under the same names.
        query = query.filter(self.scope.filter())
        return query.filter(case_id=self.case_id) if self.case_id is not None else query

    async def allowed(self, event: CaseEvent) -> bool:
        return await _still_allowed(self.scope, event)


class CaseFeed(TailFeed[CaseEvent]):
    """One per process."""

    def __init__(self, *, bus: Bus, poll_seconds: float) -> None:
        super().__init__(model=CaseEvent, bus=bus, channels=(CASE_EVENTS_CHANNEL,), poll_seconds=poll_seconds,
                         related=("case",), name="case-feed")

    def follow(self, *, scope: CaseScope, after: int | None, case_id: int | None = None,
               queue_size: int = QUEUE_SIZE, on_overflow: Callable[[], None] | None = None) -> AsyncIterator[CaseEvent]:
        """Events the scope may see: those after `after` from the database, then live ones.
        Without `after`, only what happens from now on. See TailFeed.tail for `on_overflow`."""
        return self.tail(_CaseFollower(scope=scope, case_id=case_id), after=after, queue_size=queue_size,
                         on_overflow=on_overflow)


async def _still_allowed(scope: CaseScope, event: CaseEvent) -> bool:
    """Checked per event: an enterprise authority revoked mid-stream stops delivery at once."""
    if event.applicant_id == scope.user.id or scope.supervisor or event.department_id == scope.staff_department_id:
        return True
    if event.enterprise_id is None:
        return False
    membership = await Membership.get_or_none(user_id=scope.user.id, enterprise_id=event.enterprise_id)
    if membership is None:
        return False
    if membership.role is MembershipRole.LEGAL_REPRESENTATIVE:
        return True
    authority: AgentAuthority | None = await active_authority(membership)
    if authority is None:
        return False
    if "*" in authority.scope:
        return True
    return await item_code(event.case.item_id) in authority.scope

"""Live case progress that loses nothing: replay from the event table, then follow it.

One `CaseFeed` per process tails the event table (`id > high`), woken by a bus message from
any instance or, failing that, by a periodic re-read; each event it reads is handed to the
local followers that may see it. A follower first replays (after, high] from the database,
registered under the same lock the tail reads under, so the seam between replay and live has
neither a gap nor an overlap. This relies on events becoming visible in id order (see
case_events.py). The bus carries only "something changed": losing a message delays an event
until the next re-read, it never loses one. Per process, the cost of an event is one read,
however many followers there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import AsyncIterator

from backend.bus import Bus
from backend.models import AgentAuthority, CaseEvent, Membership
from backend.models.identity import MembershipRole
from backend.services.case_access import CaseScope, item_code
from backend.services.case_events import CASE_EVENTS_CHANNEL
from backend.services.pagination import decode_position, encode_position
from backend.services.identity import active_authority

log = logging.getLogger("backend.case_feed")

BATCH = 500
QUEUE_SIZE = 1000
_CURSOR_PREFIX = "e:"


def encode_event_cursor(event_id: int) -> str:
    return encode_position(_CURSOR_PREFIX, event_id)


def decode_event_cursor(cursor: str, *, field: str = "after") -> int:
    return decode_position(_CURSOR_PREFIX, cursor, field=field, message="进度游标无效，请刷新页面")


@dataclass(eq=False)
class _Follower:
    scope: CaseScope
    case_id: int | None
    queue: asyncio.Queue[CaseEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    lagging: bool = False  # the queue overflowed: catch up from the database

    def interested(self, event: CaseEvent) -> bool:
        if self.case_id is not None and event.case_id != self.case_id:
            return False
        scope = self.scope
        return (event.applicant_id == scope.user.id or scope.supervisor
                or event.department_id == scope.staff_department_id
                or (event.enterprise_id is not None and event.enterprise_id in scope.enterprises))


class CaseFeed:
    def __init__(self, *, bus: Bus, poll_seconds: float) -> None:
        self._bus = bus
        self._poll_seconds = poll_seconds
        self._followers: set[_Follower] = set()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._high = 0
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def follower_count(self) -> int:
        return len(self._followers)

    async def start(self) -> None:
        self._high = await _max_event_id()
        self._tasks = [asyncio.create_task(self._listen(), name="case-feed-listen"),
                       asyncio.create_task(self._pump(), name="case-feed-pump")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def wake(self) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._bus.subscribe(CASE_EVENTS_CHANNEL) as messages:
                    backoff = 0.5
                    self._wake.set()  # (re)subscribed: whatever was said meanwhile is in the table
                    async for _ in messages:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus is down: keep polling, try again with backoff
                log.warning("case feed lost the bus; polling every %.1fs until it is back", self._poll_seconds,
                            exc_info=True)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _pump(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
            self._wake.clear()
            try:
                async with self._lock:
                    await self._read_new()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database hiccuped: the next round retries from the same point
                log.exception("case feed could not read new events")
                await asyncio.sleep(min(self._poll_seconds, 1.0))

    async def _read_new(self) -> None:
        while True:
            rows = await CaseEvent.filter(id__gt=self._high).order_by("id").limit(BATCH).select_related("case")
            for event in rows:
                for follower in self._followers:
                    if follower.lagging or not follower.interested(event):
                        continue
                    try:
                        follower.queue.put_nowait(event)
                    except asyncio.QueueFull:  # a slow reader never blocks the others
                        follower.lagging = True
                self._high = event.id
            if len(rows) < BATCH:
                return

    async def follow(self, *, scope: CaseScope, after: int | None, case_id: int | None = None) -> AsyncIterator[CaseEvent]:
        """Events the scope may see: those after `after` from the database, then live ones.
        Without `after`, only what happens from now on."""
        follower = _Follower(scope=scope, case_id=case_id)
        async with self._lock:
            self._followers.add(follower)
            upper = self._high
        self._wake.set()  # read the table now: a client resuming elsewhere may know of newer events
        last = upper if after is None else after
        try:
            while True:
                if last < upper:
                    async for event in self._replay(follower, after=last, upper=upper):
                        last = event.id
                        yield event
                    last = max(last, upper)
                event = await follower.queue.get()
                if follower.lagging:
                    async with self._lock:  # start over from the database, from where we are
                        follower.lagging = False
                        follower.queue = asyncio.Queue(QUEUE_SIZE)
                        upper = self._high
                    continue
                if event.id <= last:
                    continue  # already replayed
                last = event.id
                if await _still_allowed(scope, event):
                    yield event
        finally:
            self._followers.discard(follower)

    async def _replay(self, follower: _Follower, *, after: int, upper: int) -> AsyncIterator[CaseEvent]:
        cursor = after
        while cursor < upper:
            # CaseEvent carries the case's applicant/enterprise/department ids under the same names.
            query = CaseEvent.filter(follower.scope.filter(), id__gt=cursor, id__lte=upper)
            if follower.case_id is not None:
                query = query.filter(case_id=follower.case_id)
            rows = await query.order_by("id").limit(BATCH).select_related("case")
            for event in rows:
                if follower.interested(event) and await _still_allowed(follower.scope, event):
                    yield event
            if len(rows) < BATCH:
                return
            cursor = rows[-1].id


async def _max_event_id() -> int:
    row = await CaseEvent.all().order_by("-id").first().values_list("id", flat=True)
    return int(row or 0)


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

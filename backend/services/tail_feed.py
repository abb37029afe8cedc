"""Follow an append-only table live, losing nothing: replay from the table, then tail it.

One `TailFeed` per table per process reads the table (`id > high`), woken by a bus message from
any instance or, failing that, by a periodic re-read; each row it reads is handed to the local
followers that want it. A follower first replays (after, high] from the database, registered
under the same lock the tail reads under, so the seam between replay and live has neither a
gap nor an overlap. This relies on rows becoming visible in id order (see insert_order.py).
The bus carries only "something changed": losing a message delays a row until the next
re-read, it never loses one. Per process, the cost of a row is one read, however many
followers there are. Used for case progress (cases/feed.py) and the inbox (notifications/feed.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator, Callable, Generic, Protocol, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from backend.bus import Bus, relay_wakeups, wait_for_wake

log = logging.getLogger("backend.tail_feed")

BATCH = 500
QUEUE_SIZE = 1000

R = TypeVar("R", bound=Model)


class Follower(Protocol[R]):
    """What one subscriber wants from the table."""

    def interested(self, row: R) -> bool:
        """Cheap, synchronous: called by the tail for every new row and every follower."""

    def replay(self, query: QuerySet[R]) -> QuerySet[R]:
        """Narrow a query over the table to the rows this follower may see."""

    async def allowed(self, row: R) -> bool:
        """The last word, just before a row is handed over (permissions may change mid-stream)."""


class _Slot(Generic[R]):
    def __init__(self, follower: Follower[R], *, queue_size: int, on_overflow: Callable[[], None] | None) -> None:
        self.follower = follower
        self.queue: asyncio.Queue[R] = asyncio.Queue(queue_size)
        self.lagging = False  # the queue overflowed: catch up from the database
        # Set: a follower that falls `queue_size` rows behind is dropped and told so (its socket is
        # closed with a reconnect code; the client resumes from its cursor) instead of catching up
        # here from the database while holding its rows in memory.
        self.on_overflow = on_overflow


class TailFeed(Generic[R]):
    def __init__(self, *, model: type[R], bus: Bus, channels: tuple[str, ...], poll_seconds: float,
                 related: tuple[str, ...] = (), name: str) -> None:
        self._model = model
        self._bus = bus
        self._channels = channels
        self._poll_seconds = poll_seconds
        self._related = related
        self._name = name  # for logs and task names
        self._slots: set[_Slot[R]] = set()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._high = 0
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def follower_count(self) -> int:
        return len(self._slots)

    async def lag(self) -> int:
        """Rows in the table this feed has not read yet (for metrics)."""
        return max(0, await self._max_id() - self._high)

    async def start(self) -> None:
        self._high = await self._max_id()
        self._tasks = [asyncio.create_task(relay_wakeups(self._bus, channel, self._wake, poll_seconds=self._poll_seconds),
                                           name=f"{self._name}-listen-{channel}") for channel in self._channels]
        self._tasks.append(asyncio.create_task(self._pump(), name=f"{self._name}-pump"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def wake(self) -> None:
        self._wake.set()

    async def _max_id(self) -> int:
        row = await self._model.all().order_by("-id").first().values_list("id", flat=True)
        return int(row or 0)

    async def _pump(self) -> None:
        while True:
            await wait_for_wake(self._wake, seconds=self._poll_seconds)
            try:
                async with self._lock:
                    await self._read_new()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database hiccuped: the next round retries from the same point
                log.exception("%s could not read new rows", self._name)
                await asyncio.sleep(min(self._poll_seconds, 1.0))

    def _query(self) -> QuerySet[R]:
        query = self._model.all()
        return query.select_related(*self._related) if self._related else query

    async def _read_new(self) -> None:
        while True:
            rows = await self._query().filter(id__gt=self._high).order_by("id").limit(BATCH)
            for row in rows:
                for slot in self._slots:
                    if slot.lagging or not slot.follower.interested(row):
                        continue
                    try:
                        slot.queue.put_nowait(row)
                    except asyncio.QueueFull:  # a slow reader never blocks the others
                        slot.lagging = True
                        if slot.on_overflow is not None:
                            self._slots.discard(slot)
                            slot.on_overflow()
                self._high = row.pk
            if len(rows) < BATCH:
                return

    async def tail(self, follower: Follower[R], *, after: int | None, queue_size: int = QUEUE_SIZE,
                   on_overflow: Callable[[], None] | None = None) -> AsyncIterator[R]:
        """Rows the follower wants: those after `after` from the database, then live ones.
        Without `after`, only what is written from now on. With `on_overflow`, a follower more
        than `queue_size` rows behind is dropped and `on_overflow` called (once); the iterator
        then ends after the rows it already holds."""
        slot = _Slot(follower, queue_size=queue_size, on_overflow=on_overflow)
        async with self._lock:
            self._slots.add(slot)
            upper = self._high
        self._wake.set()  # read the table now: a client resuming elsewhere may know of newer rows
        last = upper if after is None else after
        try:
            while True:
                if last < upper:
                    async for row in self._replay(follower, after=last, upper=upper):
                        last = row.pk
                        yield row
                    last = max(last, upper)
                if slot.on_overflow is not None and slot.lagging and slot.queue.empty():
                    return  # dropped: the client resumes from the last row it was given
                row = await slot.queue.get()
                if slot.lagging and slot.on_overflow is None:
                    async with self._lock:  # start over from the database, from where we are
                        slot.lagging = False
                        slot.queue = asyncio.Queue(queue_size)
                        upper = self._high
                    continue
                if row.pk <= last:
                    continue  # already replayed
                last = row.pk
                if await follower.allowed(row):
                    yield row
        finally:
            self._slots.discard(slot)

    async def _replay(self, follower: Follower[R], *, after: int, upper: int) -> AsyncIterator[R]:
        cursor = after
        while cursor < upper:
            query: QuerySet[Any] = follower.replay(self._query()).filter(id__gt=cursor, id__lte=upper)
            rows = await query.order_by("id").limit(BATCH)
            for row in rows:
                if follower.interested(row) and await follower.allowed(row):
                    yield row
            if len(rows) < BATCH:
                return
            cursor = rows[-1].pk

"""The background worker: the push dispatcher, the push jobs, and 电子监察.

`python -m backend worker` runs it on its own (with REDIS_URL, as many as you like: the
dispatcher claims rows, jobs hold leases, supervision claims flags). In the embedded default
the server starts one inside its own process (WORKER_MODE=inprocess).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task

from backend.bus import Bus, relay_wakeups, wait_for_wake
from backend.keys import Keys
from backend.services.case_events import CASE_EVENTS_CHANNEL
from backend.services.notifications import NOTIFICATIONS_CHANNEL
from backend.services.supervision import supervise
from backend.services.bookings.noshow import mark_no_shows
from backend.services.bookings.reminders import send_reminders
from backend.services.bookings.rules import BookingRules
from backend.settings import Settings
from notifications.broker import build_broker
from notifications.dispatcher import dispatch_due, sweep
from notifications.jobs import RetryPolicy, deliver
from notifications.sender import PushSender
from notifications.vapid import VapidSigner

log = logging.getLogger("notifications.worker")

SWEEP_SECONDS = 30.0
MAX_CONCURRENT_JOBS = 100  # a hanging push service holds one of these for at most the timeout
EMBEDDED_CONCURRENT_JOBS = 16  # sharing the server's event loop and database connections


class Worker:
    def __init__(self, *, settings: Settings, keys: Keys, bus: Bus) -> None:
        self._settings = settings
        self._bus = bus
        self.signer = VapidSigner(private_pem=keys.vapid_pem, subject=settings.vapid_subject)
        self.sender = PushSender(signer=self.signer, timeout_seconds=settings.push_timeout_seconds)
        self.policy = RetryPolicy(max_attempts=settings.push_max_attempts, base_seconds=settings.push_retry_base_seconds,
                                  max_wait_seconds=settings.push_retry_max_wait_seconds,
                                  timeout_seconds=settings.push_timeout_seconds)
        self.broker: AsyncBroker = build_broker(settings.redis_url, database_url=settings.database_url,
                                               max_async_tasks=MAX_CONCURRENT_JOBS)

        # taskiq's Redis receiver bounds the jobs in flight; its in-memory broker starts every
        # kicked job at once, so inside the server a burst of 1,000 pushes would queue the
        # server's own queries behind 1,000 jobs' (bench: /healthz p99 ~1 s). Bounded here.
        slots = asyncio.Semaphore(EMBEDDED_CONCURRENT_JOBS if isinstance(self.broker, InMemoryBroker)
                                  else MAX_CONCURRENT_JOBS)

        async def deliver_push(delivery_id: int) -> str:  # taskiq wants a plain function
            async with slots:
                return await deliver(delivery_id, sender=self.sender, policy=self.policy)

        self._deliver_task = self.broker.register_task(deliver_push, task_name="push.deliver")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []  # they stop at the end of a round
        self._tasks: list[asyncio.Task[Any]] = []

    async def kick(self, delivery_id: int) -> None:
        await self._deliver_task.kiq(delivery_id)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        await self.sender.start()
        if not isinstance(self.broker, InMemoryBroker):
            self.broker.is_worker_process = True
        await self.broker.startup()
        self._loops = [asyncio.create_task(self._dispatch_loop(), name="push-dispatcher")]
        self._tasks = [asyncio.create_task(relay_wakeups(self._bus, channel, self._wake,
                                                          poll_seconds=self._settings.feed_poll_seconds),
                                            name=f"push-dispatcher-listen-{channel}")
                        for channel in (CASE_EVENTS_CHANNEL, NOTIFICATIONS_CHANNEL)]
        if not isinstance(self.broker, InMemoryBroker):
            self._tasks.append(asyncio.create_task(
                run_receiver_task(self.broker, max_async_tasks=MAX_CONCURRENT_JOBS, run_startup=False),
                name="push-receiver"))
        if self._settings.supervision_interval_seconds > 0:
            self._loops.append(asyncio.create_task(self._supervision_loop(), name="supervision"))
        if self._settings.booking_job_interval_seconds > 0:
            self._loops.append(asyncio.create_task(self._bookings_loop(), name="bookings"))

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        # The loops that talk to the database finish their round first: a query cut off by a
        # cancellation would answer into a closed event loop after shutdown.
        self._stopping.set()
        self._wake.set()
        _done, late = await asyncio.wait(self._loops, timeout=grace_seconds)
        for task in [*late, *self._tasks]:  # listeners and the receiver only wait: cancel them
            task.cancel()
        for task in [*self._loops, *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops, self._tasks = [], []
        if isinstance(self.broker, InMemoryBroker):
            await self._drain_in_memory(grace_seconds)
        await self.broker.shutdown()
        await self.sender.close()

    async def _drain_in_memory(self, grace_seconds: float) -> None:
        # Jobs still waiting out a Retry-After are cancelled: their lease lapses and the next
        # worker's sweep resumes them, with the attempts they already made.
        running = list(getattr(self.broker, "_running_tasks", ()))
        if not running:
            return
        _done, pending = await asyncio.wait(running, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def run_once(self) -> int:
        """Dispatch everything due now (tests and the bench call it directly)."""
        handled = 0
        while (batch := await dispatch_due(kick=self.kick)):
            handled += batch
        return handled

    async def wait_idle(self) -> None:
        """In memory: wait until every kicked job has finished (tests, bench)."""
        if isinstance(self.broker, InMemoryBroker):
            await self.broker.wait_all()

    async def _dispatch_loop(self) -> None:
        poll = self._settings.feed_poll_seconds
        last_sweep = 0.0
        while not self._stopping.is_set():
            await wait_for_wake(self._wake, seconds=poll)
            if self._stopping.is_set():
                return
            try:
                await self.run_once()
                if time.monotonic() - last_sweep > SWEEP_SECONDS:
                    last_sweep = time.monotonic()
                    await sweep(kick=self.kick)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database or broker hiccuped: the next round retries
                log.exception("push dispatch round failed")
                await asyncio.sleep(min(poll, 1.0))

    async def _supervision_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.supervision_interval_seconds):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                await supervise(warn_percent=self._settings.supervision_warn_percent, bus=self._bus)
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed round must not end supervision: log and try next time
                log.exception("supervision round failed")

    async def _bookings_loop(self) -> None:
        """Booking reminders and no-shows (backend/services/bookings): both safe to run twice,
        so several workers may run them at once."""
        rules = BookingRules.of(self._settings)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.booking_job_interval_seconds):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                await send_reminders(rules=rules, bus=self._bus)
                await mark_no_shows(rules=rules, bus=self._bus)
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed round must not end the job: log and try next time
                log.exception("booking jobs round failed")

"""The background worker: the push dispatcher, the push jobs, 电子监察, and removing uploads
never attached to a case.

`python -m backend worker` runs it on its own (with REDIS_URL, as many as you like: the
dispatcher claims rows, jobs hold leases, supervision claims flags). In the embedded default
the server starts one inside its own process (WORKER_MODE=inprocess).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any, Awaitable, Callable

from concurrent.futures import ThreadPoolExecutor

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.receiver import Receiver

from backend.bus import Bus, relay_wakeups, wait_for_wake
from backend.keys import Keys
from backend.services.cases.events import CASE_EVENTS_CHANNEL
from backend.services.notifications.inbox import NOTIFICATIONS_CHANNEL
from backend.services.cases.supervision import supervise
from backend.services.cases.uploads import remove_unattached
from backend.services.ratings.tokens import purge_expired as purge_expired_rating_tokens
from backend.services.ratings.visit import invite_visit_ratings
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
            job = asyncio.current_task()
            if job is not None:
                self._jobs.add(job)
            try:
                async with slots:
                    return await deliver(delivery_id, sender=self.sender, policy=self.policy,
                                         rating_token_ttl=timedelta(hours=settings.rating_token_ttl_hours))
            finally:
                self._jobs.discard(job)  # type: ignore[arg-type]

        self._deliver_task = self.broker.register_task(deliver_push, task_name="push.deliver")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []  # they stop at the end of a round
        self._tasks: list[asyncio.Task[Any]] = []
        self._jobs: set[asyncio.Task[Any]] = set()  # push jobs running in this process
        self._receiving = asyncio.Event()  # set: the Redis receiver stops taking jobs
        self._receiver: asyncio.Task[None] | None = None

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
            self._receiving.clear()
            self._receiver = asyncio.create_task(self._receive(), name="push-receiver")
        if self._settings.supervision_interval_seconds > 0:
            self._loops.append(asyncio.create_task(self._every(
                self._settings.supervision_interval_seconds, self._supervise, "supervision"), name="supervision"))
        if self._settings.upload_cleanup_interval_seconds > 0:
            self._loops.append(asyncio.create_task(self._every(
                self._settings.upload_cleanup_interval_seconds, self._housekeeping, "housekeeping"),
                name="housekeeping"))

        if self._settings.booking_job_interval_seconds > 0:
            self._loops.append(asyncio.create_task(self._every(
                self._settings.booking_job_interval_seconds, self._booking_jobs, "booking jobs"), name="bookings"))

    async def _receive(self) -> None:
        # taskiq's receiver, with its finish event in our hands: on stop it takes no new job,
        # waits for the running ones, and hands back what it had fetched but not started.
        # A Redis hiccup (a timeout on the blocking read) ends a receiver: start another, as
        # taskiq's own run_receiver_task does.
        with ThreadPoolExecutor(max_workers=1) as executor:
            while not self._receiving.is_set():
                receiver = Receiver(broker=self.broker, executor=executor, run_startup=False,
                                    max_async_tasks=MAX_CONCURRENT_JOBS,
                                    wait_tasks_timeout=self._settings.shutdown_grace_seconds)
                try:
                    await receiver.listen(self._receiving)
                except Exception:  # noqa: BLE001 (anyio wraps it in an exception group)
                    log.warning("push job receiver stopped; restarting it", exc_info=True)
                    await asyncio.sleep(1.0)

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        """Graceful: the loops end their round, no job is taken any more, the jobs running finish
        within `grace_seconds`; those that do not are cancelled and give their delivery back
        (jobs.deliver releases the lease), so another worker resumes it at its next sweep."""
        deadline = asyncio.get_running_loop().time() + grace_seconds

        def left() -> float:
            return max(0.0, deadline - asyncio.get_running_loop().time())

        # The loops that talk to the database finish their round first: a query cut off by a
        # cancellation would answer into a closed event loop after shutdown.
        self._stopping.set()
        self._wake.set()
        self._receiving.set()
        _done, late = await asyncio.wait(self._loops, timeout=left()) if self._loops else (set(), set())
        if self._receiver is not None:
            _done, unfinished = await asyncio.wait([self._receiver], timeout=left())
            late |= unfinished
        for task in [*late, *self._tasks]:  # listeners only wait: cancel them
            task.cancel()
        for task in [*self._loops, *self._tasks, *([self._receiver] if self._receiver else [])]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops, self._tasks, self._receiver = [], [], None
        await self._finish_jobs(left())
        await self.broker.shutdown()
        await self.sender.close()

    @property
    def jobs_running(self) -> int:
        return len(self._jobs)

    async def _finish_jobs(self, grace_seconds: float) -> None:
        # In memory, the kicked jobs are tasks of the broker that may not have started yet.
        running = set(self._jobs) | set(getattr(self.broker, "_running_tasks", ()))
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

    async def _supervise(self) -> None:
        await supervise(warn_percent=self._settings.supervision_warn_percent, bus=self._bus)

    async def _housekeeping(self) -> None:
        """What nobody can use any more: uploads never attached to a case, expired rating tokens.
        Both are idempotent deletes, so several workers may run them at once."""
        await remove_unattached(upload_dir=self._settings.upload_dir,
                                older_than=timedelta(hours=self._settings.upload_unattached_hours))
        await purge_expired_rating_tokens()

    async def _every(self, seconds: int, run: Callable[[], Awaitable[None]], what: str) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed round must not end the job: log and try next time
                log.exception("%s round failed", what)

    async def _booking_jobs(self) -> None:
        """Booking reminders, no-shows and visit rating invitations: each safe to run twice,
        so several workers may run them at once."""
        rules = BookingRules.of(self._settings)
        await send_reminders(rules=rules, bus=self._bus)
        await mark_no_shows(rules=rules, bus=self._bus)
        await invite_visit_ratings(bus=self._bus)

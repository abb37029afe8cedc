"""The push job: send one notification to one device, and record how it went.

It takes the delivery's id, and is safe to run twice or concurrently: it works only while
holding the delivery's lease, and a delivery in a final state is left alone. Transient
answers (429, 5xx, no answer) are retried a bounded number of times, waiting what the push
service asked for (Retry-After) or an exponential backoff; 404/410 mean the browser dropped
the subscription, which is then deleted. Every attempt is logged on the delivery.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from backend import metrics
from backend.models import PushDelivery, PushSubscription
from backend.models.notifications import PushState
from backend.services.workdays import CHINA
from backend.services.ratings.tokens import mint_for_push
from notifications import payload
from notifications.sender import Answer, PushSender

log = logging.getLogger("notifications.jobs")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_seconds: float = 1.0
    max_wait_seconds: float = 60.0
    timeout_seconds: float = 10.0

    def wait(self, attempt: int, answer: Answer) -> float | None:
        """Seconds to wait before the next attempt, or None to stop trying."""
        if attempt >= self.max_attempts:
            return None
        if answer.retry_after is not None:  # the push service said when: honour it, or give up
            return answer.retry_after if answer.retry_after <= self.max_wait_seconds else None
        backoff = self.base_seconds * 2 ** (attempt - 1)
        return min(self.max_wait_seconds, backoff * (1 + random.random() / 2))


_ENDED = {PushState.SENT: metrics.PUSH_SENT, PushState.FAILED: metrics.PUSH_FAILED,
          PushState.EXPIRED: metrics.PUSH_EXPIRED}


def _now() -> datetime:
    # In the database's zone: SQLite compares timestamps as text (see dispatcher._local).
    return datetime.now(CHINA)


async def _lease(delivery_id: int, *, seconds: float) -> bool:
    """Take (or renew) the right to work on a pending delivery; False if someone else holds it."""
    now = _now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(await PushDelivery.filter(free, id=delivery_id, state=PushState.PENDING).update(
        lease_until=now + timedelta(seconds=seconds)))


async def deliver(delivery_id: int, *, sender: PushSender, policy: RetryPolicy,
                  rating_token_ttl: timedelta = timedelta(hours=72)) -> str:
    """Returns the delivery's state when the job ends (for logs and tests). A rating invitation
    (or return visit) gets a fresh single-use rating token per attempt, short-lived from then."""
    lease = policy.timeout_seconds + 30
    if not await _lease(delivery_id, seconds=lease):
        row = await PushDelivery.get_or_none(id=delivery_id)
        return row.state.value if row else "MISSING"
    try:
        return await _send_until_done(delivery_id, sender=sender, policy=policy, lease=lease,
                                      rating_token_ttl=rating_token_ttl)
    except asyncio.CancelledError:
        # The worker is stopping and this job ran out of grace: give the delivery back now (the
        # next sweep, in any worker, resumes it with the attempts it made) rather than leave it
        # leased until the lease runs out.
        await PushDelivery.filter(id=delivery_id, state=PushState.PENDING).update(lease_until=None)
        log.info("push delivery %s returned unfinished (worker stopping)", delivery_id)
        raise


async def _send_until_done(delivery_id: int, *, sender: PushSender, policy: RetryPolicy, lease: float,
                           rating_token_ttl: timedelta) -> str:
    delivery = await PushDelivery.get(id=delivery_id).select_related("notification", "notification__case", "subscription")
    while True:
        subscription: PushSubscription | None = delivery.subscription
        if subscription is None:  # unregistered since it was queued
            return await _finish(delivery, PushState.EXPIRED, status=None, outcome="unsubscribed")
        if delivery.attempts >= policy.max_attempts:
            return await _finish(delivery, PushState.FAILED, status=None, outcome="attempts-exhausted")
        notification = delivery.notification
        case_number = notification.case.number if notification.case else None
        settings = payload.DELIVERY[notification.kind]
        topic, _tag = payload.topic_and_tag(notification, case_number)
        token = await mint_for_push(kind=notification.kind, user_id=notification.user_id,
                                    case_id=notification.case_id, ttl=rating_token_ttl) \
            if notification.kind in payload.ASKS_FOR_RATING else None
        data = payload.build(notification, case_number=case_number, rating_token=token)
        answer = await sender.send(endpoint=subscription.endpoint, p256dh=subscription.p256dh, auth=subscription.auth,
                                   data=data, ttl=settings.ttl,
                                   urgency=settings.urgency, topic=topic)
        delivery.attempts += 1
        if answer.sent:
            await PushSubscription.filter(id=subscription.id).update(last_success_at=_now())
            return await _finish(delivery, PushState.SENT, status=answer.status, outcome="sent")
        if answer.gone:
            await PushSubscription.filter(id=subscription.id).delete()
            return await _finish(delivery, PushState.EXPIRED, status=answer.status, outcome="gone")
        wait = policy.wait(delivery.attempts, answer) if answer.transient else None
        if wait is None:
            return await _finish(delivery, PushState.FAILED, status=answer.status,
                                 outcome="retry-exhausted" if answer.transient else "refused", error=answer.error)
        _log_attempt(delivery, status=answer.status, outcome="retry", error=answer.error, wait=wait)
        metrics.PUSH_RETRIED.inc()
        delivery.lease_until = _now() + timedelta(seconds=wait + lease)
        await delivery.save(update_fields=["attempts", "log", "lease_until"])
        await asyncio.sleep(wait)
        await delivery.refresh_from_db(fields=["state", "subscription_id"])
        if delivery.state is not PushState.PENDING:
            return delivery.state.value
        await delivery.fetch_related("subscription")


def _log_attempt(delivery: PushDelivery, *, status: int | None, outcome: str, error: str = "",
                 wait: float | None = None) -> None:
    entry: dict[str, object] = {"at": _now().isoformat(timespec="milliseconds"), "status": status, "outcome": outcome}
    if error:
        entry["error"] = error
    if wait is not None:
        entry["wait"] = round(wait, 3)
    delivery.log = [*delivery.log, entry]


async def _finish(delivery: PushDelivery, state: PushState, *, status: int | None, outcome: str, error: str = "") -> str:
    _log_attempt(delivery, status=status, outcome=outcome, error=error)
    delivery.state = state
    delivery.finished_at = _now()
    delivery.lease_until = None
    await delivery.save(update_fields=["state", "attempts", "log", "finished_at", "lease_until"])
    _ENDED[state].inc()
    if state is not PushState.SENT:
        log.info("push delivery %s ended %s (%s, status %s)", delivery.id, state.value, outcome, status)
    return state.value

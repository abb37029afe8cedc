"""One HTTP request to a push service, and what its answer means.

pywebpush encrypts (aes128gcm, RFC 8291) and posts through our aiohttp session; we add the
VAPID headers ourselves (cached per push service, see vapid.py) and always a timeout: a push
service that hangs must cost one slot for a bounded time, never a worker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

import aiohttp
from pywebpush import WebPusher

from notifications.vapid import VapidSigner


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (timeout, connection refused)
    retry_after: float | None = None
    error: str = ""

    @property
    def sent(self) -> bool:
        return self.status in (200, 201, 202)

    @property
    def gone(self) -> bool:  # the subscription no longer exists
        return self.status in (404, 410)

    @property
    def transient(self) -> bool:  # worth another try
        return self.status is None or self.status == 429 or self.status >= 500


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds, or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


class PushSender:
    def __init__(self, *, signer: VapidSigner, timeout_seconds: float) -> None:
        self._signer = signer
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # One session: connections to a push service are reused across messages.
        self._session = aiohttp.ClientSession(timeout=self._timeout, raise_for_status=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, *, endpoint: str, p256dh: str, auth: str, data: bytes, ttl: int, urgency: str,
                   topic: str | None) -> Answer:
        assert self._session is not None, "PushSender.start() first"
        headers = {**self._signer.headers(endpoint), "Urgency": urgency}
        if topic:
            headers["Topic"] = topic
        pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                           aiohttp_session=self._session)
        try:
            response = await pusher.send_async(data, headers, ttl=ttl, timeout=self._timeout)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as error:
            return Answer(status=None, error=f"{type(error).__name__}: {error}"[:200])
        return Answer(status=response.status, retry_after=parse_retry_after(response.headers.get("Retry-After")),
                      error="" if response.status < 300 else (response.reason or "")[:200])

"""Rate limits: fixed-window counters per token subject and per client address.

In Redis when REDIS_URL is set (one client for the process; every instance counts together),
in this process otherwise. A counter store that cannot be reached lets requests through: the
limits protect the service, they must not take it down with Redis.

Each refusal is logged once, at WARNING, on `backend.refused`: the kind of request, the
address and a hash of the subject, never the payload or the token.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from backend.settings import Settings

refused_log = logging.getLogger("backend.refused")
log = logging.getLogger("backend.ratelimit")

MUTATION = "mutation"
UPLOAD = "upload"


@dataclass(frozen=True)
class Limit:
    per_token: int  # 0: no limit
    per_address: int


@dataclass(frozen=True)
class Refusal:
    by: str  # "token" or "address"
    retry_after: int  # seconds until the window ends


def subject_hash(subject: str) -> str:
    """Who, for keys and logs, without the subject itself."""
    return hashlib.sha256(subject.encode("utf-8", "replace")).hexdigest()[:16]


class _Counters(Protocol):
    async def incr(self, keys: list[str], *, seconds: int) -> list[int]: ...

    async def close(self) -> None: ...


class MemoryCounters:
    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._counts: dict[str, tuple[float, int]] = {}
        self._clock = clock
        self._next_prune = 0.0

    async def incr(self, keys: list[str], *, seconds: int) -> list[int]:
        now = self._clock()
        if now >= self._next_prune:  # old windows' keys, at most once a window
            self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            self._next_prune = now + seconds
        counts = []
        for key in keys:
            expires, count = self._counts.get(key, (now + seconds, 0))
            self._counts[key] = (expires, count + 1)
            counts.append(count + 1)
        return counts

    async def close(self) -> None:
        self._counts.clear()


class RedisCounters:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    async def incr(self, keys: list[str], *, seconds: int) -> list[int]:
        # One round trip. The key names the window, so refreshing its expiry is harmless.
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, seconds + 1)
            results = await pipe.execute()
        return [int(n) for n in results[::2]]

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    def __init__(self, *, limits: dict[str, Limit], window_seconds: int, redis_url: str | None = None,
                 clock: Callable[[], float] = time.time, prefix: str = "zsb:rl") -> None:
        self.limits = limits
        self.window = window_seconds
        self._clock = clock
        self._prefix = prefix
        self._counters: _Counters = RedisCounters(redis_url) if redis_url else MemoryCounters(clock=clock)
        self.kind = "redis" if redis_url else "memory"
        self._quiet_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: object) -> RateLimiter:
        limits = {
            MUTATION: Limit(per_token=settings.rate_limit_mutations_per_token,
                            per_address=settings.rate_limit_mutations_per_address),
            UPLOAD: Limit(per_token=settings.rate_limit_uploads_per_token,
                          per_address=settings.rate_limit_uploads_per_address),
        }
        return cls(limits=limits, window_seconds=settings.rate_limit_window_seconds, redis_url=settings.redis_url,
                   **kwargs)  # type: ignore[arg-type]

    async def admit(self, *, kind: str, subject: str | None, address: str | None) -> Refusal | None:
        """Count one request; a Refusal when it is over a limit (it still counts: retrying
        while refused does not shorten the wait)."""
        limit = self.limits[kind]
        now = self._clock()
        window = int(now // self.window)
        hashed = subject_hash(subject) if subject else None
        checks: list[tuple[str, int, str]] = []
        if hashed and limit.per_token:
            checks.append(("token", limit.per_token, f"{self._prefix}:{kind}:t:{hashed}:{window}"))
        if address and limit.per_address:
            checks.append(("address", limit.per_address, f"{self._prefix}:{kind}:a:{address[:64]}:{window}"))
        if not checks:
            return None
        try:
            counts = await self._counters.incr([key for _, _, key in checks], seconds=self.window)
        except (RedisError, OSError):
            if now >= self._quiet_until:  # once a minute, not once a request
                log.warning("rate limit counters unreachable; admitting requests meanwhile")
                self._quiet_until = now + 60
            return None
        for (by, allowed, _key), count in zip(checks, counts):
            if count > allowed:
                retry_after = max(1, math.ceil((window + 1) * self.window - now))
                refused_log.warning("refused %s: over the per-%s limit (%d per %d s) address=%s subject=%s",
                                    kind, by, allowed, self.window, address or "-", hashed or "-")
                return Refusal(by=by, retry_after=retry_after)
        return None

    async def close(self) -> None:
        await self._counters.close()


REFUSED_MESSAGE = "操作过于频繁，请 {seconds} 秒后再试"

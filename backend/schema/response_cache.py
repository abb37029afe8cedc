"""Answers to public catalog queries, kept so a repeated one costs next to nothing.

Only what PublicCacheHint marked public (every root field in PUBLIC_ROOT_FIELDS, no errors) and
only for requests without an Authorization header is ever stored or served: personal data never
enters this cache. An entry is keyed on the catalog's version and on (document sha256, operation
name, variables, the answer's media type); any catalog change (backend/services/catalog/version.py)
moves the version, so every older entry is unreachable at once. Entries also expire after
CATALOG_CACHE_SECONDS, the age browsers and proxies are already allowed: satisfaction figures,
which move with every rating, are never older here than they may be there.

With REDIS_URL the version is a Redis counter read on each lookup (one round trip) and entries
are shared between instances; the in-process LRU in front of it saves the transfer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from redis import asyncio as aioredis

from backend.services.catalog import version as catalog_version

log = logging.getLogger("backend.response_cache")

VERSION_KEY = "pubcache:version"


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    etag: str
    media_type: str
    max_age: int
    expires_at: float

    def to_bytes(self) -> bytes:
        head = json.dumps({"etag": self.etag, "media_type": self.media_type, "max_age": self.max_age,
                           "expires_at": self.expires_at}).encode()
        return head + b"\n" + self.body

    @classmethod
    def from_bytes(cls, raw: bytes) -> CachedAnswer:
        head, _, body = raw.partition(b"\n")
        fields = json.loads(head)
        return cls(body=body, **fields)


def cache_key(*, document_hash: str, operation_name: str | None, variables: object, media_type: str) -> str:
    canonical = json.dumps([document_hash, operation_name, variables, media_type], sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PublicResponseCache:
    def __init__(self, *, entries: int, redis_url: str | None) -> None:
        self.entries = entries
        self._local: OrderedDict[tuple[int, str], CachedAnswer] = OrderedDict()
        self._version = 0  # the in-process version, without Redis
        self._redis_url = redis_url if entries else None
        self._client: aioredis.Redis | None = None
        self._stop_listening = catalog_version.listen(self.bump) if entries else None

    @property
    def _redis(self) -> aioredis.Redis | None:
        if self._redis_url is not None and self._client is None:
            self._client = aioredis.Redis.from_url(self._redis_url)  # made on first use: in the app's loop
        return self._client

    @property
    def enabled(self) -> bool:
        return self.entries > 0

    async def version(self) -> int | None:
        """The catalog's version, or None when it cannot be known (Redis down: no caching)."""
        if self._redis is None:
            return self._version
        try:
            raw = await self._redis.get(VERSION_KEY)
        except Exception:  # the cache is only a shortcut: answer from the database
            log.warning("response cache: Redis unavailable", exc_info=True)
            return None
        return int(raw or 0)

    async def get(self, version: int, key: str) -> CachedAnswer | None:
        now = time.time()
        answer = self._local.get((version, key))
        if answer is not None:
            if answer.expires_at > now:
                self._local.move_to_end((version, key))
                return answer
            del self._local[(version, key)]
        if self._redis is None:
            return None
        try:
            raw = await self._redis.get(f"pubcache:{version}:{key}")
        except Exception:
            log.warning("response cache: Redis unavailable", exc_info=True)
            return None
        if raw is None:
            return None
        answer = CachedAnswer.from_bytes(raw)
        if answer.expires_at <= now:
            return None
        self._remember(version, key, answer)
        return answer

    async def put(self, version: int, key: str, answer: CachedAnswer) -> None:
        self._remember(version, key, answer)
        if self._redis is not None:
            try:
                await self._redis.set(f"pubcache:{version}:{key}", answer.to_bytes(),
                                      ex=max(1, int(answer.expires_at - time.time())))
            except Exception:
                log.warning("response cache: Redis unavailable", exc_info=True)

    def _remember(self, version: int, key: str, answer: CachedAnswer) -> None:
        self._local[(version, key)] = answer
        self._local.move_to_end((version, key))
        while len(self._local) > self.entries:
            self._local.popitem(last=False)

    async def bump(self) -> None:
        """The catalog changed: every entry stored so far is out of date."""
        self._version += 1
        self._local.clear()
        if self._redis is not None:
            try:
                await self._redis.incr(VERSION_KEY)
            except Exception:
                # Entries in Redis outlive this: they expire after CATALOG_CACHE_SECONDS.
                log.warning("response cache: could not move the version in Redis", exc_info=True)

    async def close(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

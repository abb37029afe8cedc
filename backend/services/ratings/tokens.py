"""One-tap rating tokens: what a push notification's 满意 / 不满意 buttons carry.

A token is minted when the push is built (so it is short-lived from the moment it leaves),
scoped to one case and one person and one purpose, and single use: redeeming it is a
conditional update that only one request can win. Only its SHA-256 is stored, so the table
cannot be replayed from a database dump. It is not an access token: it authorises exactly one
answer and nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from backend.models import RatingToken
from backend.models.notifications import NotificationKind
from backend.models.ratings import RatingTokenPurpose
from backend.services.workdays import CHINA
from backend.services.errors import RatingTokenError
from backend.services.ratings.tickets import visit_ticket_for

PREFIX = "rt1_"
MAX_LENGTH = 80


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _db_time(moment: datetime) -> datetime:
    # Compared in the database's zone: SQLite compares timestamps as text (see notifications/dispatcher.py).
    return moment.astimezone(CHINA)


async def mint(*, purpose: RatingTokenPurpose, user_id: int, case_id: int, ticket_id: int | None = None,
               ttl: timedelta, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    raw = PREFIX + secrets.token_urlsafe(24)
    await RatingToken.create(token_hash=_hash(raw), purpose=purpose, user_id=user_id, case_id=case_id,
                             ticket_id=ticket_id, expires_at=_db_time(now + ttl))
    return raw


async def redeem(conn: BaseDBAsyncClient, *, raw: object, now: datetime) -> RatingToken:
    """Use the token in the caller's transaction; the caller rolls back if what it authorises fails."""
    if not isinstance(raw, str) or not raw.startswith(PREFIX) or len(raw) > MAX_LENGTH:
        raise RatingTokenError("评价凭证无效，请打开应用评价", reason="unknown")
    digest = _hash(raw)
    claimed = await RatingToken.filter(token_hash=digest, used_at=None, expires_at__gt=_db_time(now)).using_db(
        conn).update(used_at=_db_time(now))
    row = await RatingToken.filter(token_hash=digest).using_db(conn).first()
    if claimed:
        assert row is not None
        return row
    if row is None:
        raise RatingTokenError("评价凭证无效，请打开应用评价", reason="unknown")
    if row.used_at is not None:
        raise RatingTokenError("该评价凭证已使用过", reason="used")
    raise RatingTokenError("评价凭证已过期，请打开应用评价", reason="expired")


def foreign() -> RatingTokenError:
    return RatingTokenError("该评价凭证不属于此办件或此用户", reason="foreign")


async def mint_for_push(*, kind: str, user_id: int, case_id: int | None, ttl: timedelta) -> str | None:
    """The token a push of this notification carries, if any: the invitation rates the case; the
    return visit answers the ticket still waiting for this person's answer."""
    if case_id is None:
        return None
    if kind == NotificationKind.RATING_INVITATION:
        return await mint(purpose=RatingTokenPurpose.RATE, user_id=user_id, case_id=case_id, ttl=ttl)
    if kind == NotificationKind.RATING_RETURN_VISIT:
        ticket = await visit_ticket_for(case_id=case_id, user_id=user_id)
        if ticket is None:  # answered meanwhile: the push only opens the case
            return None
        return await mint(purpose=RatingTokenPurpose.RETURN_VISIT, user_id=user_id, case_id=case_id,
                          ticket_id=ticket.id, ttl=ttl)
    return None


async def purge_expired(*, grace: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Delete tokens that expired more than `grace` ago, used or not: they authorise nothing any
    more. The grace keeps a late tap answered "已过期" rather than "无效" for a day."""
    now = now or datetime.now(timezone.utc)
    return await RatingToken.filter(expires_at__lt=_db_time(now - grace)).delete()

"""HTTP adapter for the service worker's one-tap rating: POST /ratings/quick.

The service worker answers a notification's 满意 / 不满意 button without opening the app, and
has no access token: the single-use rating token in the push payload is the whole
authorisation. Body: {"token", "level" (RatingLevel, or "satisfied" / "unsatisfied"),
"caseNumber" (optional: must match the token's case)}. Never cached.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from backend.bus import Bus
from backend.ratelimit import MUTATION, REFUSED_MESSAGE, RateLimiter
from backend.models.ratings import RatingLevel
from backend.services.errors import AlreadyRatedError, DomainError, RatingTokenError
from backend.services.ratings import levels
from backend.services.ratings.rating import rate_by_token
from backend.services.ratings.tickets import TicketDays
from backend.settings import Settings

NO_STORE = {"cache-control": "no-store"}
MAX_BODY = 2048
_SHORT = {"satisfied": RatingLevel.SATISFIED, "unsatisfied": RatingLevel.UNSATISFIED}


def _error(status: int, code: str, message: str, **extra: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": {"code": code, "message": message, **extra}}, status_code=status,
                        headers=NO_STORE)


def _level(raw: object) -> RatingLevel | None:
    if not isinstance(raw, str):
        return None
    if raw in _SHORT:
        return _SHORT[raw]
    return RatingLevel(raw) if raw in RatingLevel.__members__ else None


async def _body_within_limit(request: Request) -> bytes | None:
    """The body, or None as soon as it is known to be over MAX_BODY (declared or counted)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def quick_rating(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    bus: Bus = request.app.state.bus
    limiter: RateLimiter = request.app.state.limiter
    # Counted as a mutation by address (there is no token subject): guessing tokens is not free.
    refusal = await limiter.admit(kind=MUTATION, subject=None, address=request.client.host if request.client else None)
    if refusal is not None:
        refused = _error(429, "RATE_LIMITED", REFUSED_MESSAGE.format(seconds=refusal.retry_after))
        refused.headers["retry-after"] = str(refusal.retry_after)
        return refused
    body = await _body_within_limit(request)
    if body is None:
        return _error(413, "INVALID_INPUT", "请求过大")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return _error(400, "INVALID_INPUT", "请求格式不正确")
    if not isinstance(data, dict):
        return _error(400, "INVALID_INPUT", "请求格式不正确")
    level = _level(data.get("level"))
    if level is None:
        return _error(400, "INVALID_INPUT", "评价等级无效", field="level")
    number = data.get("caseNumber")
    try:
        answer = await rate_by_token(raw=data.get("token"), level=level, days=TicketDays.from_settings(settings), bus=bus,
                                     case_number=number if isinstance(number, str) else None)
    except RatingTokenError as error:
        return _error(403, error.code.value, error.message, reason=error.reason)
    except AlreadyRatedError as error:
        return _error(409, error.code.value, error.message)
    except DomainError as error:
        return _error(409 if error.code.value == "INVALID_TRANSITION" else 400, error.code.value, error.message)
    return JSONResponse({"ok": True, "caseNumber": answer.case.number, "level": level.value,
                         "levelLabel": levels.label(level), "returnVisit": answer.ticket is not None},
                        headers=NO_STORE)

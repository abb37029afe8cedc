"""HTTP adapter for GET /bookings/{number}.ics: the booking as a calendar file (RFC 5545).

Outside GraphQL because a browser downloads it as a file. The PWA fetches it with the bearer
token; someone else's booking is 404, like an unknown number."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.auth.bearer import AuthError, authenticate, bearer_token
from backend.auth.identity import Identity, base_url
from backend.models import BookableItem
from backend.services.bookings.booking import visible_booking
from backend.services.bookings.ics import booking_ics
from backend.settings import Settings

NO_STORE = {"cache-control": "no-store"}


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={**NO_STORE, **headers})


async def booking_calendar(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    identity: Identity = request.app.state.identity
    try:
        viewer = (await authenticate(identity, bearer_token(request.headers.get("authorization", "")))).user
    except AuthError as error:
        return _error(401, "NOT_AUTHENTICATED", error.message, **{"www-authenticate": 'Bearer error="invalid_token"'})
    booking = await visible_booking(viewer=viewer, number=request.path_params["number"])
    if booking is None:
        return _error(404, "NOT_FOUND", "预约不存在")
    bookable = await BookableItem.get_or_none(hall_id=booking.hall_id, item_id=booking.item_id)
    body = booking_ics(booking, window=bookable.window if bookable else "综合窗口", origin=base_url(settings))
    filename = f"预约-{booking.number}.ics"
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        **NO_STORE, "content-disposition": f"attachment; filename=\"{booking.number}.ics\"; "
                                           f"filename*=UTF-8''{quote(filename)}"})

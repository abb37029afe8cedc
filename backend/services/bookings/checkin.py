"""Check-in at the hall: the booking's QR code (signed by the app like 一人一码, short-lived,
refreshed on the phone) is scanned or typed at the window; the booking becomes CHECKED_IN,
audited, and a linked case's timeline shows it. An expired, replayed or forged code is refused."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Protocol, Sequence

from tortoise.transactions import in_transaction

from backend.jws import ExpiredAppToken, TokenError, verify_app_token
from backend.bus import Bus
from backend.models import Booking, Case, User
from backend.models.bookings import BookingStatus
from backend.models.cases import CaseEventKind
from backend.services.bookings.booking import own_booking
from backend.services.bookings.errors import CheckInRefusedError
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.bookings.staff import manages_item, require_staff
from backend.services.cases.events import announce, record_event
from backend.services.workdays import local_date
from backend.services.errors import NotPermittedError
from backend.services.identity.accounts import log_access
from backend.services.identity.codes import qr_svg

ISSUER = "zhangshangban"
AUDIENCE = "booking-check-in"


class Signer(Protocol):
    def sign(self, claims: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class CheckInCode:
    token: str
    qr_svg: str
    expires_at: int


async def check_in_code(*, viewer: User, number: str, signer: Signer, rules: BookingRules,
                        now: int | None = None) -> CheckInCode:
    booking = await own_booking(viewer=viewer, number=number)
    if booking.status is not BookingStatus.BOOKED:
        raise CheckInRefusedError(f"该预约{booking.status.label}，无需签到码", reason="NOT_ACTIVE")
    issued = now or int(time.time())
    expires = issued + rules.code_seconds
    token = signer.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": booking.number, "iat": issued, "nbf": issued,
                         "exp": expires, "jti": secrets.token_urlsafe(12)})
    return CheckInCode(token=token, qr_svg=qr_svg(token), expires_at=expires)


async def check_in(*, actor: User, code: str, keys: Sequence[Mapping[str, Any]], bus: Bus | None,
                   now: datetime | None = None) -> Booking:
    require_staff(actor)
    moment = now or now_local()
    try:
        claims = verify_app_token(code.strip(), keys=keys, issuer=ISSUER, audience=AUDIENCE,
                                  now=int(moment.timestamp()))
    except ExpiredAppToken:
        raise CheckInRefusedError("签到码已过期，请让对方在手机上刷新后重新出示", reason="EXPIRED") from None
    except TokenError:
        raise CheckInRefusedError("无法识别的签到码", reason="INVALID") from None
    jti = str(claims["jti"])[:32]
    booking = await Booking.get_or_none(number=str(claims["sub"])).select_related("hall", "item", "user")
    if booking is None:
        raise CheckInRefusedError("无法识别的签到码", reason="INVALID")
    if not await manages_item(actor=actor, hall_id=booking.hall_id, item_id=booking.item_id):
        raise NotPermittedError("该预约不是你所在部门在本大厅的事项，请引导至对应窗口")
    if booking.status is BookingStatus.CHECKED_IN:
        message = "该签到码已使用过" if booking.check_in_token == jti else "该预约已签到，不能重复签到"
        raise CheckInRefusedError(message, reason="REPLAYED")
    if booking.status is not BookingStatus.BOOKED:
        raise CheckInRefusedError(f"该预约{booking.status.label}，不能签到", reason="NOT_ACTIVE")
    if booking.day != local_date(moment):
        raise CheckInRefusedError(f"该预约在 {booking.day:%Y-%m-%d}，不是今天", reason="NOT_TODAY")
    event = None
    async with in_transaction() as conn:
        changed = await Booking.filter(id=booking.id, status=BookingStatus.BOOKED).using_db(conn).update(
            status=BookingStatus.CHECKED_IN, checked_in_at=moment, checked_in_by_id=actor.id, check_in_token=jti,
            active_key=None, updated_at=moment)
        if not changed:  # a second window took the same code a moment earlier
            raise CheckInRefusedError("该签到码已使用过", reason="REPLAYED")
        if booking.case_id is not None:
            case = await Case.get(id=booking.case_id).using_db(conn)
            event = await record_event(conn, case=case, kind=CaseEventKind.BOOKING_CHECKED_IN, actor=actor,
                                       actor_label=f"{booking.hall.name}窗口", data={"booking": booking.number},
                                       note=f"{booking.hall.name}，预约号 {booking.number}")
    await log_access(actor=actor, subject=booking.user, what="booking", purpose=f"大厅预约签到 {booking.number}")
    if event is not None:
        announce(bus, event)
    await booking.refresh_from_db()
    return booking

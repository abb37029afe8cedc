"""Booking through the API, as the PWA does, and people made up for a test."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx

from backend.auth.dev_idp import DEV_IDP_KID
from backend.auth.identity import Identity
from backend.jws import sign_token
from backend.models import BookableItem, Booking, BookingSlot, ServiceHall, ServiceItem, User
from backend.seed.reference import CITY_HALL
from backend.services.bookings.rules import now_local
from backend.services.identity.accounts import sync_user
from backend.settings import Settings
from tests.cases_helpers import TEACHER, call
from tests.factories import make_department, make_items
from tests.helpers import gql

BOOKING_FIELDS = """
  number status statusLabel itemCode itemName date startTime endTime startsAt endsAt window
  enterpriseName caseNumber cancelReason checkedInAt icsUrl
  hall { id name address }
"""

SLOTS = """
query($hall: ID!, $item: String!, $from: Date!, $to: Date!) {
  hallSlots(hallId: $hall, itemCode: $item, from: $from, to: $to) {
    id date startTime endTime capacity placesLeft kind open
  }
}
"""

BOOK = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    __typename
    ... on BookingConfirmed { booking { %s } }
    ... on SlotFullError { code message }
    ... on BookingLimitError { code message limit }
    ... on BookingSuspendedError { code message until }
    ... on BookingCutoffError { code message }
    ... on InputError { code field message }
    ... on NotPermittedError { code message }
    ... on NotFoundError { code message }
  }
}
""" % BOOKING_FIELDS

CANCEL = """
mutation($number: String!) {
  cancelBooking(number: $number) {
    __typename
    ... on BookingCancelled { booking { number status cancelReason } }
    ... on BookingNotActiveError { code message status }
    ... on BookingCutoffError { code message }
    ... on NotFoundError { code message }
  }
}
"""

RESCHEDULE = """
mutation($number: String!, $slot: ID!) {
  rescheduleBooking(number: $number, slotId: $slot) {
    __typename
    ... on BookingRescheduled { booking { number status date startTime } }
    ... on BookingNotActiveError { code message status }
    ... on SlotFullError { code message }
    ... on BookingLimitError { code message limit }
    ... on BookingCutoffError { code message }
    ... on InputError { code field message }
    ... on NotFoundError { code message }
  }
}
"""

CHECK_IN = """
mutation($code: String!) {
  checkInBooking(code: $code) {
    __typename
    ... on BookingCheckedIn { booking { number status personName checkedInAt } }
    ... on CheckInRefusedError { code message reason }
    ... on NotPermittedError { code message }
    ... on InputError { code field message }
  }
}
"""

CODE = "query($number: String!) { bookingCheckInCode(number: $number) { token qrSvg expiresAt } }"


def person_token(identity: Identity, settings: Settings, *, sub: str | None = None, name: str = "测试市民",
                 **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": sub or f"test-{uuid.uuid4().hex[:12]}", "name": name, "iss": identity.issuer,
            "aud": settings.oidc_audience, "iat": now, "nbf": now, "exp": now + 600,
            "jti": secrets.token_urlsafe(8), **claims}
    assert identity.dev_idp_pem is not None
    return sign_token(body, private_pem=identity.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID)


async def people(identity: Identity, settings: Settings, count: int) -> list[str]:
    """`count` people who have signed in once (so the race is about booking, not sign-up)."""
    prefix = uuid.uuid4().hex[:8]
    tokens = []
    for i in range(count):
        sub = f"race-{prefix}-{i}"
        await sync_user(claims={"sub": sub, "name": "测试市民"}, vault=identity.vault)
        tokens.append(person_token(identity, settings, sub=sub))
    return tokens


def sub_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


async def user_of(token: str) -> User:
    return await User.get(sub=sub_of(token))


async def bookable_item(*, capacity: int, slot_minutes: int = 30) -> tuple[ServiceHall, ServiceItem]:
    """A fresh item at the first hall, bookable with `capacity` places per slot."""
    department = await make_department()
    item = (await make_items(department=department, count=1, prefix=f"B{uuid.uuid4().hex[:6].upper()}"))[0]
    # Marked as demo data, so the real catalog's counts (72 items, 18 departments) stay true.
    await ServiceItem.filter(id=item.id).update(is_demo=True, remark="演示数据：预约测试事项")
    hall = await ServiceHall.first()
    assert hall is not None
    await BookableItem.create(hall=hall, item=item, window="测试窗口", slot_minutes=slot_minutes, capacity=capacity)
    return hall, item


async def open_slots(client: httpx.AsyncClient, *, hall_id: int | str, item_code: str) -> list[dict[str, Any]]:
    from backend.services.bookings.rules import now_local

    today = now_local().date()
    data = await call(client, None, SLOTS, {"hall": str(hall_id), "item": item_code, "from": today.isoformat(),
                                            "to": (today + timedelta(days=7)).isoformat()})
    return [s for s in data["hallSlots"] if s["open"] and s["placesLeft"] > 0]


async def book(client: httpx.AsyncClient, token: str, *, slot: str, hall: int | str, item: str,
               **extra: Any) -> dict[str, Any]:
    data = await call(client, token, BOOK, {"input": {"slotId": slot, "hallId": str(hall), "itemCode": item, **extra}})
    return data["bookSlot"]


async def raw(client: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any]) -> httpx.Response:
    return await gql(client, query, variables, headers={"authorization": f"Bearer {token}"} if token else None)


async def teacher_booking(client: httpx.AsyncClient, person: str, *, today_only: bool = False) -> tuple[dict, int]:
    hall = await ServiceHall.get(name=CITY_HALL)
    slots = await open_slots(client, hall_id=hall.id, item_code=TEACHER)
    if today_only:
        slots = [s for s in slots if s["date"] == now_local().date().isoformat()]
    result = await book(client, person, slot=slots[-1]["id"], hall=hall.id, item=TEACHER)
    assert result["__typename"] == "BookingConfirmed", result
    return result["booking"], hall.id


async def to_today(number: str) -> None:
    """Move a booking's slot to today (later than now), so it can be checked in whatever the hour."""
    row = await Booking.get(number=number)
    now = now_local()
    start = now + timedelta(minutes=5)
    # A start minute no schedule makes (the slot's own id, negated): unique among today's slots.
    await BookingSlot.filter(id=row.slot_id).update(day=now.date(), start_minute=-(row.slot_id % 30000),
                                                    starts_at=start, ends_at=start + timedelta(minutes=30))
    await Booking.filter(id=row.id).update(day=now.date(), starts_at=start, ends_at=start + timedelta(minutes=30))


async def checked_in_booking(client: httpx.AsyncClient, person: str, staff: str) -> dict:
    """The person's booking of the teacher item at the city hall, moved to today and checked in
    by `staff` with the person's code, as at the window."""
    booking, _hall = await teacher_booking(client, person)
    await to_today(booking["number"])
    code = (await call(client, person, CODE, {"number": booking["number"]}))["bookingCheckInCode"]["token"]
    checked = (await call(client, staff, CHECK_IN, {"code": code}))["checkInBooking"]
    assert checked["__typename"] == "BookingCheckedIn", checked
    return checked["booking"]


async def no_shows_at(moment: str) -> int:
    """The no-show job as the worker runs it, at an ISO moment (for tests on the live server)."""
    from datetime import datetime

    from backend.services.bookings.noshow import mark_no_shows
    from backend.services.bookings.rules import BookingRules

    return await mark_no_shows(rules=BookingRules(), bus=None, now=datetime.fromisoformat(moment))

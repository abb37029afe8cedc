"""Capacity is exact under concurrency (PostgreSQL): K people booking one slot of capacity C
at once get exactly C bookings and K − C SLOT_FULL answers, no 500; cancels racing books
never lose or double a place."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.auth.identity import Identity
from backend.models import Booking, BookingSlot
from backend.settings import Settings
from tests.bookings_helpers import BOOK, CANCEL, bookable_item, open_slots, people, raw, sub_of

pytestmark = pytest.mark.postgres


async def _race(client: httpx.AsyncClient, tokens: list[str], *, slot: str, hall: int, item: str) -> list[str]:
    async def one(token: str) -> str:
        response = await raw(client, token, BOOK, {"input": {"slotId": slot, "hallId": str(hall), "itemCode": item}})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["bookSlot"]["__typename"]

    return await asyncio.gather(*[one(t) for t in tokens])


@pytest.mark.parametrize(("people_count", "capacity"), [(50, 7), (200, 31), (1000, 113)])
async def test_k_people_on_a_slot_of_capacity_c_get_exactly_c_bookings(
    client: httpx.AsyncClient, identity: Identity, settings: Settings, people_count: int, capacity: int,
) -> None:
    hall, item = await bookable_item(capacity=capacity)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    tokens = await people(identity, settings, people_count)
    results = await _race(client, tokens, slot=slot["id"], hall=hall.id, item=item.code)
    assert results.count("BookingConfirmed") == capacity
    assert results.count("SlotFullError") == people_count - capacity
    assert await Booking.filter(slot_id=int(slot["id"]), status="BOOKED").count() == capacity
    assert (await BookingSlot.get(id=slot["id"])).booked == capacity


async def test_cancels_racing_books_never_lose_or_double_a_place(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    capacity = 20
    hall, item = await bookable_item(capacity=capacity)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    holders, newcomers = await people(identity, settings, capacity), await people(identity, settings, 60)
    booked = await _race(client, holders, slot=slot["id"], hall=hall.id, item=item.code)
    assert booked.count("BookingConfirmed") == capacity
    numbers = {t: (await Booking.filter(user__sub=sub_of(t)).first()) for t in holders[:10]}

    async def cancel(token: str) -> str:
        row = numbers[token]
        assert row is not None
        response = await raw(client, token, CANCEL, {"number": row.number})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.json()["data"]["cancelBooking"]["__typename"]

    # Each holder cancels twice at once while 60 newcomers try to book.
    results = await asyncio.gather(*[cancel(t) for t in holders[:10] for _ in range(2)],
                                   _race(client, newcomers, slot=slot["id"], hall=hall.id, item=item.code))
    cancels, books = results[:-1], results[-1]
    assert sorted(set(cancels)) == ["BookingCancelled", "BookingNotActiveError"]
    assert cancels.count("BookingCancelled") == 10
    active = await Booking.filter(slot_id=int(slot["id"]), status="BOOKED").count()
    assert active == capacity - 10 + books.count("BookingConfirmed") <= capacity
    assert (await BookingSlot.get(id=slot["id"])).booked == active


"""到厅服务评价: a checked-in booking is rated by the person who came, once; before check-in it
cannot be; to anyone else it does not exist; a bad one opens a ticket for the item's department
at that hall, whose steps link to the booking; the invitation goes out once the slot has ended,
once, however often the job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from backend.auth.identity import Identity
from backend.models import Booking, Notification, Rating, RectificationTicket
from backend.services.bookings.rules import now_local
from backend.services.ratings.visit import invite_visit_ratings
from backend.settings import Settings
from tests.bookings_helpers import checked_in_booking, person_token, teacher_booking, user_of
from tests.cases_helpers import call
from tests.ratings_helpers import MY_VISIT_RATING, TICKETS, VERIFY, rate_visit, ticket_move


async def test_the_person_who_came_rates_the_visit_once_and_a_bad_one_opens_a_ticket(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings, name="李四")
    booking = await checked_in_booking(client, person, token("staff"))
    number = booking["number"]
    assert (await call(client, person, MY_VISIT_RATING, {"n": number}))["myVisitRating"] is None

    rated = await rate_visit(client, person, number, "UNSATISFIED", reasons=["SLOW"], comment="排队一小时")
    assert rated["__typename"] == "VisitRated", rated
    rating = rated["rating"]
    assert (rating["level"], rating["bookingNumber"], rating["caseNumber"], rating["comment"]) == (
        "UNSATISFIED", number, None, "排队一小时")
    ticket = rating["ticket"]
    assert (ticket["state"], ticket["caseNumber"], ticket["bookingNumber"], ticket["departmentName"]) == (
        "OPEN", None, number, "市教育局")
    row = await Rating.get(id=int(rating["id"]))
    assert (row.target_kind.value, row.target_key, row.hall_id) == (
        "HALL_VISIT", f"booking:{row.booking_id}", (await Booking.get(number=number)).hall_id)

    again = await rate_visit(client, person, number, "SATISFIED")
    assert again == {"__typename": "AlreadyRatedError", "code": "ALREADY_RATED", "message": "您已评价过本次到厅服务"}
    assert (await call(client, person, MY_VISIT_RATING, {"n": number}))["myVisitRating"]["id"] == rating["id"]

    # The department works it as any ticket; its notifications open the booking, not a case.
    listed = (await call(client, token("staff"), TICKETS, {"f": {"states": ["OPEN"]}}))["rectificationTickets"]
    assert any(t["id"] == ticket["id"] for t in listed)
    verified = await ticket_move(client, token("staff"), VERIFY, ticket["id"], true=True, finding="高峰期窗口不足")
    assert verified["ticket"]["state"] == "VERIFIED"
    links = {n.link for n in await Notification.filter(user=await user_of(person), source__startswith="ticket:")}
    assert links == {f"/bookings/{number}"}


async def test_a_visit_not_checked_in_cannot_be_rated_and_nothing_is_written(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings)
    booking, _hall = await teacher_booking(client, person)
    refused = await rate_visit(client, person, booking["number"], "VERY_UNSATISFIED")
    assert refused == {"__typename": "BookingNotActiveError", "code": "BOOKING_NOT_ACTIVE",
                       "message": "到厅签到后才能评价本次服务", "status": "BOOKED"}
    assert await Rating.filter(booking_id=(await Booking.get(number=booking["number"])).id).count() == 0


async def test_nobody_but_the_person_who_came_may_rate_or_see_it(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings)
    number = (await checked_in_booking(client, person, token("staff")))["number"]
    not_found = {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "预约不存在"}
    for other in (token("citizen2"), token("staff"), token("supervisor")):
        assert await rate_visit(client, other, number, "VERY_UNSATISFIED") == not_found
        answer = await client.post("/graphql", json={"query": MY_VISIT_RATING, "variables": {"n": number}},
                                   headers={"authorization": f"Bearer {other}"})
        assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    anonymous = await client.post("/graphql", json={"query": MY_VISIT_RATING, "variables": {"n": number}})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert await Rating.filter(booking_id=(await Booking.get(number=number)).id).count() == 0
    assert await RectificationTicket.filter(rating__booking_id=(await Booking.get(number=number)).id).count() == 0


async def test_the_invitation_goes_out_once_after_the_slot_has_ended(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings)
    number = (await checked_in_booking(client, person, token("staff")))["number"]
    row = await Booking.get(number=number)
    source = f"visit-rating:{row.id}"
    # Other tests' checked-in visits share the database: count this booking's invitation only.
    await invite_visit_ratings(bus=None, now=row.ends_at - timedelta(minutes=1))
    assert not await Notification.filter(source=source).exists()  # still at the window
    after = row.ends_at + timedelta(minutes=1)
    await invite_visit_ratings(bus=None, now=after)
    assert await invite_visit_ratings(bus=None, now=after) == 0  # twice is once
    assert await Notification.filter(source=source).count() == 1
    invited = await Notification.get(source=source)
    assert (invited.kind.value, invited.link, invited.case_id, invited.user_id) == (
        "RATING_INVITATION", f"/bookings/{number}?rate=1", None, (await user_of(person)).id)
    assert now_local() < row.ends_at + timedelta(days=1)

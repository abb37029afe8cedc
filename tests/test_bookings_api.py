"""Booking through the API: halls and slots, the rules, typed errors for every bad input,
someone else's booking NOT_FOUND, the .ics file, and a booking linked to a case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from backend.auth.identity import Identity
from backend.models import Booking, BookingSlot, CaseEvent, ServiceHall, User
from backend.seed.reference import CITY_HALL
from backend.services.bookings import booking as service
from backend.services.bookings.errors import BookingCutoffError
from backend.services.bookings.rules import BookingRules, now_local
from backend.settings import Settings
from tests.bookings_helpers import (
    BOOKING_FIELDS, CANCEL, RESCHEDULE, SLOTS, book, bookable_item, open_slots, person_token, raw, sub_of,
)
from tests.cases_helpers import TEACHER, call, submitted_case

HALLS = """
query($item: String!) {
  bookableHalls(itemCode: $item) { hall { id name address } window slotMinutes capacity
    hours { openAt closeAt lunchStart lunchEnd eveningWeekdays eveningCloseAt weekendDays weekendOpenAt } }
}
"""
ONE = "query($number: String!) { booking(number: $number) { %s materials { name onFile licenseName } } }" % BOOKING_FIELDS
MINE = "{ myBookings(first: 10) { totalCount edges { node { number status } } } }"


async def test_a_guide_item_is_bookable_at_the_city_hall_with_its_hours(client: httpx.AsyncClient) -> None:
    halls = (await call(client, None, HALLS, {"item": TEACHER}))["bookableHalls"]
    city = next(h for h in halls if h["hall"]["name"] == CITY_HALL)
    assert city["window"] == "市教育局窗口" and city["slotMinutes"] == 30 and city["capacity"] == 6
    assert city["hours"] == {"openAt": "09:00", "closeAt": "17:00", "lunchStart": "12:00", "lunchEnd": "13:00",
                             "eveningWeekdays": [3], "eveningCloseAt": "19:00", "weekendDays": [5],
                             "weekendOpenAt": "09:00"}
    response = await raw(client, None, HALLS, {"item": "NOPE"})
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "itemCode"}


async def test_hall_slots_refuse_past_far_and_backward_ranges(client: httpx.AsyncClient) -> None:
    hall = await ServiceHall.get(name=CITY_HALL)
    today = now_local().date()
    cases = [(today - timedelta(days=1), today, "from"), (today + timedelta(days=8), today + timedelta(days=9), "from"),
             (today + timedelta(days=2), today + timedelta(days=1), "to")]
    for start, end, field in cases:
        response = await raw(client, None, SLOTS, {"hall": str(hall.id), "item": TEACHER, "from": start.isoformat(),
                                                   "to": end.isoformat()})
        assert response.json()["errors"][0]["extensions"]["field"] == field, (start, end)
    slots = await open_slots(client, hall_id=hall.id, item_code=TEACHER)
    assert slots and all(s["date"] <= (today + timedelta(days=7)).isoformat() for s in slots)
    assert {s["kind"] for s in slots} <= {"WORKDAY", "EXTENDED", "WEEKEND"}


async def test_booking_takes_a_place_and_cancelling_gives_it_back(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=2)
    me, other = person_token(identity, settings), person_token(identity, settings)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    result = await book(client, me, slot=slot["id"], hall=hall.id, item=item.code)
    assert result["__typename"] == "BookingConfirmed", result
    booking = result["booking"]
    assert booking["status"] == "BOOKED" and booking["number"].startswith("YY")
    assert booking["window"] == "测试窗口" and booking["hall"]["address"] == hall.address
    assert booking["icsUrl"] == f"/bookings/{booking['number']}.ics"
    assert (await BookingSlot.get(id=slot["id"])).booked == 1
    shown = (await call(client, me, ONE, {"number": booking["number"]}))["booking"]
    assert [m["name"] for m in shown["materials"]] == ["材料1", "材料2"]
    assert (await call(client, me, MINE))["myBookings"]["totalCount"] == 1

    # Someone else's booking: not there, and untouched.
    assert (await call(client, other, ONE, {"number": booking["number"]}))["booking"] is None
    denied = (await call(client, other, CANCEL, {"number": booking["number"]}))["cancelBooking"]
    assert denied == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "预约不存在"}
    assert (await Booking.get(number=booking["number"])).status == "BOOKED"

    cancelled = (await call(client, me, CANCEL, {"number": booking["number"]}))["cancelBooking"]
    assert cancelled["booking"] == {"number": booking["number"], "status": "CANCELLED", "cancelReason": "本人取消"}
    assert (await BookingSlot.get(id=slot["id"])).booked == 0
    again = (await call(client, me, CANCEL, {"number": booking["number"]}))["cancelBooking"]
    assert again["__typename"] == "BookingNotActiveError" and again["status"] == "CANCELLED"
    assert (await BookingSlot.get(id=slot["id"])).booked == 0


async def test_a_full_slot_and_the_limits_are_typed_errors(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=1)
    first, second = person_token(identity, settings), person_token(identity, settings)
    slots = await open_slots(client, hall_id=hall.id, item_code=item.code)
    assert (await book(client, first, slot=slots[0]["id"], hall=hall.id, item=item.code))["__typename"] == \
        "BookingConfirmed"
    full = await book(client, second, slot=slots[0]["id"], hall=hall.id, item=item.code)
    assert full == {"__typename": "SlotFullError", "code": "SLOT_FULL", "message": "该时段已约满，请选择其他时段"}
    same_day = next(s for s in slots[1:] if s["date"] == slots[0]["date"])
    twice = await book(client, first, slot=same_day["id"], hall=hall.id, item=item.code)
    assert twice == {"__typename": "BookingLimitError", "code": "BOOKING_LIMIT", "message": "同一事项每人每天只能预约一次",
                     "limit": 1}
    # At most 3 active: two more on other days (other items), then the fourth is refused.
    for _ in range(2):
        other_hall, other_item = await bookable_item(capacity=3)
        slot = (await open_slots(client, hall_id=other_hall.id, item_code=other_item.code))[0]
        assert (await book(client, first, slot=slot["id"], hall=other_hall.id, item=other_item.code))["__typename"] == \
            "BookingConfirmed"
    other_hall, other_item = await bookable_item(capacity=3)
    slot = (await open_slots(client, hall_id=other_hall.id, item_code=other_item.code))[0]
    fourth = await book(client, first, slot=slot["id"], hall=other_hall.id, item=other_item.code)
    assert fourth["__typename"] == "BookingLimitError" and fourth["limit"] == 3
    assert await Booking.filter(user__sub=sub_of(first)).count() == 3



async def test_a_slot_of_another_hall_or_item_or_unknown_is_an_input_error(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=2)
    _, other_item = await bookable_item(capacity=2)
    me = person_token(identity, settings)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    other_hall = await ServiceHall.exclude(id=hall.id).first()
    assert other_hall is not None
    for hall_id, code, slot_id, message in [
        (other_hall.id, item.code, slot["id"], "该时段不属于所选大厅，请重新选择时段"),
        (hall.id, other_item.code, slot["id"], "该时段不是所选事项的预约时段，请重新选择时段"),
        (hall.id, item.code, "999999999", "预约时段不存在，请重新选择时段"),
        (hall.id, item.code, "abc", "时段编号格式不正确"),
    ]:
        result = await book(client, me, slot=slot_id, hall=hall_id, item=code)
        assert result == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "slotId", "message": message}
    assert await Booking.filter(item=item).count() == 0


async def test_booking_closer_than_the_cut_off_or_in_the_past_is_refused(app: object) -> None:
    hall, item = await bookable_item(capacity=2)
    user = await User.create(sub="cutoff-test", name="测试")
    from backend.services.bookings.slots import hall_slots

    rules = BookingRules()
    now = now_local()
    views = await hall_slots(hall_id=hall.id, item_code=item.code, start=now.date(), end=now.date() + timedelta(days=7),
                             rules=rules, now=now)
    slot = views[0].slot
    request = service.BookingRequest(slot_id=slot.id, hall_id=hall.id, item_code=item.code)
    try:
        await service.book(user=user, request=request, rules=rules, bus=None, now=slot.starts_at - timedelta(minutes=90))
        raise AssertionError("booked inside the cut-off")
    except BookingCutoffError as error:
        assert error.message == "距开始已不足 2 小时，该时段停止预约，请选择其他时段"
    from backend.services.errors import ValidationError

    try:
        await service.book(user=user, request=request, rules=rules, bus=None, now=slot.ends_at + timedelta(minutes=1))
        raise AssertionError("booked a past slot")
    except ValidationError as error:
        assert (error.field, error.message) == ("slotId", "该时段已经过去，请选择其他时段")
    assert await Booking.filter(user=user).count() == 0


async def test_reschedule_moves_the_place(client: httpx.AsyncClient, identity: Identity, settings: Settings) -> None:
    hall, item = await bookable_item(capacity=1)
    me = person_token(identity, settings)
    slots = await open_slots(client, hall_id=hall.id, item_code=item.code)
    number = (await book(client, me, slot=slots[0]["id"], hall=hall.id, item=item.code))["booking"]["number"]
    moved = (await call(client, me, RESCHEDULE, {"number": number, "slot": slots[1]["id"]}))["rescheduleBooking"]
    assert moved["__typename"] == "BookingRescheduled" and moved["booking"]["startTime"] == slots[1]["startTime"]
    assert [(await BookingSlot.get(id=s["id"])).booked for s in slots[:2]] == [0, 1]
    same = (await call(client, me, RESCHEDULE, {"number": number, "slot": slots[1]["id"]}))["rescheduleBooking"]
    assert same["__typename"] == "InputError" and same["field"] == "slotId"


async def test_the_ics_file_is_rfc5545_in_shanghai_with_an_alarm_and_private(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=2)
    me, other = person_token(identity, settings), person_token(identity, settings)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    booking = (await book(client, me, slot=slot["id"], hall=hall.id, item=item.code))["booking"]
    response = await client.get(booking["icsUrl"], headers={"authorization": f"Bearer {me}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n" in text
    start = slot["date"].replace("-", "") + "T" + slot["startTime"].replace(":", "") + "00"
    assert f"DTSTART;TZID=Asia/Shanghai:{start}\r\n" in text
    assert "BEGIN:VALARM\r\nACTION:DISPLAY\r\n" in text and "TRIGGER:-PT60M\r\n" in text
    assert f"UID:{booking['number']}@zhangshangban\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert (await client.get(booking["icsUrl"], headers={"authorization": f"Bearer {other}"})).status_code == 404
    assert (await client.get(booking["icsUrl"])).status_code == 401


async def test_a_booking_linked_to_a_case_shows_on_its_timeline(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    case = await submitted_case(client, citizen)
    hall = await ServiceHall.get(name=CITY_HALL)
    slots = await open_slots(client, hall_id=hall.id, item_code=TEACHER)
    result = await book(client, citizen, slot=slots[-1]["id"], hall=hall.id, item=TEACHER, caseNumber=case["number"])
    assert result["__typename"] == "BookingConfirmed", result
    assert result["booking"]["caseNumber"] == case["number"]
    event = await CaseEvent.filter(case__number=case["number"], kind="BOOKED").first()
    assert event is not None and event.data == {"booking": result["booking"]["number"]}
    wrong = await book(client, citizen, slot=slots[-1]["id"], hall=hall.id, item=TEACHER, caseNumber="ZSB-NOPE")
    assert wrong["__typename"] == "InputError" and wrong["field"] == "caseNumber"
    await call(client, citizen, CANCEL, {"number": result["booking"]["number"]})  # the persona's limit stays free


async def test_a_booking_number_that_collides_is_drawn_again_not_reported_as_a_limit(app: object) -> None:
    import pytest

    hall, item = await bookable_item(capacity=3)
    first, second = await User.create(sub="collide-1", name="甲"), await User.create(sub="collide-2", name="乙")
    from backend.services.bookings.slots import hall_slots

    now = now_local()
    views = await hall_slots(hall_id=hall.id, item_code=item.code, start=now.date(), end=now.date() + timedelta(days=7),
                             rules=BookingRules(), now=now)
    # The first slot still open now: at some hours of the day today's slots are inside the cut-off.
    slot = next(view.slot for view in views if view.open)
    request = service.BookingRequest(slot_id=slot.id, hall_id=hall.id, item_code=item.code)
    taken = await service.book(user=first, request=request, rules=BookingRules(), bus=None)
    numbers = iter([taken.number, "YY20991231" + "7" * 10])
    patch = pytest.MonkeyPatch()
    patch.setattr(service, "new_number", lambda *, on: next(numbers))
    try:
        again = await service.book(user=second, request=request, rules=BookingRules(), bus=None)
    finally:
        patch.undo()
    assert again.number == "YY20991231" + "7" * 10
    assert (await BookingSlot.get(id=slot.id)).booked == 2

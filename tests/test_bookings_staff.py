"""Hall staff: the day's list, check-in by code (audited; replayed, expired, forged and other
departments' codes refused), the no-show job (twice is once) and the suspension it leads to,
reminders (once each, none when cancelled), closures that cancel and tell, and schedules."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from backend.auth.identity import Identity
from backend.models import Booking, BookingSlot, BookingSuspension, CaseEvent, DataAccessLog, Notification, ServiceHall
from backend.seed.reference import CITY_HALL
from backend.services.bookings.noshow import mark_no_shows
from backend.services.bookings.reminders import send_reminders
from backend.services.bookings.rules import BookingRules, now_local
from backend.settings import Settings
from tests.bookings_helpers import (
    BOOK, CANCEL, CHECK_IN, CODE, book, bookable_item, open_slots, person_token, raw, teacher_booking, to_today,
    user_of,
)
from tests.cases_helpers import TEACHER, call, submitted_case

HALL_BOOKINGS = "query($hall: ID!, $date: Date) { hallBookings(hallId: $hall, date: $date) { number status personName } }"
CLOSE = """mutation($input: CloseHallInput!) { closeHall(input: $input) { __typename
  ... on HallClosed { date reason cancelledCount } ... on InputError { code field message }
  ... on NotPermittedError { code message } ... on NotFoundError { code message } } }"""
SCHEDULE = """mutation($input: SetHallScheduleInput!) { setHallSchedule(input: $input) { __typename
  ... on HallScheduleSaved { hours { openAt closeAt eveningWeekdays eveningCloseAt } }
  ... on InputError { code field message } ... on NotPermittedError { code message } } }"""


async def test_staff_check_in_by_code_once_audited_and_on_the_list(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings, name="张三丰")
    booking, hall_id = await teacher_booking(client, person)
    await to_today(booking["number"])
    listed = (await call(client, token("staff"), HALL_BOOKINGS, {"hall": str(hall_id)}))["hallBookings"]
    assert {"number": booking["number"], "status": "BOOKED", "personName": "张*丰"} in listed
    code = (await call(client, person, CODE, {"number": booking["number"]}))["bookingCheckInCode"]["token"]

    denied = (await call(client, person, CHECK_IN, {"code": code}))["checkInBooking"]
    assert denied == {"__typename": "NotPermittedError", "code": "NOT_PERMITTED", "message": "只有窗口工作人员可以管理大厅预约"}
    checked = (await call(client, token("staff"), CHECK_IN, {"code": code}))["checkInBooking"]
    assert checked["__typename"] == "BookingCheckedIn" and checked["booking"]["status"] == "CHECKED_IN"
    user = await user_of(person)
    assert await DataAccessLog.filter(subject=user, what="booking").count() == 1
    replay = (await call(client, token("staff"), CHECK_IN, {"code": code}))["checkInBooking"]
    assert replay == {"__typename": "CheckInRefusedError", "code": "CHECK_IN_REFUSED", "message": "该签到码已使用过",
                      "reason": "REPLAYED"}
    forged = (await call(client, token("staff"), CHECK_IN, {"code": code[:-4] + "AAAA"}))["checkInBooking"]
    assert forged["reason"] == "INVALID"
    assert await DataAccessLog.filter(subject=user, what="booking").count() == 1


async def test_an_expired_code_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    from backend.services.bookings.checkin import check_in_code

    person = person_token(identity, settings)
    booking, _ = await teacher_booking(client, person)
    await to_today(booking["number"])
    old = await check_in_code(viewer=await user_of(person), number=booking["number"], signer=identity.codes,
                              rules=BookingRules(), now=int(time.time()) - 600)
    refused = (await call(client, token("staff"), CHECK_IN, {"code": old.token}))["checkInBooking"]
    assert refused == {"__typename": "CheckInRefusedError", "code": "CHECK_IN_REFUSED",
                       "message": "签到码已过期，请让对方在手机上刷新后重新出示", "reason": "EXPIRED"}
    assert (await Booking.get(number=booking["number"])).status == "BOOKED"
    await call(client, person, CANCEL, {"number": booking["number"]})


async def test_another_departments_staff_cannot_check_in(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=2)
    person = person_token(identity, settings)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    number = (await book(client, person, slot=slot["id"], hall=hall.id, item=item.code))["booking"]["number"]
    await to_today(number)
    code = (await call(client, person, CODE, {"number": number}))["bookingCheckInCode"]["token"]
    staff = person_token(identity, settings, roles=["STAFF"], department="D02")
    refused = (await call(client, staff, CHECK_IN, {"code": code}))["checkInBooking"]
    assert refused["__typename"] == "NotPermittedError"
    assert (await Booking.get(number=number)).status == "BOOKED"


async def test_check_in_shows_on_the_linked_case_timeline(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    case = await submitted_case(client, citizen)
    hall = await ServiceHall.get(name=CITY_HALL)
    slot = (await open_slots(client, hall_id=hall.id, item_code=TEACHER))[-1]
    booked = await book(client, citizen, slot=slot["id"], hall=hall.id, item=TEACHER, caseNumber=case["number"])
    number = booked["booking"]["number"]
    await to_today(number)
    # A booking linked to a case is on the day's list like any other (the fuzzer once found it a 500).
    listed = (await call(client, token("staff"), HALL_BOOKINGS, {"hall": str(hall.id)}))["hallBookings"]
    assert number in {b["number"] for b in listed}
    code = (await call(client, citizen, CODE, {"number": number}))["bookingCheckInCode"]["token"]
    assert (await call(client, token("staff"), CHECK_IN, {"code": code}))["checkInBooking"]["__typename"] == \
        "BookingCheckedIn"
    kinds = [e.kind for e in await CaseEvent.filter(case__number=case["number"]).order_by("id")]
    assert kinds[-2:] == ["BOOKED", "BOOKING_CHECKED_IN"]


async def test_no_shows_are_marked_once_and_three_suspend_booking_for_seven_days(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = person_token(identity, settings)
    user = await user_of_after_booking(client, person)
    rows = await Booking.filter(user=user)
    latest = max(r.ends_at for r in rows)
    later = latest + timedelta(minutes=16)
    rules = BookingRules()
    first = await mark_no_shows(rules=rules, bus=None, now=later)
    assert first >= 3
    assert await mark_no_shows(rules=rules, bus=None, now=later) == 0  # safe to run twice
    assert await Booking.filter(user=user, status="NO_SHOW").count() == 3
    suspension = await BookingSuspension.get(user=user)
    assert suspension.until == later + timedelta(days=7)
    note = await Notification.get(user=user, kind="BOOKING_CHANGED")
    assert note.title == "网上预约已暂停" and "30 天内预约未到 3 次" in note.body
    from backend.services.bookings import booking as service
    from backend.services.bookings.errors import BookingSuspendedError

    hall, item = await bookable_item(capacity=2)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    try:
        await service.book(user=user, request=service.BookingRequest(slot_id=int(slot["id"]), hall_id=hall.id,
                                                                     item_code=item.code),
                           rules=rules, bus=None, now=later + timedelta(hours=1) if False else now_local())
        raise AssertionError("a suspended person booked")
    except BookingSuspendedError as error:
        assert error.until == suspension.until
        assert error.message.startswith("30 天内预约未到 3 次，网上预约暂停至 ")


async def user_of_after_booking(client: httpx.AsyncClient, person: str):  # noqa: ANN201
    """Three bookings of three items for one person."""
    for _ in range(3):
        hall, item = await bookable_item(capacity=2)
        slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
        assert (await book(client, person, slot=slot["id"], hall=hall.id, item=item.code))["__typename"] == \
            "BookingConfirmed"
    return await user_of(person)


async def test_reminders_day_before_and_hour_before_once_and_none_when_cancelled(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    hall, item = await bookable_item(capacity=2)
    keep, drop = person_token(identity, settings), person_token(identity, settings)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    kept = (await book(client, keep, slot=slot["id"], hall=hall.id, item=item.code))["booking"]
    dropped = (await book(client, drop, slot=slot["id"], hall=hall.id, item=item.code))["booking"]
    await call(client, drop, CANCEL, {"number": dropped["number"]})
    row = await Booking.get(number=kept["number"])
    rules = BookingRules()
    evening_before = (row.starts_at - timedelta(days=1)).replace(hour=18, minute=5)
    await send_reminders(rules=rules, bus=None, now=evening_before)
    await send_reminders(rules=rules, bus=None, now=evening_before)
    hour_before = row.starts_at - timedelta(minutes=50)
    await send_reminders(rules=rules, bus=None, now=hour_before)
    await send_reminders(rules=rules, bus=None, now=hour_before)
    mine = await Notification.filter(user=await user_of(keep), kind="BOOKING_REMINDER").order_by("id")
    assert [n.title for n in mine] == ["明天有一个大厅预约", "预约即将开始"]
    assert mine[1].source.startswith("booking-hour:")  # pushed even in quiet hours
    assert await Notification.filter(user=await user_of(drop), kind="BOOKING_REMINDER").count() == 0


async def test_closing_the_hall_cancels_the_days_bookings_and_tells_every_holder(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    hall = await ServiceHall.get(name=CITY_HALL)
    # The last bookable day: other tests take the earliest slots.
    day = (await open_slots(client, hall_id=hall.id, item_code=TEACHER))[-1]["date"]
    slots = [s for s in await open_slots(client, hall_id=hall.id, item_code=TEACHER) if s["date"] == day]
    people = [person_token(identity, settings) for _ in range(2)]
    numbers = [(await book(client, p, slot=slots[0]["id"], hall=hall.id, item=TEACHER))["booking"]["number"]
               for p in people]
    citizen = person_token(identity, settings)
    denied = (await call(client, citizen, CLOSE, {"input": {"hallId": str(hall.id), "date": day, "reason": "检修"}}))
    assert denied["closeHall"]["__typename"] == "NotPermittedError"
    assert await Booking.filter(number__in=numbers, status="BOOKED").count() == 2
    # Other tests may hold bookings that day too (the suite shares one database): all go.
    held = await Booking.filter(hall_id=hall.id, day=day, status="BOOKED").count()
    closed = (await call(client, token("staff"), CLOSE, {"input": {"hallId": str(hall.id), "date": day,
                                                                   "reason": "电力检修"}}))["closeHall"]
    assert closed == {"__typename": "HallClosed", "date": day, "reason": "电力检修", "cancelledCount": held}
    assert not await Booking.filter(hall_id=hall.id, day=day, status="BOOKED").exists()
    assert await Booking.filter(number__in=numbers, status="CANCELLED").count() == 2
    assert (await BookingSlot.get(id=slots[0]["id"])).booked == 0
    for p in people:
        note = await Notification.get(user=await user_of(p), kind="BOOKING_CHANGED")
        assert note.title == "预约已取消：大厅闭厅" and "电力检修" in note.body
    assert not [s for s in await open_slots(client, hall_id=hall.id, item_code=TEACHER) if s["date"] == day]
    again = await call(client, token("staff"), CLOSE, {"input": {"hallId": str(hall.id), "date": day, "reason": "x"}})
    assert again["closeHall"]["__typename"] == "InputError" and again["closeHall"]["field"] == "date"
    late = await raw(client, people[0], BOOK, {"input": {"slotId": slots[0]["id"], "hallId": str(hall.id),
                                                         "itemCode": TEACHER}})
    assert late.json()["data"]["bookSlot"]["__typename"] == "InputError"


async def test_staff_set_the_hall_schedule_and_bad_hours_name_the_field(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    import uuid

    from backend.models import HallSchedule, ServiceItem
    from backend.models.catalog import HallLevel

    hall = await ServiceHall.create(name=f"测试{uuid.uuid4().hex[:6]}区政务服务大厅", level=HallLevel.DISTRICT,
                                    district="测试区", address="测试地址", opening_hours="工作日", phone="029-1",
                                    sort_order=900)
    await (await ServiceItem.get(code=TEACHER)).halls.add(hall)
    await HallSchedule.create(hall=hall, open_minute=540, close_minute=1020)
    hours = {"openAt": "09:00", "closeAt": "17:00", "lunchStart": "12:00", "lunchEnd": "13:00",
             "eveningWeekdays": [1], "eveningCloseAt": "20:00"}
    saved = (await call(client, token("staff"), SCHEDULE, {"input": {"hallId": str(hall.id), "hours": hours, "items": [
        {"itemCode": TEACHER, "window": "B区 5号窗口", "slotMinutes": 20, "capacity": 2}]}}))["setHallSchedule"]
    assert saved == {"__typename": "HallScheduleSaved", "hours": {"openAt": "09:00", "closeAt": "17:00",
                                                                  "eveningWeekdays": [1], "eveningCloseAt": "20:00"}}
    bad = (await call(client, token("staff"), SCHEDULE, {"input": {"hallId": str(hall.id), "hours": {
        **hours, "closeAt": "08:00"}}}))["setHallSchedule"]
    assert bad["__typename"] == "InputError" and bad["field"] == "closeAt"
    other = (await call(client, token("staff"), SCHEDULE, {"input": {"hallId": str(hall.id), "items": [
        {"itemCode": "61012001001", "window": "x", "slotMinutes": 20, "capacity": 2}]}}))["setHallSchedule"]
    assert other["__typename"] == "InputError" and other["field"] == "items[0].itemCode"

"""预约 on the phone at 360 px, as people would: book from a guide (hall → date → slot →
confirm), the confirmation with its QR and 免证办 marks, the .ics download, cancelling, 我的预约;
the window's staff checking a booking in by its code; an enterprise agent booking for the
enterprise and the booking showing in the 一企一档 space."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from tests.browser.helpers import api, on_live_server, session_token, sign_in

TEACHER = "61010102006"  # 教师资格认定, 市教育局 (the staff persona's department), at the city hall
GRAIN = "61010701002"  # 市级储备粮承储资格认定, for enterprises, 市发改委


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def book_from_guide(page: Page, *, item: str = TEACHER, name: str = "教师资格认定", window: str = "市教育局窗口",
                    slot_index: int = 0, enterprise: bool = False) -> str:
    """From the guide to the confirmation; → the booking number."""
    page.goto(f"/items/{item}")
    page.get_by_test_id("book-button").click()
    expect(page).to_have_url(re.compile(rf"/book/{item}"))
    page.get_by_test_id("hall-option").filter(has_text="西安市政务服务中心").click()
    fits_360(page)
    page.get_by_test_id("date-option").filter(has_text="余").first.click()
    page.get_by_test_id("slot-option").and_(page.locator(":enabled")).nth(slot_index).click()
    summary = page.get_by_test_id("confirm-summary")
    expect(summary).to_contain_text(name)
    expect(summary).to_contain_text(window)
    fits_360(page)
    if enterprise:
        page.get_by_test_id("as-enterprise").click()
    page.get_by_test_id("confirm-booking").click()
    expect(page).to_have_url(re.compile(r"/bookings/YY\d+$"))
    return page.get_by_test_id("booking-number").inner_text()


def test_book_from_a_guide_confirm_download_the_ics_and_cancel(page: Page) -> None:
    sign_in(page, "citizen")
    number = book_from_guide(page)
    confirmation = page.get_by_test_id("booking-confirmation")
    expect(confirmation).to_contain_text("已预约")
    expect(page.get_by_test_id("booking-hall")).to_contain_text("凤城八路109号")
    expect(page.get_by_test_id("booking-window")).to_contain_text("市教育局窗口")
    expect(page.get_by_test_id("identity-code").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("identity-code")).to_contain_text("秒后自动刷新")
    materials = page.get_by_test_id("booking-materials")
    expect(materials.get_by_test_id("on-file").first).to_contain_text("免证办 · 居民身份证")
    fits_360(page)

    with page.expect_download() as download:
        page.get_by_test_id("add-to-calendar").click()
    saved = download.value
    assert saved.suggested_filename == f"预约-{number}.ics"
    text = Path(saved.path()).read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in text and "TZID:Asia/Shanghai" in text and "BEGIN:VALARM" in text

    page.goto("/me")
    page.get_by_test_id("my-bookings-link").click()
    # this person may hold other bookings for the item (other tests share the server): pick this one
    mine = page.get_by_test_id("my-bookings").locator(f'[data-testid="booking-cell"][data-number="{number}"]')
    expect(mine).to_have_attribute("href", f"/bookings/{number}")  # a real link
    mine.click()
    expect(page).to_have_url(re.compile(rf"/bookings/{number}$"))
    page.get_by_test_id("cancel-booking").click()
    page.get_by_role("button", name="取消预约").last.click()
    expect(page.get_by_test_id("booking-status")).to_have_text("已取消")
    expect(page.get_by_test_id("cancel-booking")).to_have_count(0)


CODE = "query($n: String!) { bookingCheckInCode(number: $n) { token } }"
SLOTS = """query($h: ID!, $i: String!, $f: Date!, $t: Date!) { hallSlots(hallId: $h, itemCode: $i, from: $f, to: $t) {
  id date open placesLeft } }"""
BOOK = """mutation($input: BookSlotInput!) { bookSlot(input: $input) { __typename
  ... on BookingConfirmed { booking { number } } ... on BookingLimitError { code message } } }"""
HALLS = "query($i: String!) { bookableHalls(itemCode: $i) { hall { id name } } }"


def booked_today(live_server: str, token: str) -> str:
    """A booking of the teacher item at the city hall, moved to later today on the live server's
    database (check-in is same-day, and the tests must not depend on the hour they run at)."""
    hall = next(h["hall"]["id"] for h in api(live_server, None, HALLS, {"i": TEACHER})["bookableHalls"]
                if h["hall"]["name"] == "西安市政务服务中心")
    start = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the hall's today (UTC's is a day behind from 16:00)
    slots = [s for s in api(live_server, None, SLOTS, {"h": hall, "i": TEACHER, "f": start.isoformat(),
                                                      "t": (start + timedelta(days=8)).isoformat()})["hallSlots"]
             if s["open"] and s["placesLeft"]]
    # The latest day this person holds no booking of the item on (one per person, item and day:
    # other tests in the session book for the same personas).
    tried: set[str] = set()
    for slot in reversed(slots):
        if slot["date"] in tried:
            continue
        tried.add(slot["date"])
        booked = api(live_server, token, BOOK, {"input": {"slotId": slot["id"], "hallId": hall, "itemCode": TEACHER}})
        if booked["bookSlot"]["__typename"] == "BookingConfirmed":
            number = booked["bookSlot"]["booking"]["number"]
            on_live_server("tests.bookings_helpers.to_today", number)
            return number
    raise AssertionError(f"no day left to book on: {booked}")


def test_staff_check_a_booking_in_by_its_code_and_a_replay_is_refused(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    citizen = new_page()
    sign_in(citizen, "citizen2")
    token = session_token(citizen)
    number = booked_today(live_server, token)
    code = api(live_server, token, CODE, {"n": number})["bookingCheckInCode"]["token"]

    sign_in(page, "staff")
    page.get_by_test_id("staff-bookings-link").click()
    expect(page).to_have_url(re.compile(r"/staff/bookings"))
    row = page.get_by_test_id("hall-bookings").get_by_test_id("hall-booking").filter(has_text=number)
    expect(row).to_contain_text("李*", timeout=15000)
    expect(row).to_contain_text("已预约")
    page.get_by_test_id("check-in-code").locator("input").fill(code)
    page.get_by_test_id("check-in").click()
    expect(page.get_by_test_id("check-in-result")).to_contain_text("已签到")
    expect(row).to_contain_text("已签到")
    page.get_by_test_id("check-in-code").locator("input").fill(code)
    page.get_by_test_id("check-in").click()
    expect(page.get_by_test_id("check-in-result")).to_contain_text("该签到码已使用过")
    fits_360(page)


def test_an_enterprise_agent_books_for_the_enterprise_and_it_shows_in_the_space(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "enterprise-agent")  # signed in once: the legal representative can find the agent
    legal = new_page()
    sign_in(legal, "enterprise-legal")
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    granted = api(live_server, session_token(legal), """mutation($input: GrantAgentAuthorityInput!) {
        grantAgentAuthority(input: $input) { __typename ... on AgentAuthorityGranted { authority { id } } } }""",
        {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number,
        "scope": [GRAIN], "expiresAt": expires}})
    assert granted["grantAgentAuthority"]["__typename"] == "AgentAuthorityGranted", granted
    try:
        number = book_from_guide(page, item=GRAIN, name="市级储备粮承储资格认定", window="市发改委窗口", enterprise=True)
        expect(page.get_by_test_id("booking-confirmation")).to_be_visible()
        page.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
        expect(page.get_by_test_id("enterprise-bookings")).to_contain_text("市级储备粮承储资格认定")
        # The legal representative sees it in the space too.
        legal.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
        expect(legal.get_by_test_id("enterprise-bookings")).to_contain_text("市级储备粮承储资格认定")
        page.get_by_test_id("enterprise-bookings").get_by_test_id("booking-cell").first.click()
        expect(page).to_have_url(re.compile(rf"/bookings/{number}$"))
    finally:  # the identity tests expect the agent without an authority
        api(live_server, session_token(legal), """mutation($id: ID!) { revokeAgentAuthority(id: $id) { __typename } }""",
            {"id": granted["grantAgentAuthority"]["authority"]["id"]})


def test_a_booking_not_checked_in_becomes_a_no_show_on_the_staff_list(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    """The no-show job run (twice) as the worker runs it, at a moment after the slot's end + grace,
    on the live server's database; the window's list then shows 未到（爽约）."""
    citizen = new_page()
    sign_in(citizen, "citizen")
    number = booked_today(live_server, session_token(citizen))
    # It ends within the hour. Local time, as the worker's clock is (SQLite compares the text).
    after_end = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=3)).isoformat()
    runs = [on_live_server("tests.bookings_helpers.no_shows_at", after_end) for _ in range(2)]
    assert int(runs[0]) >= 1 and runs[1] == "0", runs  # the second run finds nothing left to mark

    sign_in(page, "staff")
    page.get_by_test_id("staff-bookings-link").click()
    row = page.get_by_test_id("hall-bookings").get_by_test_id("hall-booking").filter(has_text=number)
    expect(row).to_contain_text("未到（爽约）", timeout=15000)
    citizen.goto(f"/bookings/{number}")
    expect(citizen.get_by_test_id("booking-status")).to_have_text("未到（爽约）")
    expect(citizen.get_by_test_id("cancel-booking")).to_have_count(0)


CHECK_IN = """mutation($c: String!) { checkInBooking(code: $c) { __typename } }"""


def test_after_check_in_the_person_rates_the_visit_and_a_bad_one_reaches_the_department(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    """到厅服务评价: one tap on the booking page after the window checked the person in; 不满意
    opens a ticket the department sees as a hall visit, with the booking number."""
    sign_in(page, "citizen2")
    token = session_token(page)
    number = booked_today(live_server, token)
    staff = new_page()
    sign_in(staff, "staff")
    code = api(live_server, token, CODE, {"n": number})["bookingCheckInCode"]["token"]
    assert api(live_server, session_token(staff), CHECK_IN, {"c": code})["checkInBooking"]["__typename"] == \
        "BookingCheckedIn"

    page.goto(f"/bookings/{number}")
    expect(page.get_by_test_id("booking-status")).to_have_text("已签到")
    rating = page.get_by_test_id("visit-rating")
    rating.get_by_role("button", name="不满意").click()
    expect(rating.get_by_test_id("my-rating")).to_contain_text("不满意")
    expect(rating).to_contain_text("待核实")
    fits_360(page)

    staff.goto("/staff/tickets")
    expect(staff.get_by_text(f"到厅服务 · 预约号 {number}")).to_be_visible(timeout=15000)

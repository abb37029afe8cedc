"""预约 on the phone at 360 px, as people would: book from a guide (hall → date → slot →
confirm), the confirmation with its QR and 免证办 marks, the .ics download, cancelling, 我的预约;
the window's staff checking a booking in by its code; an enterprise agent booking for the
enterprise and the booking showing in the 一企一档 space."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from datetime import datetime, timedelta, timezone

from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from tests.browser.helpers import api, session_token, sign_in

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
    page.get_by_test_id("my-bookings").locator(f'[data-testid="booking-cell"][data-number="{number}"]').click()
    expect(page).to_have_url(re.compile(rf"/bookings/{number}$"))
    page.get_by_test_id("cancel-booking").click()
    page.get_by_role("button", name="取消预约").last.click()
    expect(page.get_by_test_id("booking-status")).to_have_text("已取消")
    expect(page.get_by_test_id("cancel-booking")).to_have_count(0)


CODE = "query($n: String!) { bookingCheckInCode(number: $n) { token } }"
SLOTS = """query($h: ID!, $i: String!, $f: Date!, $t: Date!) { hallSlots(hallId: $h, itemCode: $i, from: $f, to: $t) {
  id date open placesLeft } }"""
BOOK = """mutation($input: BookSlotInput!) { bookSlot(input: $input) { __typename
  ... on BookingConfirmed { booking { number } } } }"""
HALLS = "query($i: String!) { bookableHalls(itemCode: $i) { hall { id name } } }"


def test_staff_check_a_booking_in_by_its_code_and_a_replay_is_refused(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    citizen = new_page()
    sign_in(citizen, "citizen2")
    token = session_token(citizen)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    hall = next(h["hall"]["id"] for h in api(live_server, None, HALLS, {"i": TEACHER})["bookableHalls"]
                if h["hall"]["name"] == "西安市政务服务中心")
    slots = [s for s in api(live_server, None, SLOTS, {"h": hall, "i": TEACHER, "f": today, "t": today})["hallSlots"]
             if s["open"] and s["placesLeft"]]
    if not slots:
        pytest.skip("no slot left today at the city hall (a holiday, or past the cut-off): check-in is same-day")
    booked = api(live_server, token, BOOK, {"input": {"slotId": slots[-1]["id"], "hallId": hall, "itemCode": TEACHER}})
    number = booked["bookSlot"]["booking"]["number"]
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


_NO_SHOW_JOB = """
import asyncio, sys
from datetime import datetime
from tortoise import Tortoise
from backend.services.bookings.noshow import mark_no_shows
from backend.services.bookings.rules import BookingRules
async def main(url, at):
    await Tortoise.init(db_url=url, modules={"models": ["backend.models"]}, use_tz=True, timezone="Asia/Shanghai")
    try:
        print(await mark_no_shows(rules=BookingRules(), bus=None, now=datetime.fromisoformat(at)))
    finally:
        await Tortoise.close_connections()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.postgres
def test_a_booking_not_checked_in_becomes_a_no_show_on_the_staff_list(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    """The no-show job run (twice) as the worker runs it, at a moment after the slot's end + grace,
    on the live server's database; the window's list then shows 未到（爽约）."""
    import subprocess
    import sys
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.conftest import TEST_DATABASE_URL

    citizen = new_page()
    sign_in(citizen, "citizen")
    token = session_token(citizen)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    hall = next(h["hall"]["id"] for h in api(live_server, None, HALLS, {"i": TEACHER})["bookableHalls"]
                if h["hall"]["name"] == "西安市政务服务中心")
    slots = [s for s in api(live_server, None, SLOTS, {"h": hall, "i": TEACHER, "f": today, "t": today})["hallSlots"]
             if s["open"] and s["placesLeft"]]
    if not slots:
        pytest.skip("no slot left today at the city hall (a holiday, or past the cut-off)")
    booked = api(live_server, token, BOOK, {"input": {"slotId": slots[0]["id"], "hallId": hall, "itemCode": TEACHER}})
    number = booked["bookSlot"]["booking"]["number"]
    live_db = TEST_DATABASE_URL.replace("postgresql://", "postgres://", 1) + "_live"
    after_end = f"{today}T23:59:00+08:00"
    runs = [subprocess.run([sys.executable, "-c", _NO_SHOW_JOB, live_db, after_end], capture_output=True, text=True,
                           timeout=60, check=True).stdout.strip() for _ in range(2)]
    assert int(runs[0]) >= 1 and runs[1] == "0", runs  # the second run finds nothing left to mark

    sign_in(page, "staff")
    page.get_by_test_id("staff-bookings-link").click()
    row = page.get_by_test_id("hall-bookings").get_by_test_id("hall-booking").filter(has_text=number)
    expect(row).to_contain_text("未到（爽约）", timeout=15000)
    citizen.goto(f"/bookings/{number}")
    expect(citizen.get_by_test_id("booking-status")).to_have_text("未到（爽约）")
    expect(citizen.get_by_test_id("cancel-booking")).to_have_count(0)

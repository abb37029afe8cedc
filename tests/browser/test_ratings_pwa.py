"""好差评 end to end in chromium at 360 px: a delivered case → the invitation push (from the live
server, through a local push service, into the service worker) → 不满意 tapped on the
notification (its notificationclick fired with the action: the app is not opened) → the
department's ticket → verify, rectify → the return-visit push answered with one tap → the
supervisor's dashboard moves."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import api, session_token, sign_in, submit_case_via_api
from tests.browser.test_notifications_pwa import REGISTER, _registration_id, fits_360
from tests.push_service import Device, PushService

MOVE = "mutation($n: String!) { %s(number: $n%s) { __typename } }"
MY_RATING = """query($n: String!) { myRating(caseNumber: $n) { level channel ticket { id state visitLevel } } }"""
REPORT = """query($f: Date!, $t: Date!) { ratingReport(from: $f, to: $t, departmentCode: "D02") {
  total { ratings bad visitedOnTime { numerator denominator } } } }"""


class ThreadedPushService:
    """tests/push_service.py on its own event loop in a thread (Playwright's sync API holds this one)."""

    def __init__(self) -> None:
        self.service: PushService | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with PushService() as service:
            self.service = service
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ThreadedPushService:
        self._thread.start()
        assert self._ready.wait(10), "push service did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def payload_of(self, device: Device, kind: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r.payload for r in list(device.received) if r.payload.get("kind") == kind]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no {kind} push; got {[r.payload.get('kind') for r in device.received]}")


@pytest.fixture
def push() -> Iterator[ThreadedPushService]:
    with ThreadedPushService() as service:
        yield service


TAP = """async ([payload, action]) => {
  // What the person's tap does: the notification the worker showed for this push, or (headless
  // builds keep none) one with the data the worker gives it, and notificationclick with the action.
  const shown = (await self.registration.getNotifications()).find((n) => n.data && n.data.id === payload.id)
  const data = shown ? shown.data : { link: payload.link, id: payload.id, kind: payload.kind,
    caseNumber: payload.rating.caseNumber, rating: payload.rating }
  const event = new Event('notificationclick')
  Object.defineProperty(event, 'action', { value: action })
  Object.defineProperty(event, 'notification', { value: { data, close() {} } })
  Object.defineProperty(event, 'waitUntil', { value: (p) => { self.__tapped = p } })
  self.dispatchEvent(event)
  return await self.__tapped
}"""


def _deliver_and_tap(page: Page, context: BrowserContext, live_server: str, payload: dict[str, Any],
                     action: str) -> object:
    cdp, registration = _registration_id(page, context, live_server)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registration,
                                                  "data": json.dumps(payload, ensure_ascii=False)})
    worker = next(w for w in context.service_workers if w.url.endswith("/sw.js"))
    return worker.evaluate(TAP, [payload, action])


def _until(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_one_tap_on_the_push_starts_the_rectification_loop_and_the_dashboard_moves(
        page: Page, context: BrowserContext, new_page: Callable[[], Page], live_server: str,
        push: ThreadedPushService) -> None:
    context.grant_permissions(["notifications"])
    sign_in(page, "citizen")
    citizen = session_token(page)
    assert push.service is not None
    device = push.service.subscribe()
    registered = api(live_server, citizen, REGISTER, {"input": {**device.info, "deviceLabel": "测试手机"}})
    assert registered["registerPushSubscription"]["__typename"] == "PushSubscriptionRegistered"

    supervisor = new_page()
    sign_in(supervisor, "supervisor")
    boss = session_token(supervisor)
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    before = api(live_server, boss, REPORT, {"f": today, "t": today})["ratingReport"]["total"]

    staff = new_page()
    sign_in(staff, "staff")
    clerk = session_token(staff)
    number = submit_case_via_api(live_server, citizen)
    for name, extra in (("acceptCase", ""), ("approveCase", ""), ("deliverCase", ", method: WINDOW")):
        assert api(live_server, clerk, MOVE % (name, extra), {"n": number})[name]["__typename"] == "CaseUpdated"

    # The invitation arrives as a push with its actions and a rating token; 不满意 is tapped on it.
    invitation = push.payload_of(device, "RATING_INVITATION")
    assert [a["title"] for a in invitation["actions"]] == ["满意", "不满意", "更多…"]
    assert invitation["rating"]["caseNumber"] == number
    page.goto("/")
    pages_before = len(context.pages)
    assert _deliver_and_tap(page, context, live_server, invitation, "rate-unsatisfied") is True
    assert len(context.pages) == pages_before and page.url.rstrip("/") == live_server  # the app was not opened
    rated = api(live_server, citizen, MY_RATING, {"n": number})["myRating"]
    assert (rated["level"], rated["channel"], rated["ticket"]["state"]) == ("UNSATISFIED", "PUSH", "OPEN")
    # The same token again changes nothing.
    assert _deliver_and_tap(page, context, live_server, invitation, "rate-satisfied") is False
    assert api(live_server, citizen, MY_RATING, {"n": number})["myRating"]["level"] == "UNSATISFIED"

    # The person sees the ticket on the case page.
    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("my-rating")).to_contain_text("不满意")
    expect(page.get_by_test_id("my-ticket")).to_contain_text("待核实")
    fits_360(page)

    # The department works the ticket in its screens.
    staff.goto("/me")
    staff.get_by_test_id("me-links").get_by_text("差评整改").click()
    ticket = staff.get_by_test_id("ticket-list").locator(f'[data-ticket="{rated["ticket"]["id"]}"]')
    expect(ticket).to_contain_text(number)
    expect(ticket).to_have_attribute("href", f'/staff/tickets/{rated["ticket"]["id"]}')  # a real link
    ticket.click()
    step = staff.get_by_test_id("ticket-step")
    expect(step).to_have_attribute("data-step", "verify")
    found_true = step.get_by_role("radio").filter(has_text=re.compile(r"^\s*属实\s*$"))
    found_true.click()
    expect(found_true).to_have_attribute("aria-checked", "true")
    staff.get_by_test_id("ticket-text").locator("textarea").fill("窗口未一次性告知所需材料，情况属实")
    staff.get_by_test_id("ticket-submit").click()
    expect(staff.get_by_test_id("ticket-detail")).to_have_attribute("data-state", "VERIFIED")
    expect(step).to_have_attribute("data-step", "rectify")
    staff.get_by_test_id("ticket-text").locator("textarea").fill("补全一次性告知单，并对窗口人员培训")
    staff.get_by_test_id("ticket-submit").click()
    expect(staff.get_by_test_id("ticket-detail")).to_have_attribute("data-state", "RECTIFIED")
    expect(staff.get_by_test_id("ticket-history")).to_contain_text("整改完成")
    fits_360(staff)

    # The return visit asks the person again, by push: 满意 with one tap.
    visit = push.payload_of(device, "RATING_RETURN_VISIT")
    assert visit["rating"]["caseNumber"] == number
    assert _deliver_and_tap(page, context, live_server, visit, "rate-satisfied") is True
    after = _until(lambda: (r := api(live_server, citizen, MY_RATING, {"n": number})["myRating"])["ticket"]["state"]
                   == "CLOSED" and r, "the ticket to close")
    assert after["ticket"]["visitLevel"] == "SATISFIED"
    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("my-ticket")).to_contain_text("已办结")

    # The supervisor's dashboard has moved.
    supervisor.goto("/me")
    supervisor.get_by_test_id("me-links").get_by_text("好差评统计").click()
    total = supervisor.get_by_test_id("report-total")
    now = api(live_server, boss, REPORT, {"f": today, "t": today})["ratingReport"]["total"]
    assert (now["ratings"], now["bad"]) == (before["ratings"] + 1, before["bad"] + 1)
    assert now["visitedOnTime"]["numerator"] == before["visitedOnTime"]["numerator"] + 1
    expect(total).to_contain_text(f"{now['ratings']}评价数")
    expect(total).to_contain_text(f"{now['bad']}差评")
    row = supervisor.get_by_test_id("report-departments").locator('[data-code="D02"]')
    expect(row).to_contain_text(f"差评 {now['bad']}")
    fits_360(supervisor)
    row.click()
    expect(supervisor.get_by_test_id("ticket-list").locator(f'[data-ticket="{rated["ticket"]["id"]}"]')).to_be_visible()
    # 电子监察 leads to both.
    supervisor.goto("/supervision")
    supervisor.get_by_test_id("supervision-ratings").get_by_text("超期的差评整改工单").click()
    expect(supervisor.get_by_role("tab", name="已超期")).to_have_attribute("aria-selected", "true")
    expect(supervisor.get_by_test_id("ticket-list").locator(f'[data-ticket="{rated["ticket"]["id"]}"]')).to_have_count(0)


def test_the_rating_sheet_the_inbox_row_and_the_guide_satisfaction(page: Page, live_server: str,
                                                                  new_page: Callable[[], Page]) -> None:
    sign_in(page, "citizen")
    citizen = session_token(page)
    staff = new_page()
    sign_in(staff, "staff")
    clerk = session_token(staff)
    numbers = []
    for _ in range(2):
        number = submit_case_via_api(live_server, citizen)
        for name, extra in (("acceptCase", ""), ("approveCase", ""), ("deliverCase", ", method: WINDOW")):
            api(live_server, clerk, MOVE % (name, extra), {"n": number})
        numbers.append(number)

    # The invitation's link opens the full sheet: a level, its chips, a comment shown as text.
    page.goto(f"/cases/{numbers[0]}?rate=1")
    sheet = page.get_by_test_id("rating-sheet")
    expect(sheet).to_be_visible()
    sheet.locator('[data-level="UNSATISFIED"]').click()
    sheet.get_by_role("button", name="办理慢").click()
    sheet.get_by_role("button", name="态度差").click()
    comment = "<img src=x onerror=alert(1)> 跑了两趟"
    page.get_by_test_id("rating-comment").locator("textarea").fill(comment)
    page.get_by_test_id("rating-submit").click()
    mine = page.get_by_test_id("my-rating")
    expect(mine).to_contain_text("不满意")
    expect(mine).to_contain_text("办理慢、态度差")
    shown = page.get_by_test_id("case-rating").locator(".comment")
    expect(shown).to_have_text(comment)  # as text: no element was made of it
    assert page.get_by_test_id("case-rating").locator("img").count() == 0
    expect(page.get_by_test_id("my-ticket")).to_contain_text("待核实")
    fits_360(page)

    # The inbox row: 满意 with one tap, and the row goes away.
    page.goto("/inbox")
    invitation = page.get_by_test_id("inbox-list").locator("li").filter(
        has=page.locator('[data-kind="RATING_INVITATION"]')).filter(has_text=numbers[1])
    invitation.get_by_test_id("rating-quick").get_by_role("button", name="满意", exact=True).click()
    expect(invitation.get_by_test_id("rating-quick")).to_have_count(0)
    assert api(live_server, citizen, MY_RATING, {"n": numbers[1]})["myRating"]["level"] == "SATISFIED"
    fits_360(page)

    # The guide shows the item's satisfaction over the last 12 months.
    page.goto("/items/61010102006")
    expect(page.get_by_test_id("item-satisfaction")).to_contain_text("近 12 个月满意度")
    expect(page.get_by_test_id("item-satisfaction")).to_contain_text("人评价")

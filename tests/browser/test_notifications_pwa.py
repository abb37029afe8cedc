"""消息中心 and 消息设置, driven in chromium at 360 px as people would: the tab badge and the inbox
follow a staff decision live, reading clears them, preferences persist, and push explains itself
where the browser cannot push (headless chromium reaches no push service)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from tests.browser.helpers import api, session_token, sign_in, submit_case_via_api

UNREAD = "{ unreadNotificationCount }"
ACCEPT = "mutation($n: String!) { acceptCase(number: $n) { __typename } }"


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def badge(page: Page) -> Locator:
    return page.get_by_test_id("inbox-tab").locator(".van-badge")


def expect_badge(page: Page, count: int) -> None:
    if count:
        expect(badge(page)).to_have_text(str(count) if count <= 99 else "99+")
    else:
        expect(badge(page)).to_have_count(0)


def unread(base: str, token: str) -> int:
    return api(base, token, UNREAD)["unreadNotificationCount"]


def test_a_staff_acceptance_reaches_the_badge_and_the_open_inbox_live(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    citizen = session_token(page)
    staff = new_page()
    sign_in(staff, "staff")
    number = submit_case_via_api(live_server, citizen)

    # 消息 tab: whatever was unread before (other tests share the person); about this case only
    # the receipt of its submission (申请已提交).
    before = unread(live_server, citizen)
    page.get_by_test_id("inbox-tab").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator(".van-nav-bar__title")).to_have_text("消息中心")
    expect_badge(page, before)
    items = page.get_by_test_id("inbox-list").locator("li")
    expect(items.filter(has_text=number)).to_have_count(1)
    expect(items.filter(has_text=number).locator("a")).to_have_attribute("data-kind", "CASE_SUBMITTED")
    page.evaluate("window.__sameDocument = 'yes'")

    # 刘洋 accepts it in the staff console.
    staff.goto(f"/staff/cases/{number}")
    staff.locator('[data-action="ACCEPT"]').click()
    staff.get_by_test_id("staff-action-form").get_by_role("button", name="确认受理").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("已受理")

    # Without a reload: the badge counts it and the entry is on top, unread.
    expect_badge(page, before + 1)
    first = items.first
    expect(first).to_contain_text("办件已受理")
    expect(first).to_contain_text(number)
    expect(first.locator("a")).to_have_attribute("data-read", "no")
    expect(first.locator(".dot")).to_be_visible()
    assert page.evaluate("window.__sameDocument") == "yes"
    fits_360(page)

    # Tapping it reads it and opens the case.
    first.locator("a").click()
    expect(page).to_have_url(re.compile(f"/cases/{number}$"))
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    assert unread(live_server, citizen) == before
    page.go_back()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect_badge(page, before)
    entry = page.get_by_test_id("inbox-list").locator("li", has=page.locator('[data-kind="CASE_ACCEPTED"]')).filter(has_text=number)
    expect(entry.locator("a")).to_have_attribute("data-read", "yes")
    expect(entry.locator(".dot")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") == "yes"


def test_mark_all_read_clears_the_badge_and_the_unread_filter_is_empty(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen2")
    citizen = session_token(page)
    staff = new_page()
    sign_in(staff, "staff")
    for _ in range(2):
        number = submit_case_via_api(live_server, citizen)
        assert api(live_server, session_token(staff), ACCEPT, {"n": number})["acceptCase"]["__typename"] == "CaseUpdated"
    count = unread(live_server, citizen)
    assert count >= 2

    page.get_by_test_id("inbox-tab").click()
    expect_badge(page, count)
    page.get_by_role("tab", name=re.compile("^未读")).click()
    expect(page.get_by_test_id("inbox-list").locator('a[data-read="no"]')).to_have_count(min(count, 20))

    page.get_by_role("button", name="全部已读").click()
    expect_badge(page, 0)
    expect(page.get_by_text("暂无未读消息")).to_be_visible()
    expect(page.get_by_role("button", name="全部已读")).to_be_disabled()
    assert unread(live_server, citizen) == 0

    page.get_by_role("tab", name=re.compile("^全部")).click()
    expect(page.get_by_test_id("inbox-list").locator("li").first).to_contain_text("办件已受理")
    expect(page.get_by_test_id("inbox-list").locator('a[data-read="no"]')).to_have_count(0)
    fits_360(page)


def pick_time(page: Page, cell: str, hour: str, minute: str) -> None:
    """Open the time picker of a cell and choose a time, as a tap on each column's option."""
    page.get_by_test_id(cell).click()
    picker = page.locator(".van-popup .van-picker")
    expect(picker).to_be_visible()
    columns = picker.locator(".van-picker-column")
    for column, value in ((columns.nth(0), hour), (columns.nth(1), minute)):
        # Options outside the picker's window are clipped, so the tap is dispatched to the option.
        column.locator(".van-picker-column__item", has_text=re.compile(f"^{value}$")).dispatch_event("click")
    page.wait_for_timeout(300)  # the column settles on the tapped option
    picker.get_by_role("button", name="确认").click()
    expect(picker).to_be_hidden()


def switch_of(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-kind="{kind}"] [role="switch"]')


def test_preferences_persist_and_push_explains_itself(page: Page, context: BrowserContext) -> None:
    sign_in(page, "citizen2")
    page.get_by_text("消息设置", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me/notifications$"))
    kinds = page.get_by_test_id("push-kinds")
    expect(kinds).to_contain_text("办件已受理", timeout=15000)

    # 办件已受理 no longer goes to push; quiet hours 22:00 → 次日 07:00.
    accepted = switch_of(page, "CASE_ACCEPTED")
    if accepted.get_attribute("aria-checked") == "true":
        accepted.click()
    expect(accepted).to_have_attribute("aria-checked", "false")
    quiet = page.get_by_test_id("quiet-switch")
    if quiet.get_attribute("aria-checked") != "true":
        quiet.click()
    pick_time(page, "quiet-start", "23", "30")
    expect(page.get_by_test_id("quiet-start")).to_contain_text("23:30")
    pick_time(page, "quiet-start", "22", "00")
    pick_time(page, "quiet-end", "07", "00")
    expect(page.get_by_test_id("quiet-start")).to_contain_text("22:00")
    expect(page.get_by_test_id("quiet-end")).to_contain_text("次日 07:00")
    fits_360(page)

    # The server's InputError is shown next to the field it names (here a time the phone
    # could not have sent: the request is altered on the way).
    def bad_time(route: Route) -> None:
        body = route.request.post_data_json if route.request.method == "POST" else None
        if not body or "updateNotificationPreferences" not in body.get("query", ""):
            route.continue_()
            return
        body["variables"]["input"]["quietHours"]["start"] = "25:00"
        route.continue_(post_data=json.dumps(body))

    page.route("**/graphql", bad_time)
    page.get_by_role("button", name="保存设置").click()
    expect(page.get_by_test_id("quiet-error")).to_contain_text("时间格式应为 HH:MM")
    page.unroute("**/graphql")

    page.get_by_role("button", name="保存设置").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(page.get_by_test_id("quiet-error")).to_have_count(0)

    page.reload()
    expect(switch_of(page, "CASE_ACCEPTED")).to_have_attribute("aria-checked", "false", timeout=15000)
    expect(switch_of(page, "CASE_APPROVED")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("quiet-switch")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("quiet-start")).to_contain_text("22:00")
    expect(page.get_by_test_id("quiet-end")).to_contain_text("次日 07:00")

    # Push: permission is granted, but no push service is reachable from here. Either it works
    # (the device is listed) or the page says why in Chinese — never an exception's text.
    context.grant_permissions(["notifications"])
    page.reload()
    switch = page.get_by_test_id("push-switch")
    expect(switch).to_be_visible(timeout=15000)
    switch.click()
    expect(page.locator('[data-testid="push-error"], [data-testid="push-devices"] .van-icon-phone-o').first) \
        .to_be_visible(timeout=40000)
    if page.get_by_test_id("push-error").count():
        message = page.get_by_test_id("push-error").inner_text()
        assert re.search(r"[\u4e00-\u9fff]", message), message
        assert not re.search(r"Error|undefined|at \w+ \(|\.js", message), message
        expect(switch).to_have_attribute("aria-checked", "false")
    fits_360(page)


def test_push_is_explained_where_the_browser_has_no_push_api(page: Page) -> None:
    # An in-app browser without the Push API (some WebViews): said plainly, no switch to fail.
    page.add_init_script("delete window.PushManager")
    sign_in(page, "citizen")
    page.goto("/me/notifications")
    status = page.get_by_test_id("push-status")
    expect(status).to_contain_text("当前浏览器不支持推送通知，消息仍会送达消息中心", timeout=15000)
    expect(page.get_by_test_id("push-switch")).to_have_count(0)
    expect(page.get_by_test_id("push-kinds")).to_be_visible()


def _registration_id(page: Page, context: BrowserContext, live_server: str) -> tuple[object, str]:
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    # Active and in control (clientsClaim): a push delivered before that would be dropped.
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.state)") in ("activating", "activated")
    page.wait_for_function("!!navigator.serviceWorker.controller")
    for _ in range(50):
        found = [r for r in registrations if r["scopeURL"].startswith(live_server) and not r.get("isDeleted")]
        if found:
            return cdp, found[-1]["registrationId"]
        page.wait_for_timeout(100)
    raise AssertionError(f"no service worker registration: {registrations}")


def test_the_service_worker_shows_every_push_and_tells_the_open_app(
        page: Page, context: BrowserContext, live_server: str) -> None:
    context.grant_permissions(["notifications"])
    page.goto("/")
    cdp, registration = _registration_id(page, context, live_server)
    page.evaluate("""() => { window.__pushed = []; navigator.serviceWorker.addEventListener('message',
        (e) => { if (e.data && e.data.type === 'NOTIFICATION_PUSHED') window.__pushed.push(e.data.id) }) }""")
    payload = {"v": 1, "id": "123", "kind": "RATING_INVITATION", "title": "请为本次服务评价", "body": "教师资格认定已办结，满意吗？",
               "link": "/cases/ZSB-20261122-000001", "tag": "case-ZSB-20261122-000001",
               "actions": [{"action": "rate-satisfied", "title": "满意"}, {"action": "rate-unsatisfied", "title": "不满意"}]}
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": live_server, "registrationId": registration, "data": json.dumps(payload, ensure_ascii=False)})
    page.wait_for_function("window.__pushed.length === 1")
    assert page.evaluate("window.__pushed") == ["123"]
    shown = page.evaluate("""async () => (await (await navigator.serviceWorker.ready).getNotifications())
        .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, actions: n.actions.map((a) => a.action) }))""")
    if shown:  # headless builds without a notification platform keep none to list
        assert shown[-1]["title"] == "请为本次服务评价"
        assert shown[-1]["tag"] == "case-ZSB-20261122-000001"
        assert shown[-1]["data"]["link"] == "/cases/ZSB-20261122-000001"
        assert shown[-1]["data"]["caseNumber"] == "ZSB-20261122-000001"

    # Unreadable payload: still a notification (never a silent push), pointing at the inbox.
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registration, "data": "not json"})
    page.wait_for_function("window.__pushed.length === 2")
    # The app is told while the notification is being shown: wait for it to be listed.
    listed = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
        .map((n) => ({ title: n.title, body: n.body, link: n.data && n.data.link }))"""
    if shown:
        page.wait_for_function(f"({listed})().then((all) => all.some((n) => n.link === '/inbox'))")
        assert {"title": "掌上办", "body": "您有一条新消息", "link": "/inbox"} in page.evaluate(listed)


REGISTER = """mutation($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) {
  __typename ... on PushSubscriptionRegistered { device { id } } } }"""


def test_a_lost_phone_is_removed_from_the_device_list(page: Page, live_server: str) -> None:
    """Another of the person's devices (registered as a browser would) is removed from 消息设置."""
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    sign_in(page, "citizen2")
    token = session_token(page)
    registered = api(live_server, token, REGISTER, {"input": {
        "endpoint": f"http://127.0.0.1:9/push/{b64(os.urandom(8))}", "deviceLabel": "旧手机 · Chrome",
        "keys": {"p256dh": b64(point), "auth": b64(os.urandom(16))}}})
    assert registered["registerPushSubscription"]["__typename"] == "PushSubscriptionRegistered"

    page.goto("/me/notifications")
    devices = page.get_by_test_id("push-devices")
    expect(devices).to_contain_text("旧手机 · Chrome")
    devices.get_by_role("button", name="移除设备 旧手机 · Chrome").click()
    page.get_by_role("dialog").get_by_role("button", name="移除").click()
    expect(devices).not_to_contain_text("旧手机 · Chrome")
    expect(devices).to_contain_text("还没有设备开启推送")
    fits_360(page)
    assert api(live_server, token, "{ myPushDevices { id } }")["myPushDevices"] == []

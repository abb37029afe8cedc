"""Offline, a signed-in person still has 我的办件, each case they opened (with its timeline)
and 消息 — kept on the phone for them alone, with when they were last synced; the case catches
up on what happened meanwhile when the network returns; /apply keeps working on its draft and
submits on reconnect; signing out removes the copies. Chromium at 360 px, zh-CN."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import api, session_token, sign_in, submit_case_via_api
from tests.browser.test_cases_pwa import FILLED_IN, TEACHER, UPLOADED, fill_teacher_application, material

ACCEPT = """mutation($n: String!) { acceptCase(number: $n) { __typename } }"""
NETWORK_ERROR = "网络连接失败"
BANNER = "当前处于离线状态，显示的是已保存的内容"


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")


# lib/personCache.js KINDS: what is kept on the device per person.
KEPT_KINDS = ("cases", "case", "inbox", "inbox-unread", "license-list", "license-disclose", "license-offline", "bookings")


def kept_keys(page: Page) -> list[str]:
    """The keys the app keeps in IndexedDB (lib/store.js: database zhangshangban, store kv)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('zhangshangban')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
            const request = open.result.transaction('kv').objectStore('kv').getAllKeys()
            request.onsuccess = () => resolve(request.result.map(String))
        }
    })""")


def no_contradiction(page: Page) -> None:
    """Under the offline banner, no screen also says the network failed."""
    expect(page.get_by_role("status").filter(has_text="当前处于离线状态")).to_have_text(BANNER)
    expect(page.get_by_text(NETWORK_ERROR)).to_have_count(0)


def test_cases_a_case_and_the_inbox_open_offline_and_the_case_catches_up(
        page: Page, context: BrowserContext, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    number = submit_case_via_api(live_server, session_token(page))
    staff = new_page()
    sign_in(staff, "staff")
    controlled(page)

    # Online: the list, the case (its timeline has the submission) and 消息 (the receipt).
    page.goto("/cases")
    mine = page.get_by_test_id("my-cases")
    expect(mine.locator(f'[data-number="{number}"]')).to_be_visible()
    mine.locator(f'[data-number="{number}"]').click()
    expect(page.get_by_test_id("case-status")).to_have_text("已提交")
    expect(page.get_by_test_id("timeline").locator('[data-kind="SUBMITTED"]')).to_have_count(1)
    page.goto("/inbox")
    receipt = page.get_by_test_id("inbox-list").locator('[data-kind="CASE_SUBMITTED"]').filter(has_text=number)
    expect(receipt).to_contain_text("申请已提交")

    context.set_offline(True)
    try:
        page.reload()
        no_contradiction(page)
        expect(page.get_by_test_id("synced-at")).to_contain_text("当前离线 · 显示本机保存的消息，最后同步于")
        expect(receipt).to_contain_text("申请已提交")

        page.goto("/cases")
        no_contradiction(page)
        expect(page.get_by_test_id("synced-at")).to_contain_text("显示本机保存的办件，最后同步于")
        page.get_by_test_id("my-cases").locator(f'[data-number="{number}"]').click()
        no_contradiction(page)
        expect(page.get_by_test_id("synced-at")).to_contain_text("最后同步于")
        expect(page.get_by_test_id("case-status")).to_have_text("已提交")
        expect(page.get_by_test_id("timeline").locator('[data-kind="SUBMITTED"]')).to_have_count(1)
        expect(page.get_by_role("button", name="撤回申请")).to_have_count(0)  # actions wait for the network
        fits_360(page)

        # Meanwhile the department accepts it.
        assert api(live_server, session_token(staff), ACCEPT, {"n": number})["acceptCase"]["__typename"] == "CaseUpdated"
        page.reload()
        expect(page.get_by_test_id("case-status")).to_have_text("已提交")  # still the kept copy
    finally:
        context.set_offline(False)

    # Back online, on the same screen: the subscription resumes after the kept cursor.
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="ACCEPTED"]')).to_have_count(1)
    expect(timeline.locator('[data-kind="SUBMITTED"]')).to_have_count(1)
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    expect(page.get_by_test_id("synced-at")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="当前处于离线状态")).to_have_count(0)

    # A case never opened on this phone says plainly that it was not kept.
    context.set_offline(True)
    try:
        page.goto("/cases/ZSB-20200101-999999")
        expect(page.get_by_text("当前处于离线状态，且此前未保存过该内容")).to_be_visible()
        expect(page.get_by_text(NETWORK_ERROR)).to_have_count(0)
    finally:
        context.set_offline(False)

    # The session ends without 退出登录 and another person signs in on this phone: the first
    # person's copies go. Signing out removes the signed-in person's own; drafts would stay (they
    # wait for their owner).
    keys = kept_keys(page)
    assert any(k.startswith("case:dev-citizen:") for k in keys) and "inbox:dev-citizen" in keys, keys
    page.evaluate("sessionStorage.removeItem('zsb.session')")
    sign_in(page, "citizen2")
    assert [k for k in kept_keys(page) if k.split(":")[0] in KEPT_KINDS and k.split(":")[1] != "dev-citizen2"] == []
    page.goto("/inbox")  # the new person's own copy is kept as usual
    page.wait_for_function("""() => new Promise((resolve) => {
        indexedDB.open('zhangshangban').onsuccess = (e) => {
            const r = e.target.result.transaction('kv').objectStore('kv').getKey('inbox:dev-citizen2')
            r.onsuccess = () => resolve(r.result !== undefined)
        }
    })""")
    page.goto("/me")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="统一身份认证登录").wait_for()
    left = [k for k in kept_keys(page) if k.split(":")[0] in KEPT_KINDS]
    assert left == [], left


def test_apply_opens_its_draft_offline_and_submits_on_reconnect(page: Page, context: BrowserContext) -> None:
    sign_in(page, "citizen2")
    page.goto("/")
    controlled(page)
    page.goto(f"/apply/{TEACHER}")
    fill_teacher_application(page)
    expect(page.get_by_text("草稿已自动保存在本机")).to_be_visible()

    context.set_offline(True)
    try:
        # The app is opened again without a network: the saved form and draft are there.
        page.reload()
        expect(page.get_by_role("note").filter(has_text="当前离线，显示的是已保存的申请表")).to_be_visible()
        expect(material(page, UPLOADED[0])).to_contain_text("已上传")
        expect(material(page, FILLED_IN[0]).get_by_placeholder("请填写")).to_have_value("合格（西安市第一医院）")
        expect(page.get_by_text(NETWORK_ERROR)).to_have_count(0)
        page.get_by_role("button", name="下一步：确认信息").click()
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_test_id("queued")).to_contain_text("网络不可用，申请已保存在本机")
        fits_360(page)
    finally:
        context.set_offline(False)

    done = page.get_by_test_id("apply-done")
    expect(done).to_contain_text("申请已提交")
    number = done.get_by_test_id("case-number").inner_text().strip()
    page.goto("/inbox")
    expect(page.get_by_test_id("inbox-list").locator('[data-kind="CASE_SUBMITTED"]').filter(has_text=number)).to_have_count(1)

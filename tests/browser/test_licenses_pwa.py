"""电子证照 on the phone: 亮证 with a QR a second person verifies (valid, then revoked), the live
clock and watermark, choosing what to disclose, and 亮证 / 核验 without a network — in chromium
at 360 px as people would."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

# Demo licenses (backend/seed/licenses.py). 李娜 (citizen2) holds a 教师资格证书 issued by 市教育局,
# whose staff persona (刘洋) may change its status; 王晓明 (citizen) holds a 居民身份证 among others.
TEACHER_CERT = "教师资格证书"
RESIDENT_ID = "居民身份证"


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def open_my_license(page: Page, type_name: str) -> str:
    """From 我的 to 我的证照 to the license's 亮证 screen; waits for a live QR. → the license id."""
    page.goto("/me")
    page.get_by_text("我的证照", exact=True).click()
    mine = page.get_by_test_id("my-licenses")
    card = mine.get_by_test_id("license-card").filter(has_text=type_name).first
    expect(card.get_by_test_id("license-status")).to_have_attribute("data-status", "VALID")
    card.click()
    expect(page).to_have_url(re.compile(r"/licenses/[^/]+$"))
    qr = page.get_by_test_id("license-qr")
    expect(qr).to_have_attribute("data-mode", "live")
    expect(qr.locator("svg")).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def verify_url(page: Page) -> str:
    url = page.get_by_test_id("license-qr").get_attribute("data-verify-url") or ""
    assert "/verify#" in url, url
    return url


def test_a_presented_license_verifies_valid_and_then_revoked(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    # The issuing department's staff member is at hand (signed in before the minute-long QR).
    staff = new_page()
    sign_in(staff, "staff")
    sign_in(page, "citizen2")
    license_id = open_my_license(page, TEACHER_CERT)
    display = page.get_by_test_id("license-display")
    expect(display).to_contain_text(TEACHER_CERT)
    expect(display).to_contain_text("李*")  # the default disclosure: holder (masked) and validity
    expect(display).to_contain_text("长期有效")
    fits_360(page)

    # Someone else, signed out, opens the QR's link.
    verifier = new_page()
    verifier.goto(verify_url(page))
    result = verifier.get_by_test_id("verify-result")
    expect(verifier.get_by_test_id("verify-verdict")).to_have_text("有效")
    expect(result).to_have_attribute("data-valid", "true")
    facts = verifier.get_by_test_id("verify-facts")
    expect(facts).to_contain_text(TEACHER_CERT)
    expect(facts).to_contain_text("西安市教育局")
    expect(verifier.get_by_test_id("disclosed-fields")).to_contain_text("李*")
    fits_360(verifier)

    # The issuing department's staff member revokes it in 证照管理; the same QR now fails.
    staff.goto("/me")
    staff.get_by_text("证照管理", exact=True).click()
    issued = staff.get_by_test_id("issued-licenses")
    row = issued.locator(f'[data-license-id="{license_id}"]')
    expect(issued.locator(".license-row").first).to_be_visible()
    while not row.count() and staff.get_by_role("button", name="加载更多").count():
        staff.get_by_role("button", name="加载更多").click()
        staff.wait_for_timeout(300)
    expect(row).to_contain_text(TEACHER_CERT)
    row.get_by_role("button", name="变更状态").click()
    form = staff.get_by_test_id("status-form")
    form.get_by_role("radio", name="吊销").click()
    form.get_by_role("button", name="确认吊销").click()
    expect(form.get_by_text("请填写变更证照状态的理由")).to_be_visible()  # the reason is required
    form.get_by_placeholder("请填写变更理由（持证人可见）").fill("浏览器测试：吊销")
    form.get_by_role("button", name="确认吊销").click()
    expect(row.get_by_test_id("license-status")).to_have_attribute("data-status", "REVOKED")
    expect(row.get_by_role("button", name="变更状态")).to_have_count(0)  # revoked is final
    fits_360(staff)
    verifier.reload()
    expect(verifier.get_by_test_id("verify-verdict")).to_have_text("核验未通过")
    expect(result).to_contain_text("已吊销")
    expect(result).to_have_attribute("data-valid", "false")

    # The holder sees both checks in 核验记录, and the license no longer presents.
    page.goto("/licenses/verifications")
    records = page.get_by_test_id("license-verifications")
    expect(records).to_contain_text("核验有效")
    expect(records).to_contain_text("吊销")
    expect(records).to_contain_text("匿名核验")
    page.goto(f"/licenses/{license_id}")
    expect(page.get_by_test_id("cannot-present")).to_contain_text("吊销")
    expect(page.get_by_test_id("license-qr")).to_have_count(0)


def test_the_display_ticks_carries_a_watermark_and_discloses_only_what_is_chosen(
        page: Page, new_page: Callable[[], Page]) -> None:
    sign_in(page, "citizen")
    open_my_license(page, RESIDENT_ID)
    clock = page.get_by_test_id("live-clock")
    first = clock.inner_text()
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", first), first
    expect(clock).not_to_have_text(first, timeout=3000)
    watermark = page.get_by_test_id("watermark")
    expect(watermark).to_contain_text("仅供亮证核验")
    assert watermark.evaluate("el => getComputedStyle(el).animationName") != "none"

    # A field disclosed by default shows on the verifier's page…
    shown = page.get_by_test_id("license-fields").locator("[data-field]").first
    key = shown.get_attribute("data-field")
    label = shown.locator("dt").inner_text()
    before = verify_url(page)
    verifier = new_page()
    verifier.goto(before)
    expect(verifier.get_by_test_id("verify-verdict")).to_have_text("有效")
    expect(verifier.get_by_test_id("disclosed-fields")).to_contain_text(label)

    # …and unticking it takes it out of the next QR at once.
    page.get_by_test_id("disclose-chooser").locator(f'[data-key="{key}"]').click()
    qr = page.get_by_test_id("license-qr")
    expect(qr).not_to_have_attribute("data-verify-url", before)
    expect(page.get_by_test_id("license-fields").locator(f'[data-field="{key}"]')).to_have_count(0)
    verifier.goto("about:blank")
    verifier.goto(verify_url(page))
    expect(verifier.get_by_test_id("verify-verdict")).to_have_text("有效")
    expect(verifier.get_by_test_id("verify-facts")).to_contain_text(RESIDENT_ID)
    expect(verifier.locator(f'[data-testid="disclosed-fields"] [data-key="{key}"]')).to_have_count(0)
    fits_360(page)


def _controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")


def test_licenses_show_and_verify_without_a_network(page: Page, new_page: Callable[[], Page]) -> None:
    sign_in(page, "citizen")
    page.goto("/licenses")
    expect(page.get_by_test_id("offline-ready")).to_contain_text("可离线亮证", timeout=20000)  # fetches every presentation
    _controlled(page)
    expect(page.get_by_test_id("offline-ready")).to_contain_text("可离线亮证")

    # The verifier has opened the verify page once online: the published keys are on the phone.
    verifier = new_page()
    verifier.goto("/verify")
    expect(verifier.get_by_test_id("verify-empty")).to_be_visible()
    expect(verifier.locator('[data-keys="saved"]')).to_have_count(1)
    _controlled(verifier)

    page.context.set_offline(True)
    page.reload()
    synced = page.get_by_test_id("synced-at")
    expect(synced).to_contain_text("最后同步于")
    expect(synced).to_contain_text("当前离线")
    page.get_by_test_id("license-card").filter(has_text=RESIDENT_ID).first.click()
    expect(page.get_by_test_id("offline-mark")).to_have_text("离线亮证 · 非实时")
    qr = page.get_by_test_id("license-qr")
    expect(qr).to_have_attribute("data-mode", "offline")
    expect(qr.locator("svg")).to_be_visible()
    expect(page.get_by_test_id("license-display")).to_contain_text(RESIDENT_ID)
    url = verify_url(page)

    verifier.context.set_offline(True)
    verifier.goto("about:blank")
    verifier.goto(url)
    expect(verifier.get_by_test_id("verify-reason")).to_have_text("签名有效，但无法联网核验证照当前状态")
    expect(verifier.get_by_test_id("offline-presented")).to_have_text("离线出示")
    fits_360(page)
    fits_360(verifier)

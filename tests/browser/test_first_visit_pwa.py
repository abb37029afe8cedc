"""A new person's first walk through the PWA (issue 19): a light, compressed first visit whose
service worker keeps only the shell and 首页 up front; 容缺 supplied from the case page's
alert; missing materials focused and announced rather than toasted; 我的证照 on home with a
short, copyable 证照编号; list entries that are real links. Chromium at 360 px, zh-CN."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import chosen_mode
from tests.browser.helpers import api, session_token, sign_in
from tests.browser.test_cases_pwa import DEFERRABLE, FILLED_IN, PNG, REQUIRED, TEACHER, UPLOADED, material, upload

CACHED_URLS = """async () => {
    const found = {}
    for (const name of await caches.keys()) {
        found[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)
    }
    return found
}"""


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")


def test_home_comes_compressed_and_the_worker_precaches_only_the_shell_and_home(page: Page) -> None:
    scripts: list[tuple[str, str, int]] = []
    page.on("response", lambda r: scripts.append((r.url, r.headers.get("content-encoding", ""), len(r.body())))
            if r.request.resource_type == "script" and "/assets/" in r.url else None)
    page.goto("/")
    expect(page.get_by_role("heading", name="高频事项")).to_be_visible()
    big = [(url, enc) for url, enc, size in scripts if size > 1024]
    assert big and all(enc == "br" for _, enc in big), big

    controlled(page)
    caches = page.evaluate(CACHED_URLS)
    precache = [path for name, paths in caches.items() if "precache" in name for path in paths]
    assert "/index.html" in precache and any("/HomeView-" in p for p in precache), precache
    assert len(precache) < 50, len(precache)
    # Other screens are not fetched up front …
    assert not [p for p in precache if re.search(r"/(CaseView|StaffQueueView|SupervisionView|LicenseView)-", p)]
    # … but cached the first time they are used, in this version's runtime cache.
    page.get_by_label("搜索事项").first.click()
    expect(page.get_by_placeholder("输入事项名称、关键词或拼音首字母")).to_be_visible()
    page.wait_for_function("""async () => {
        for (const name of await caches.keys()) {
            if (!name.startsWith('zsb-assets-')) continue
            const keys = await (await caches.open(name)).keys()
            if (keys.some((r) => r.url.includes('/SearchView-'))) return true
        }
        return false
    }""")
    everything = [p for paths in page.evaluate(CACHED_URLS).values() for p in paths]
    assert "/graphql" not in everything


def test_the_screen_a_first_visit_lands_on_opens_offline(page: Page) -> None:
    # Straight to a guide: its chunks were fetched before the worker existed and are handed over.
    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("""async () => {
        for (const name of await caches.keys()) {
            const keys = await (await caches.open(name)).keys()
            if (keys.some((r) => r.url.includes('/ItemView-'))) return true
        }
        return false
    }""")
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    finally:
        page.context.set_offline(False)


def _deferred_photo_case(base: str, citizen: str, staff: str, *, accept: bool = True) -> tuple[str, str | None]:
    """教师资格认定 with the photo as 容缺, accepted unless told: → (number, supplementDeadline)."""
    form = api(base, citizen, """query($c: String!) { applicationForm(itemCode: $c) {
        materials { materialId name required onFile acceptsFields } } }""", {"c": TEACHER})["applicationForm"]
    materials = []
    for m in form["materials"]:
        if not m["required"] or m["onFile"] or m["name"] == DEFERRABLE:
            continue
        if m["acceptsFields"]:
            materials.append({"materialId": m["materialId"], "fields": [{"name": "内容", "value": "已填写"}]})
            continue
        uploaded = httpx.post(f"{base}/uploads", params={"filename": "材料.png"}, content=PNG, timeout=15,
                              headers={"Authorization": f"Bearer {citizen}", "Content-Type": "image/png"})
        materials.append({"materialId": m["materialId"], "uploadIds": [uploaded.json()["id"]]})
    submitted = api(base, citizen, """mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
        __typename ... on ApplicationSubmitted { case { number } } } }""", {"input": {
        "itemCode": TEACHER, "materials": materials, "idempotencyKey": uuid.uuid4().hex,
        "deficiencyPromise": "本人承诺在期限内补齐近期免冠照片"}})["submitApplication"]
    number = submitted["case"]["number"]
    if not accept:
        return number, None
    accepted = api(base, staff, """mutation($n: String!) { acceptCase(number: $n) { __typename
        ... on CaseUpdated { case { supplementDeadline } } } }""", {"n": number})["acceptCase"]
    return number, accepted["case"]["supplementDeadline"]


def test_the_deferred_photo_is_supplied_from_the_alert_before_its_deadline(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    staff = new_page()
    sign_in(staff, "staff")
    number, deadline = _deferred_photo_case(live_server, session_token(page), session_token(staff))
    due = date.fromisoformat(deadline)

    page.goto(f"/cases/{number}")
    owed = page.get_by_test_id("outstanding")
    expect(owed).to_contain_text(f"容缺材料待补齐：{DEFERRABLE}")
    expect(owed.get_by_test_id("owed-deadline")).to_have_text(f"请于 {due.year}年{due.month}月{due.day}日 前补齐，逾期未补齐的将终止办理")
    fits_360(page)
    _supply_from_the_alert(page)


def _supply_from_the_alert(page: Page) -> None:
    """立即补交 opens the photo's file picker in the existing supplement form; sent, the alert goes."""
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("outstanding").get_by_role("button", name="立即补交").click()
    chooser.value.set_files({"name": "免冠照片.png", "mimeType": "image/png", "buffer": PNG})
    form = page.get_by_test_id("supplement-form")
    expect(form).to_contain_text("已上传")
    expect(form).to_be_in_viewport()
    form.get_by_role("button", name="提交补正材料").click()
    expect(page.get_by_test_id("outstanding")).to_have_count(0)
    expect(page.get_by_test_id("timeline").locator('[data-kind="SUPPLEMENTED"]')).to_have_count(1)


def test_the_deferred_photo_may_be_supplied_right_after_submitting(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    staff = new_page()
    sign_in(staff, "staff")
    number, _ = _deferred_photo_case(live_server, session_token(page), session_token(staff), accept=False)

    page.goto(f"/cases/{number}")
    owed = page.get_by_test_id("outstanding")
    expect(owed).to_contain_text(f"容缺材料待补齐：{DEFERRABLE}")
    expect(owed.get_by_test_id("owed-when")).to_have_text("现在即可补交，受理后将告知补齐期限")
    fits_360(page)
    _supply_from_the_alert(page)
    expect(page.get_by_test_id("case-status")).to_contain_text("已提交")  # still waiting for the window, now complete


def test_missing_materials_are_focused_and_announced_not_toasted(page: Page) -> None:
    sign_in(page, "citizen")
    page.goto(f"/apply/{TEACHER}")
    expect(material(page, UPLOADED[0])).to_be_visible()
    page.mouse.wheel(0, 3000)  # at the bottom, where 下一步 is
    page.get_by_role("button", name="下一步：确认信息").click()
    announcer = page.get_by_test_id("missing-announcer")
    expect(announcer).to_have_attribute("aria-live", "assertive")
    first = page.get_by_test_id("missing-materials").locator("li").first.inner_text().split("（")[0].strip()
    expect(announcer).to_have_text(f"还有 {len(REQUIRED)} 项必要材料未提供，已定位到第 1 项：{first}")
    expect(material(page, first)).to_be_focused()
    expect(material(page, first)).to_be_in_viewport()
    expect(page.locator(".van-toast")).to_be_hidden()

    # Provide it: the next one is where the focus goes, and the count goes down.
    upload(page, first)
    page.get_by_role("button", name="下一步：确认信息").click()
    nxt = page.get_by_test_id("missing-materials").locator("li").first.inner_text().split("（")[0].strip()
    assert nxt != first
    expect(announcer).to_have_text(f"还有 {len(REQUIRED) - 1} 项必要材料未提供，已定位到第 1 项：{nxt}")
    expect(material(page, nxt)).to_be_focused()
    assert FILLED_IN[0] in REQUIRED
    fits_360(page)


def test_home_leads_to_my_licenses_with_a_short_copyable_number(browser: Browser, live_server: str) -> None:
    context = chosen_mode(browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN"))
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        sign_in(page, "citizen")
        page.goto("/")
        page.get_by_test_id("shortcuts").get_by_role("link", name="我的证照").click()
        expect(page).to_have_url(re.compile(r"/licenses$"))
        page.get_by_test_id("license-card").filter(has_text="居民身份证").first.click()
        shown = page.get_by_test_id("license-identifier")
        expect(shown).to_be_visible()
        full = shown.get_attribute("title") or ""
        assert full.startswith("1.2.156.3005.2."), full
        text = shown.inner_text()
        assert "1.2.156.3005.2" not in text and len(text.replace("\n", "")) < len(full)
        assert shown.locator(".group").count() == 5
        page.get_by_test_id("copy-identifier").click()
        expect(page.get_by_text("证照编号已复制")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == full
        fits_360(page)
    finally:
        context.close()


def test_search_results_and_lists_are_real_links(page: Page) -> None:
    page.goto("/search?q=jszg")
    result = page.get_by_role("link", name=re.compile("教师资格认定"))
    expect(result).to_have_attribute("href", f"/items/{TEACHER}")
    expect(result).to_have_class(re.compile(r"van-cell"))
    # A modified click opens it in a new tab, as links do …
    with page.context.expect_page() as opened:
        result.click(modifiers=["Control"])
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.endswith(f"/items/{TEACHER}")
    tab.close()
    assert "/search" in page.url
    # … and a tap stays in the app (no reload).
    page.evaluate("window.__stayed = true")
    result.click()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    assert page.evaluate("window.__stayed") is True

    page.goto("/departments")
    expect(page.get_by_role("link", name=re.compile("市教育局")).first).to_have_attribute("href", re.compile(r"^/departments/"))
    fits_360(page)


def test_home_and_me_lists_are_links_and_home_leads_to_my_bookings(page: Page, new_page: Callable[[], Page]) -> None:
    sign_in(page, "citizen")
    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()  # kept among 已保存的办事指南
    # The guide is written to IndexedDB as it shows; a full navigation before the write ends loses it.
    page.wait_for_function("""code => new Promise((resolve) => {
        const open = indexedDB.open('zhangshangban');
        open.onsuccess = () => {
            const read = open.result.transaction('kv').objectStore('kv').get('recent-items');
            read.onsuccess = () => resolve((read.result || []).some((item) => item.code === code));
            read.onerror = () => resolve(false);
        };
        open.onerror = () => resolve(false);
    })""", arg=TEACHER)
    page.goto("/")
    tile = page.locator(".frequent-item", has_text="教师资格认定").get_by_role("link")
    expect(tile).to_have_attribute("href", f"/items/{TEACHER}")
    expect(page.locator('.frequent [role="button"]')).to_have_count(0)
    shortcuts = page.get_by_test_id("shortcuts")
    expect(shortcuts.get_by_role("link", name="我的证照")).to_have_attribute("href", "/licenses")
    expect(shortcuts.get_by_role("link", name="我的预约")).to_have_attribute("href", "/bookings")
    fits_360(page)
    shortcuts.get_by_role("link", name="我的预约").click()
    expect(page).to_have_url(re.compile(r"/bookings$"))
    expect(page.locator(".van-nav-bar__title")).to_have_text("我的预约")

    page.goto("/me")
    menu = page.get_by_test_id("me-links")
    expect(menu.get_by_role("link", name=re.compile("我的办件"))).to_have_attribute("href", "/cases")
    expect(menu.locator('[role="button"]')).to_have_count(0)
    saved = page.get_by_test_id("saved-guides").locator(f'a[href="/items/{TEACHER}"]')
    expect(saved).to_have_text(re.compile("教师资格认定"))
    expect(page.get_by_test_id("saved-guides").locator('[role="button"]')).to_have_count(0)
    saved.click()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()

    # 电子监察's two cells, as staff.
    staff = new_page()
    sign_in(staff, "staff")
    staff.goto("/supervision")
    cells = staff.get_by_test_id("supervision-ratings")
    expect(cells.get_by_role("link", name=re.compile("好差评统计"))).to_have_attribute("href", "/supervision/ratings")
    expect(cells.get_by_role("link", name=re.compile("超期的差评整改工单"))).to_have_attribute(
        "href", "/staff/tickets?tab=OVERDUE")

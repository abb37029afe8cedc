"""The catalog in the PWA, driven as a person would on a 360 px phone."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.browser

SEARCH_PLACEHOLDER = "输入事项名称、关键词或拼音首字母"


def _open_teacher_guide_by_pinyin(page: Page) -> None:
    page.goto("/")
    page.get_by_label("搜索事项").first.click()
    box = page.get_by_placeholder(SEARCH_PLACEHOLDER)
    expect(box).to_be_focused()
    # Typed key by key, slower than the debounce: every pause searches and rewrites ?q=, and
    # the box must keep the keyboard (and the letters) throughout.
    page.keyboard.type("jszg", delay=350)
    expect(box).to_have_value("jszg")
    expect(box).to_be_focused()
    result = page.locator(".item-cell", has_text="教师资格认定")
    expect(result).to_be_visible()
    expect(page.get_by_text("共 1 项")).to_be_visible()
    expect(result).to_contain_text("市教育局")
    expect(result).to_contain_text("行政许可")
    expect(result).to_contain_text("高频")
    assert "q=jszg" in page.url
    result.click()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()


def test_search_jszg_opens_the_teacher_qualification_guide_with_materials(page: Page) -> None:
    _open_teacher_guide_by_pinyin(page)
    expect(page.get_by_text("承诺 20 个工作日 / 法定 30 个工作日")).to_be_visible()
    expect(page.get_by_text("到现场次数")).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="演示数据")).to_be_visible()

    page.get_by_role("tab", name="材料").click()
    materials = page.get_by_test_id("materials")
    expect(materials).to_be_in_viewport()
    expect(materials).to_contain_text("居民身份证")
    expect(materials).to_contain_text("普通话水平测试等级证书")
    expect(materials).to_contain_text("可用电子证照：居民身份证")
    expect(materials).to_contain_text("可容缺")

    expect(page.get_by_role("heading", name="办理流程")).to_be_attached()
    page.get_by_role("tab", name="地点").click()
    phone = page.locator("a[href='tel:02912345']").first
    expect(phone).to_be_in_viewport()
    expect(phone).to_have_text("029-12345")

    page.get_by_role("tab", name="咨询").click()
    page.get_by_text("多久能拿到证书？").click()
    expect(page.locator(".faq")).to_contain_text("个工作日")
    expect(page.get_by_role("button", name="登录后在线办理")).to_be_enabled()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_a_visited_guide_opens_offline(page: Page, context: BrowserContext) -> None:
    _open_teacher_guide_by_pinyin(page)
    guide_url = page.url
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    page.wait_for_function("!!navigator.serviceWorker.controller")

    context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
        expect(page.get_by_test_id("materials")).to_contain_text("居民身份证")
        expect(page.get_by_role("status")).to_have_text("当前处于离线状态，显示的是已保存的内容")
        # The home page was visited on the way: it opens from the saved copy too.
        page.goto("/")
        expect(page.get_by_role("heading", name="高频事项")).to_be_visible()
        expect(page.locator(".frequent-item")).to_have_count(12)
        # A guide never opened before says so plainly, with a way to retry.
        page.goto("/items/61012001001")
        expect(page.get_by_text("当前处于离线状态，且此前未保存过该内容")).to_be_visible()
        expect(page.get_by_role("button", name="重新加载")).to_be_visible()
        page.goto(guide_url)
        expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    finally:
        context.set_offline(False)

    # Back online the banner goes, and the service worker never stored an API answer.
    page.reload()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)
    cached = page.evaluate("""async () => {
        const urls = []
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(request.url)
        }
        return urls
    }""")
    assert any(url.endswith("/index.html") or "index.html" in url for url in cached)
    assert not [url for url in cached if urllib.parse.urlsplit(url).path == "/graphql"]


def test_manifest_is_valid_and_service_worker_controls_scope(page: Page, live_server: str) -> None:
    page.goto("/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href
    manifest_url = urllib.parse.urljoin(live_server + "/", href)
    with urllib.request.urlopen(manifest_url) as response:
        assert response.status == 200
        manifest = json.load(response)
    assert manifest["name"] == "掌上办 · 西安政务服务"
    assert manifest["short_name"] == "掌上办"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-CN"
    assert manifest["theme_color"] and manifest["background_color"]
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for src in icons.values():
        with urllib.request.urlopen(urllib.parse.urljoin(manifest_url, src)) as response:
            assert response.status == 200
            assert response.headers["content-type"] == "image/png"
            assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == live_server + "/"
    script = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert script == live_server + "/sw.js"

    # Under the worker's control, server paths still reach the server, not the app shell.
    page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")
    response = page.goto("/healthz")
    assert response is not None and response.headers["content-type"].startswith("application/json")
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"


def test_home_fits_a_360px_screen_and_shows_frequent_items(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="高频事项")).to_be_visible()
    expect(page.locator(".frequent-item")).to_have_count(12)
    expect(page.locator(".frequent-item", has_text="教师资格认定")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    expect(page.locator(".van-tabbar")).to_be_visible()

    page.get_by_role("link", name="全部部门 ›").click()
    education = page.locator(".van-cell", has_text="市教育局")
    expect(education).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    education.click()
    expect(page.locator(".van-nav-bar__title")).to_have_text("市教育局")
    expect(page.locator(".item-cell", has_text="教师资格认定")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_search_filters_and_loads_more_as_the_person_scrolls(page: Page) -> None:
    page.goto("/search")
    page.locator(".van-dropdown-menu__item").first.click()
    page.locator(".van-dropdown-item .van-cell", has_text="公共服务").click()
    count = page.locator(".count")
    expect(count).to_have_text(re.compile(r"共 \d+ 项"))
    total = int(re.search(r"\d+", count.inner_text()).group())
    assert total > 20, "the demo catalog has more public services than one page"
    assert "type=PUBLIC_SERVICE" in page.url
    expect(page.locator(".item-cell")).to_have_count(20)
    for _ in range(10):
        if page.locator(".item-cell").count() >= total:
            break
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(300)
    expect(page.locator(".item-cell")).to_have_count(total)
    expect(page.get_by_text("没有更多了")).to_be_visible()


def test_search_with_no_match_says_so(page: Page) -> None:
    page.goto("/search?q=zzzzqqq")
    expect(page.get_by_text("没有找到相关事项，换个说法试试")).to_be_visible()


def test_server_errors_read_as_plain_chinese_with_a_retry(page: Page) -> None:
    graphql = re.compile(r"/graphql\?")
    page.route(graphql, lambda route: route.fulfill(
        status=400, content_type="application/graphql-response+json",
        body=json.dumps({"errors": [{"message": "Cannot query field 'nope' on type 'Query'."}]}),
    ))
    page.goto("/items/61010102006")
    expect(page.get_by_text("服务暂时不可用，请稍后重试")).to_be_visible()
    expect(page.get_by_text("Cannot query field")).to_have_count(0)
    page.unroute(graphql)
    page.get_by_role("button", name="重新加载").click()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()


def test_catalog_gets_name_their_document_by_its_hash(page: Page) -> None:
    # Automatic persisted queries: a document the server does not know yet goes once with its
    # text; after that the GET carries only the hash (and the variables), so its URL is short.
    sent: list[tuple[str, int]] = []
    page.on("response", lambda r: sent.append((r.url, r.status)) if "/graphql?" in r.url else None)
    page.goto("/")
    expect(page.locator(".frequent-item")).to_have_count(12)
    first_visit = list(sent)
    assert first_visit
    for url, _status in first_visit:
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert json.loads(params["extensions"][0])["persistedQuery"]["version"] == 1
    sent.clear()
    page.reload()
    expect(page.locator(".frequent-item")).to_have_count(12)
    expect(page.locator(".frequent-item", has_text="教师资格认定")).to_be_visible()
    assert sent and all(status in (200, 304) for _url, status in sent)
    for url, _status in sent:
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert "query" not in params and len(url) < 400, url

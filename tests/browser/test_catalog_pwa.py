"""The catalog in the PWA, driven as a person would at 360 px."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from playwright.sync_api import BrowserContext, Page, expect


def _open_teacher_guide_by_pinyin(page: Page) -> None:
    page.goto("/")
    page.get_by_label("搜索事项").first.click()
    page.get_by_placeholder("输入事项名称、关键词或拼音首字母").fill("jszg")
    result = page.locator(".item-cell", has_text="教师资格认定")
    expect(result).to_be_visible()
    expect(page.get_by_text("共 1 项")).to_be_visible()
    result.click()
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()


def test_search_jszg_opens_the_teacher_qualification_guide_with_materials(page: Page) -> None:
    _open_teacher_guide_by_pinyin(page)
    materials = page.get_by_test_id("materials")
    expect(materials).to_contain_text("居民身份证")
    expect(materials).to_contain_text("普通话水平测试等级证书")
    expect(materials).to_contain_text("可用电子证照：居民身份证")
    expect(page.get_by_text("承诺时限")).to_be_visible()
    expect(page.get_by_role("heading", name="办理流程")).to_be_visible()
    expect(page.get_by_text("西安市政务服务中心").first).to_be_visible()


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
        page.goto(guide_url)
        expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
        expect(page.get_by_test_id("materials")).to_contain_text("居民身份证")
        expect(page.get_by_role("status")).to_contain_text("当前处于离线状态")
        # A guide never opened before says so plainly instead of failing silently.
        page.goto("/items/61010102007")
        expect(page.get_by_text("当前处于离线状态，且此前未保存过该内容")).to_be_visible()
    finally:
        context.set_offline(False)


def test_manifest_is_valid_and_service_worker_controls_scope(page: Page, live_server: str) -> None:
    page.goto("/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href
    manifest_url = urllib.parse.urljoin(live_server + "/", href)
    with urllib.request.urlopen(manifest_url) as response:
        manifest = json.load(response)
    assert manifest["name"] == "掌上办 · 西安政务服务"
    assert manifest["short_name"] == "掌上办"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-CN"
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for src in icons.values():
        with urllib.request.urlopen(urllib.parse.urljoin(live_server + "/", src)) as response:
            assert response.status == 200
            assert response.headers["content-type"] == "image/png"
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == live_server + "/"


def test_home_fits_a_360px_screen_and_shows_frequent_items(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="高频事项")).to_be_visible()
    assert page.locator(".frequent-item").count() == 12
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.get_by_role("link", name="全部部门 ›").click()
    expect(page.locator(".van-cell", has_text="市教育局")).to_be_visible()
    page.locator(".van-cell", has_text="市教育局").click()
    expect(page.get_by_text("教师资格认定")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_search_with_no_match_says_so(page: Page) -> None:
    page.goto("/search?q=zzzzqqq")
    expect(page.get_by_text("没有找到相关事项，换个说法试试")).to_be_visible()

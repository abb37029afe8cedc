"""English (issue 14) as a person meets it: Chinese by default, English chosen in 我的 (and kept
on the device across reloads), English from the first screen when the browser asks for it, and
back to Chinese. Chromium at 360 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARGS, chosen_mode  # noqa: F401  (ARGS: same launch as the fixtures)


def html_lang(page: Page) -> str:
    return page.evaluate("document.documentElement.lang")


def test_a_person_switches_to_english_in_me_and_it_stays_after_a_reload(page: Page) -> None:
    page.goto("/me")
    expect(page.get_by_role("tab", name="首页")).to_be_visible()
    assert html_lang(page) == "zh-CN"
    switch = page.get_by_test_id("language-switch")
    switch.get_by_test_id("language-en").click()
    expect(page.get_by_role("tab", name="Home")).to_be_visible()
    expect(page.get_by_role("tab", name="Messages")).to_be_visible()
    assert html_lang(page) == "en"
    expect(page).to_have_title("Me · Zhangshangban")
    assert page.evaluate("localStorage.getItem('zsb.lang')") == "en"

    page.reload()
    expect(page.get_by_role("tab", name="Home")).to_be_visible()
    assert html_lang(page) == "en"

    # 首页 in English: its own texts; the city's item names stay as published (Chinese).
    page.get_by_role("tab", name="Home").click()
    expect(page.get_by_role("heading", name="Zhangshangban (掌上办)")).to_be_visible()
    expect(page.get_by_role("heading", name="Frequently used services")).to_be_visible()
    expect(page.get_by_role("link", name="All departments ›")).to_be_visible()
    expect(page.get_by_text("12345 government service hotline (12345 热线)")).to_be_visible()
    expect(page).to_have_title("Zhangshangban (掌上办) · Xi'an government services")
    page.get_by_role("link", name="All departments ›").click()
    expect(page.get_by_text(re.compile(r"^\d+ departments, \d+ services$"))).to_be_visible()
    page.get_by_placeholder("Find a department, e.g. 教育 or 公安").fill("不存在的部门")
    expect(page.get_by_text("No department name contains “不存在的部门”")).to_be_visible()
    expect(page).to_have_title("Departments · Zhangshangban")
    page.get_by_role("tab", name=re.compile(r"\bMe$")).click()

    page.get_by_test_id("language-zh-CN").click()
    expect(page.get_by_role("tab", name="首页")).to_be_visible()
    expect(page).to_have_title("我的 · 掌上办")
    assert html_lang(page) == "zh-CN"


def test_a_browser_set_to_english_opens_the_app_in_english(browser: Browser, live_server: str) -> None:
    ctx = chosen_mode(browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                          locale="en-GB", service_workers="allow"))
    try:
        page = ctx.new_page()
        page.goto("/")
        expect(page.get_by_role("tab", name="Home")).to_be_visible()
        assert html_lang(page) == "en"
        # Not remembered: the browser's language is asked again next time, until a choice in 我的.
        assert page.evaluate("localStorage.getItem('zsb.lang')") is None
    finally:
        ctx.close()

"""长辈模式 (issue 14) as a person meets it, in Debian's chromium at 360 px: the first-launch choice,
the switch in 我的 kept on the account, the simplified home, large text, 读给我听 (with the
browser's speech synthesis stubbed to record what it is asked to say) and a confirmation before
anything that cannot be undone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from backend.auth.personas import PERSONAS
from tests.browser.helpers import api, session_token, sign_in, submit_case_via_api
from tests.browser.test_accessibility_pwa import AXE, RUN_AXE, TAGS, report

TEACHER = "61010102006"  # 教师资格认定
ELDER = "localStorage.setItem('zsb.elder', '1')"
ME = "{ me { elderMode } }"
SET = "mutation($on: Boolean!) { setElderMode(on: $on) { __typename } }"
# What <html> says when <body> is parsed: before the app's scripts run, so no flash of the standard mode.
MODE_AT_PARSE = """new MutationObserver((_, seen) => { if (document.body) {
    window.__modeAtParse = document.documentElement.getAttribute('data-mode'); seen.disconnect() } })
  .observe(document, { childList: true, subtree: true })"""
# A speech synthesis that records each utterance instead of speaking (headless chromium has no voice).
SPEECH = """(() => {
  window.__spoken = []; window.__cancelled = 0
  const synth = { speaking: false, pending: false, paused: false,
    speak(u) { window.__spoken.push({ text: u.text, lang: u.lang }) },
    cancel() { window.__cancelled += 1 }, pause() {}, resume() {}, getVoices() { return [] },
    addEventListener() {}, removeEventListener() {} }
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true })
})()"""
NO_SPEECH = """delete Window.prototype.speechSynthesis; delete window.speechSynthesis;
delete window.SpeechSynthesisUtterance"""
# Every visible element holding text of its own, with its computed font size in px.
TEXT_SIZES = """() => [...document.querySelectorAll('#app main *')].filter((el) => {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
    const box = el.getBoundingClientRect()
    return own && box.width > 1 && box.height > 1 && !el.closest('.sr-only')
  }).map((el) => ({ text: el.textContent.trim().slice(0, 20), size: parseFloat(getComputedStyle(el).fontSize) }))"""


def mode(page: Page) -> str | None:
    return page.evaluate("document.documentElement.getAttribute('data-mode')")


def account_elder_mode(base: str, token: str, want: bool) -> None:
    """The account says `want` (the switch's call is on its way: a few tries)."""
    for _ in range(50):
        if api(base, token, ME)["me"]["elderMode"] is want:
            return
        time.sleep(0.1)
    assert api(base, token, ME)["me"]["elderMode"] is want


@pytest.mark.first_launch
def test_the_first_launch_asks_once_and_elder_mode_survives_a_reload(page: Page) -> None:
    page.goto("/")
    choice = page.get_by_role("dialog", name="请选择使用模式")
    expect(choice).to_be_visible()
    expect(choice.get_by_role("button", name=re.compile("标准模式"))).to_be_focused()
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE, TAGS)
    assert not violations, report({"first launch /": violations})
    assert mode(page) is None
    choice.get_by_role("button", name=re.compile("长辈模式")).click()
    expect(choice).to_be_hidden()
    assert mode(page) == "elder"
    assert page.evaluate("localStorage.getItem('zsb.elder')") == "1"
    expect(page.get_by_test_id("elder-home")).to_be_visible()

    page.add_init_script(MODE_AT_PARSE)
    page.reload()
    expect(page.get_by_test_id("elder-home")).to_be_visible()
    assert page.evaluate("window.__modeAtParse") == "elder"
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("elder-choice")).to_be_hidden()


@pytest.mark.first_launch
def test_the_switch_in_me_toggles_elder_mode_and_keeps_it_on_the_account(page: Page, live_server: str) -> None:
    page.goto("/me")
    page.get_by_role("dialog", name="请选择使用模式").get_by_role("button", name=re.compile("标准模式")).click()
    expect(page.get_by_test_id("elder-choice")).to_be_hidden()
    assert mode(page) is None
    sign_in(page, "citizen")
    token = session_token(page)
    switch = page.get_by_role("switch", name="长辈模式")
    expect(switch).to_have_attribute("aria-checked", "false")

    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert mode(page) == "elder"
    assert page.evaluate("localStorage.getItem('zsb.elder')") == "1"
    account_elder_mode(live_server, token, True)
    box = switch.bounding_box()
    assert box and box["width"] >= 60, box

    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    assert mode(page) is None
    account_elder_mode(live_server, token, False)

    # On sign-in, a device without a choice takes the account's: no first-launch question.
    assert api(live_server, token, SET, {"on": True})["setElderMode"]["__typename"] == "ElderModeSet"
    page.evaluate("localStorage.removeItem('zsb.elder')")
    page.reload()
    expect(page.get_by_test_id("profile")).to_contain_text(PERSONAS["citizen"].name)
    page.wait_for_function("document.documentElement.getAttribute('data-mode') === 'elder'")
    assert page.evaluate("localStorage.getItem('zsb.elder')") == "1"
    expect(page.get_by_test_id("elder-choice")).to_be_hidden()
    expect(switch).to_have_attribute("aria-checked", "true")
    api(live_server, token, SET, {"on": False})


def test_the_elder_home_has_8_large_tiles_a_clear_search_and_large_text(page: Page) -> None:
    page.add_init_script(ELDER)
    page.goto("/")
    home = page.get_by_test_id("elder-home")
    expect(home).to_be_visible()
    tiles = page.get_by_test_id("elder-tile")
    expect(tiles).to_have_count(8)
    expect(page.locator(".frequent-item")).to_have_count(0)  # the standard grid of 12 is not there
    boxes = [tiles.nth(i).bounding_box() for i in range(8)]
    assert all(b and b["width"] >= 60 and b["height"] >= 60 for b in boxes), boxes
    # Room between neighbours: none touches another.
    first, second = boxes[0], boxes[1]
    assert first and second and second["x"] - (first["x"] + first["width"]) >= 8
    sizes = page.evaluate(TEXT_SIZES)
    small = [s for s in sizes if s["size"] < 18]
    assert not small, small
    heading = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.section-title')).fontSize)")
    assert heading > 18
    # The tab bar's items are tap targets of 60 px too.
    tab = page.locator(".van-tabbar-item").last.bounding_box()
    assert tab and tab["height"] >= 60 and tab["width"] >= 60, tab

    search = page.get_by_test_id("elder-search")
    box = search.bounding_box()
    assert box and box["height"] >= 60
    search.click()
    expect(page).to_have_url(re.compile(r"/search$"))
    page.go_back()
    name = tiles.first.inner_text()
    tiles.first.click()
    expect(page.locator("h1.title")).to_have_text(name)
    sizes = page.evaluate(TEXT_SIZES)
    small = [s for s in sizes if s["size"] < 18]
    assert not small, small


def test_read_aloud_reads_the_guide_and_the_case_progress_in_mandarin(page: Page, live_server: str) -> None:
    page.add_init_script(SPEECH)
    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    page.get_by_role("button", name="读给我听：办事指南").click()
    stop = page.get_by_role("button", name="停止朗读")
    expect(stop).to_be_visible()
    spoken = page.evaluate("window.__spoken")
    assert spoken and {s["lang"] for s in spoken} == {"zh-CN"}
    text = "".join(s["text"] for s in spoken)
    assert text.startswith("教师资格认定") and "申请材料" in text and "学历证书" in text, text
    stop.click()
    expect(page.get_by_role("button", name="读给我听：办事指南")).to_be_visible()
    assert page.evaluate("window.__cancelled") >= 1

    sign_in(page, "citizen")
    number = submit_case_via_api(live_server, session_token(page))
    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("case-number")).to_have_text(number)
    page.evaluate("window.__spoken = []")
    page.get_by_role("button", name="读给我听：办理进度").click()
    expect(page.get_by_role("button", name="停止朗读")).to_be_visible()
    text = "".join(s["text"] for s in page.evaluate("window.__spoken"))
    assert number in text and "当前状态：已提交" in text and "办理进度" in text, text


def test_read_aloud_is_hidden_where_the_browser_has_no_speech_synthesis(page: Page) -> None:
    page.add_init_script(NO_SPEECH)
    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    assert page.evaluate("'speechSynthesis' in window") is False
    expect(page.get_by_test_id("read-aloud")).to_have_count(0)


def test_elder_mode_asks_before_signing_out(page: Page) -> None:
    page.add_init_script(ELDER)
    sign_in(page, "citizen")
    page.get_by_role("button", name="退出登录").click()
    dialog = page.locator(".van-dialog", has_text="确定退出吗")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="再想想").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("profile")).to_contain_text(PERSONAS["citizen"].name)
    page.get_by_role("button", name="退出登录").click()
    dialog.get_by_role("button", name="退出登录").click()
    expect(page.get_by_test_id("profile")).to_contain_text("未登录")


def test_elder_mode_asks_before_submitting_an_application(page: Page) -> None:
    from tests.browser.test_cases_pwa import fill_teacher_application

    page.add_init_script(ELDER)
    sign_in(page, "citizen")
    page.goto(f"/apply/{TEACHER}")
    fill_teacher_application(page)
    page.get_by_role("button", name="下一步：确认信息").click()
    expect(page.get_by_test_id("review")).to_contain_text("教师资格认定")
    submit = page.locator(".bar").get_by_role("button", name="确认提交")
    submit.click()
    dialog = page.locator(".van-dialog", has_text="确定提交申请吗")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("不能再修改")
    dialog.get_by_role("button", name="再想想").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("apply-done")).to_have_count(0)  # nothing was sent
    submit.click()
    dialog.get_by_role("button", name="确认提交").click()
    expect(page.get_by_test_id("apply-done")).to_contain_text("申请已提交")

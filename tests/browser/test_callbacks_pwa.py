"""求助 and 帮办代办 (issue 14), driven in chromium at 360 px as people would: the help button is
on every screen; on a guide it shows the item's 咨询电话 as tel: links; the citizen asks the hall
to call back on the account's phone; the hall's staff (another browser) find it in their 回电队列,
call, and mark it 已回电; the citizen sees 已回电 in 我的回电请求 and the message in 消息.
axe finds no WCAG 2.1 AA violation in the open sheet and its form, in the normal and elder mode."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in
from tests.browser.test_accessibility_pwa import AXE, ELDER, NORMAL, RUN_AXE, TAGS, report

TEACHER = "61010102006"  # 教师资格认定: its guide gives 西安市教育局教师资格认定咨询电话029-86786512


def _axe(page: Page, where: str) -> None:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE, TAGS)
    assert not violations, f"axe on {where}:\n{report({where: violations})}"


def _box(page: Page) -> dict:
    box = page.get_by_test_id("help-button").bounding_box()
    assert box is not None
    return box


def test_help_is_one_tap_away_and_a_call_back_goes_to_the_halls_queue_and_back(
    page: Page, new_page: Callable[[], Page],
) -> None:
    sign_in(page, "citizen")
    for path in ("/", "/cases", "/me", "/departments", f"/apply/{TEACHER}"):
        page.goto(path)
        help_button = page.get_by_role("button", name=re.compile("^求助"))
        expect(help_button).to_be_visible()
        assert _box(page)["height"] >= 44 and _box(page)["width"] >= 44

    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    page.get_by_test_id("help-button").click()
    sheet = page.get_by_test_id("help-sheet")
    expect(sheet.get_by_role("heading", name="需要帮助？")).to_be_visible()
    expect(sheet).to_contain_text("“教师资格认定”的咨询电话")
    item_phone = sheet.get_by_role("link", name=re.compile("029-86786512"))
    expect(item_phone).to_have_attribute("href", "tel:02986786512")
    expect(sheet.get_by_test_id("help-phone").first).to_contain_text("西安市教育局教师资格认定咨询电话")
    expect(sheet.get_by_test_id("help-hall-phone").first).to_have_attribute("href", re.compile(r"^tel:\d+$"))
    _axe(page, "help sheet (normal)")

    sheet.get_by_test_id("help-callback").click()
    expect(sheet.get_by_role("heading", name="请大厅回电（帮办代办）")).to_be_visible()
    own = sheet.get_by_role("radio", name="本人手机 138****1234")
    expect(own).to_have_attribute("aria-checked", "true")
    expect(sheet.get_by_test_id("callback-hall").locator("option:checked")).to_have_text("西安市政务服务中心")
    _axe(page, "call-back form (normal)")
    # A mistyped other number is stopped on the phone, with the reason.
    sheet.get_by_test_id("phone-other").click()
    sheet.get_by_test_id("callback-phone").locator("input").fill("1380029")
    sheet.get_by_test_id("callback-submit").click()
    expect(sheet.get_by_test_id("callback-phone")).to_contain_text("请填写 11 位手机号码，以 1 开头")
    own.click()
    note = f"材料不会填 {uuid.uuid4().hex[:6]}"
    sheet.get_by_test_id("callback-note").locator("textarea").fill(note)
    sheet.get_by_test_id("callback-submit").click()
    expect(sheet.get_by_test_id("callback-done")).to_contain_text("西安市政务服务中心工作人员将在工作时间回电至 138****1234")
    sheet.get_by_test_id("callback-mine").click()
    expect(page).to_have_url(re.compile(r"/me/callbacks$"))
    mine = page.get_by_test_id("my-callback").filter(has_text=note)
    expect(mine.get_by_test_id("callback-status")).to_have_text("待回电")
    expect(mine).to_contain_text("教师资格认定")

    # Asking the same hall again while it is open is refused, in words.
    page.get_by_test_id("help-button").click()
    page.get_by_test_id("help-callback").click()
    page.get_by_test_id("callback-submit").click()
    expect(page.get_by_test_id("callback-error")).to_have_text(
        "你已请西安市政务服务中心回电，工作人员会尽快联系你，请勿重复申请")
    page.get_by_test_id("help-close").click()
    expect(page.get_by_test_id("help-button")).to_be_focused()  # back where the person was

    staff = new_page()
    sign_in(staff, "staff")
    staff.get_by_test_id("staff-callbacks-link").click()
    expect(staff).to_have_url(re.compile(r"/staff/callbacks$"))
    queued = staff.get_by_test_id("queued-callback").filter(has_text=note)
    expect(queued).to_contain_text("王*明")
    expect(queued.get_by_test_id("call-person")).to_have_attribute("href", "tel:13800291234")
    queued.locator("input").fill("已电话说明材料填写")
    queued.get_by_test_id("mark-called").click()
    expect(staff.get_by_test_id("queued-callback").filter(has_text=note)).to_have_count(0)
    staff.get_by_role("button", name="已回电").click()
    expect(staff.get_by_test_id("queued-callback").filter(has_text=note)).to_contain_text("刘洋 处理")

    page.reload()
    mine = page.get_by_test_id("my-callback").filter(has_text=note)
    expect(mine.get_by_test_id("callback-status")).to_have_text("已回电")
    expect(mine).to_contain_text("大厅说明：已电话说明材料填写")
    page.locator(".van-nav-bar__left").click()  # 返回 to 我的, then the 消息 tab
    expect(page).to_have_url(re.compile(r"/me$"))
    page.get_by_test_id("inbox-tab").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    told = page.get_by_test_id("inbox-list").locator("li").filter(has_text="大厅已回电").first
    expect(told).to_contain_text("工作人员说明：已电话说明材料填写")


@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_the_help_sheet_and_form_pass_axe_and_are_big_enough(new_page: Callable[[], Page], mode: str) -> None:
    page = new_page()
    page.context.add_init_script(ELDER if mode == "elder" else NORMAL)
    page.goto("/")  # signed out: the city hall's number, and sign-in before a call back
    expect(page.get_by_test_id("help-button")).to_be_visible()
    minimum = 60 if mode == "elder" else 44
    assert _box(page)["height"] >= minimum and _box(page)["width"] >= minimum
    page.get_by_test_id("help-button").click()
    sheet = page.get_by_test_id("help-sheet")
    expect(sheet.get_by_test_id("help-hall-phone")).to_contain_text("西安市政务服务中心")
    expect(sheet.get_by_test_id("help-hall-phone")).to_have_attribute("href", "tel:02912345")
    _axe(page, f"help sheet, signed out ({mode})")
    sheet.get_by_test_id("help-callback").click()
    expect(sheet.get_by_role("button", name="统一身份认证登录")).to_be_visible()
    _axe(page, f"call-back sign-in ({mode})")

    sign_in(page, "citizen")
    page.goto(f"/items/{TEACHER}")
    expect(page.get_by_role("heading", name="教师资格认定")).to_be_visible()
    page.get_by_test_id("help-button").click()
    page.get_by_test_id("help-callback").click()
    expect(page.get_by_test_id("callback-form")).to_be_visible()
    _axe(page, f"call-back form ({mode})")
    if mode == "elder":
        submit = page.get_by_test_id("callback-submit").bounding_box()
        assert submit is not None and submit["height"] >= 60

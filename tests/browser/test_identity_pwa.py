"""Signing in through the unified identity flow and the personal and enterprise spaces."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from backend.auth.personas import DEMO_ENTERPRISE_NAME, DEMO_ENTERPRISE_USCC, PERSONAS
from tests.browser.conftest import chosen_mode
from tests.browser.helpers import sign_in


def masked(number: str) -> str:
    return number[:6] + "********" + number[-4:]


def fresh_page(browser: Browser, live_server: str) -> Page:
    context = chosen_mode(browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN"))
    context.set_default_timeout(15000)
    return context.new_page()


def test_citizen_signs_in_and_sees_masked_id_and_personal_code(page: Page) -> None:
    sign_in(page, "citizen")
    number = PERSONAS["citizen"].id_number
    expect(page.get_by_test_id("id-number")).to_have_text(masked(number))
    expect(page.get_by_text("138****1234")).to_be_visible()
    expect(page.get_by_test_id("identity-code").locator("svg")).to_be_visible()
    assert number not in page.content()

    # Revealing the full number asks first, and the read shows up in the access log.
    page.get_by_test_id("profile").get_by_text("查看").first.click()
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_test_id("id-number")).to_have_text(number)
    page.get_by_text("数据访问记录", exact=True).click()
    expect(page.get_by_test_id("access-log")).to_contain_text("王晓明 查看了身份证号码")
    expect(page.get_by_test_id("access-log")).to_contain_text("本人查看完整号码")


def test_legal_representative_opens_the_enterprise_space(page: Page) -> None:
    sign_in(page, "enterprise-legal")
    page.get_by_text(DEMO_ENTERPRISE_NAME).click()
    space = page.get_by_test_id("enterprise-space")
    expect(space).to_contain_text(DEMO_ENTERPRISE_NAME)
    expect(space).to_contain_text(DEMO_ENTERPRISE_USCC)
    expect(space).to_contain_text("法定代表人")
    expect(page.get_by_role("heading", name="经办人授权")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_another_citizen_cannot_open_the_enterprise_space(browser: Browser, live_server: str) -> None:
    page = fresh_page(browser, live_server)
    try:
        sign_in(page, "citizen2")
        page.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
        expect(page.get_by_test_id("enterprise-denied")).to_be_visible()
        expect(page.get_by_text(DEMO_ENTERPRISE_NAME)).to_have_count(0)
    finally:
        page.context.close()


def test_legal_representative_grants_an_agent_who_then_sees_the_space(browser: Browser, live_server: str) -> None:
    agent_page = fresh_page(browser, live_server)
    legal_page = fresh_page(browser, live_server)
    try:
        sign_in(agent_page, "enterprise-agent")  # the agent has signed in once
        agent_page.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
        expect(agent_page.get_by_test_id("enterprise-denied")).to_be_visible()

        sign_in(legal_page, "enterprise-legal")
        legal_page.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
        legal_page.get_by_label("经办人身份证").fill("110105194912310021")
        legal_page.get_by_role("button", name="授权", exact=True).click()
        expect(legal_page.get_by_text("身份证号码校验位不正确，请核对后重新输入")).to_be_visible()
        legal_page.get_by_label("经办人身份证").fill(PERSONAS["enterprise-agent"].id_number)
        legal_page.get_by_role("button", name="授权", exact=True).click()
        expect(legal_page.locator(".van-cell", has_text="赵敏")).to_contain_text("全部事项")

        agent_page.reload()
        expect(agent_page.get_by_test_id("enterprise-space")).to_contain_text("经办人")
    finally:
        agent_page.context.close()
        legal_page.context.close()

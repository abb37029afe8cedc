"""Steps browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from backend.auth.personas import PERSONAS


def sign_in(page: Page, persona: str) -> None:
    """Through the development identity provider's persona picker, as a person would."""
    page.goto("/me")
    page.get_by_role("button", name="统一身份认证登录").click()
    expect(page.get_by_role("heading", name="统一身份认证平台")).to_be_visible()
    page.locator(f'[data-persona="{persona}"]').click()
    expect(page.get_by_test_id("profile")).to_contain_text(PERSONAS[persona].name)

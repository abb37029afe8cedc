"""Playwright (sync) driving Debian's chromium. Never downloads a browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu", "--no-first-run", "--disable-sync"]
# 长辈模式's first-launch choice (标准模式 / 长辈模式) is asked once per device, while `zsb.elder` is
# unset. Every fresh context here has chosen 标准模式 already, so the sheet covers nothing; a test
# of the first launch itself is marked `first_launch`. Only when unset: a choice the test makes
# survives its reloads.
CHOSEN_STANDARD = "if (localStorage.getItem('zsb.elder') === null) localStorage.setItem('zsb.elder', '0')"


def chosen_mode(ctx: BrowserContext) -> BrowserContext:
    """A context made by a test itself (not by the fixtures below) past the first-launch choice."""
    ctx.add_init_script(CHOSEN_STANDARD)
    return ctx


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


# Module scope: sync Playwright keeps an event loop running in this thread while the browser
# lives, and pytest-asyncio cannot run async tests under it, so it must close after the module.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN",
                              service_workers="allow")
    ctx.set_default_timeout(15000)
    if not request.node.get_closest_marker("first_launch"):
        chosen_mode(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def new_page(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Callable[[], Page]]:
    """More people at once: each call opens a page in its own context (its own sign-in,
    storage and network), 360 px wide like `page`; all are closed after the test."""
    contexts: list[BrowserContext] = []
    first_launch = bool(request.node.get_closest_marker("first_launch"))

    def make() -> Page:
        ctx = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  service_workers="allow")
        ctx.set_default_timeout(15000)
        if not first_launch:
            chosen_mode(ctx)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()

"""Playwright (sync) driving Debian's chromium. Never downloads a browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu", "--no-first-run", "--disable-sync"]


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
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN",
                              service_workers="allow")
    ctx.set_default_timeout(15000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[[], Page]]:
    """More people at once: each call opens a page in its own context (its own sign-in,
    storage and network), 360 px wide like `page`; all are closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        ctx = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  service_workers="allow")
        ctx.set_default_timeout(15000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()

"""Accessibility (issue 14): axe-core (from the front end's node_modules, never a CDN) on every
route of the router, with real data (an item, a department, a case and its notice, a license, a
booking, a ticket, the enterprise), signed out and signed in (staff screens as staff), in the
normal and the elder mode (localStorage `zsb.elder` = "1" and `data-mode="elder"` on <html>);
WCAG 2.1 A/AA rules; a failure lists the violations by rule and route. Then what keyboard and
screen-reader users rely on: focus moves to the new screen's heading on navigation, and a live
region announces form errors. Chromium at 360 px, zh-CN."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.auth.personas import DEMO_ENTERPRISE_USCC
from backend.settings import REPO_ROOT
from tests.browser.conftest import ARGS, chosen_mode
from tests.browser.helpers import api, session_token, sign_in, submit_case_via_api
from tests.browser.test_bookings_pwa import BOOK, HALLS, SLOTS

TEACHER = "61010102006"  # 教师资格认定, 市教育局 (the staff persona's department)
AXE = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MOVE = "mutation($n: String!) { %s(number: $n%s) { __typename } }"
RATE = "mutation($input: RateCaseInput!) { rateCase(input: $input) { __typename } }"
MY_RATING = "query($n: String!) { myRating(caseNumber: $n) { ticket { id } } }"
ROUTE_NAMES = re.compile(r"name:\s*'([^']+)'")

# route name → (who is signed in for the signed-in run, path); `{x}` filled from the data below.
ROUTES: dict[str, tuple[str, str]] = {
    "home": ("citizen", "/"),
    "search": ("citizen", "/search?q=教师"),
    "item": ("citizen", "/items/{item}"),
    "departments": ("citizen", "/departments"),
    "department": ("citizen", "/departments/{department}"),
    "me": ("citizen", "/me"),
    "signin-callback": ("citizen", "/signin/callback"),
    "access-log": ("citizen", "/me/access-log"),
    "apply": ("citizen", "/apply/{item}"),
    "cases": ("citizen", "/cases"),
    "case": ("citizen", "/cases/{case}"),
    "notice": ("citizen", "/cases/{case}/notice"),
    "staff": ("staff", "/staff"),
    "staff-case": ("staff", "/staff/cases/{case}"),
    "staff-licenses": ("staff", "/staff/licenses"),
    "supervision": ("supervisor", "/supervision"),
    "staff-tickets": ("staff", "/staff/tickets"),
    "staff-ticket": ("staff", "/staff/tickets/{ticket}"),
    "rating-dashboard": ("supervisor", "/supervision/ratings"),
    "enterprise": ("enterprise-legal", "/enterprise/{uscc}"),
    "inbox": ("citizen", "/inbox"),
    "notification-settings": ("citizen", "/me/notifications"),
    "licenses": ("citizen", "/licenses"),
    "license-verifications": ("citizen", "/licenses/verifications"),
    "license": ("citizen", "/licenses/{license}"),
    "book": ("citizen", "/book/{item}"),
    "bookings": ("citizen", "/bookings"),
    "booking": ("citizen", "/bookings/{booking}"),
    "staff-bookings": ("staff", "/staff/bookings"),
    "my-callbacks": ("citizen", "/me/callbacks"),
    "staff-callbacks": ("staff", "/staff/callbacks"),
    "verify": ("citizen", "/verify"),
    "not-found": ("citizen", "/no-such-screen"),
}

# Before the page's own scripts: the key, and the attribute as soon as <html> is parsed.
ELDER = """localStorage.setItem('zsb.elder', '1');
const markElder = () => document.documentElement && document.documentElement.setAttribute('data-mode', 'elder');
if (!markElder()) new MutationObserver((_, seen) => { if (document.documentElement) { markElder(); seen.disconnect() } })
  .observe(document, { childList: true });"""
NORMAL = "localStorage.setItem('zsb.elder', '0');"  # 标准模式 chosen (test_elder_pwa.py: the first launch)
RUN_AXE = """async (tags) => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' — ' + n.failureSummary.split('\\n').slice(1, 2).join('')) }))
}"""


def test_every_router_route_is_covered() -> None:
    names = ROUTE_NAMES.findall((REPO_ROOT / "frontend" / "src" / "router.js").read_text(encoding="utf-8"))
    assert names, "no route found in router.js"
    assert sorted(set(names) - set(ROUTES)) == [], "routes without an accessibility check"
    assert sorted(set(ROUTES) - set(names)) == [], "checked routes that the router no longer has"


@pytest.fixture(scope="module")
def data(browser: Browser, live_server: str) -> dict[str, str]:
    """Real records for the routes' params, made through the API as the PWA would."""
    ctx = chosen_mode(browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, locale="zh-CN"))
    ctx.set_default_timeout(15000)
    try:
        page = ctx.new_page()
        sign_in(page, "citizen")
        citizen = session_token(page)
        staff_page = ctx.new_page()
        sign_in(staff_page, "staff")
        clerk = session_token(staff_page)
        number = submit_case_via_api(live_server, citizen)
        assert api(live_server, clerk, MOVE % ("acceptCase", ""), {"n": number})["acceptCase"]["__typename"] == "CaseUpdated"
        rated = submit_case_via_api(live_server, citizen)
        for name, extra in (("acceptCase", ""), ("approveCase", ""), ("deliverCase", ", method: WINDOW")):
            assert api(live_server, clerk, MOVE % (name, extra), {"n": rated})[name]["__typename"] == "CaseUpdated"
        assert api(live_server, citizen, RATE, {"input": {"caseNumber": rated, "level": "UNSATISFIED",
                                                          "reasons": [], "comment": "窗口未一次性告知"}}
                   )["rateCase"]["__typename"] == "CaseRated"
        ticket = api(live_server, citizen, MY_RATING, {"n": rated})["myRating"]["ticket"]["id"]
        license_id = api(live_server, citizen, "{ myLicenses { id } }")["myLicenses"][0]["id"]
        department = api(live_server, None, "{ departments { id } }")["departments"][0]["id"]
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        hall = api(live_server, None, HALLS, {"i": TEACHER})["bookableHalls"][0]["hall"]["id"]
        slots = [s for s in api(live_server, None, SLOTS, {"h": hall, "i": TEACHER, "f": today.isoformat(),
                                                          "t": (today + timedelta(days=14)).isoformat()})["hallSlots"]
                 if s["open"] and s["placesLeft"]]
        assert slots, "no open slot in the next two weeks"
        booked = api(live_server, citizen, BOOK, {"input": {"slotId": slots[-1]["id"], "hallId": hall, "itemCode": TEACHER}})
        booking = booked["bookSlot"]["booking"]["number"]
    finally:
        ctx.close()
    return {"item": TEACHER, "department": department, "case": number, "ticket": ticket, "license": license_id,
            "booking": booking, "uscc": DEMO_ENTERPRISE_USCC}


def settle(page: Page) -> None:
    """The screen has its data (or its error): no request for a moment, no spinner or skeleton."""
    try:
        page.wait_for_load_state("networkidle", timeout=6000)
    except Exception:  # a screen that keeps polling: the spinner check below still applies
        pass
    page.wait_for_function("""() => !document.querySelector('.van-loading:not([hidden]), .van-skeleton')
        && !!document.querySelector('#app > *')""", timeout=10000)
    page.wait_for_timeout(150)  # Vant's transitions (none under reduced motion, but axe is not told)


def check(page: Page, path: str) -> list[dict]:
    page.goto(path)
    settle(page)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE, TAGS)


def report(found: dict[str, list[dict]]) -> str:
    by_rule: dict[str, list[str]] = {}
    for route, violations in found.items():
        for v in violations:
            by_rule.setdefault(f"{v['id']} ({v['help']})", []).append(f"{route}: " + "; ".join(v["nodes"]))
    return "\n".join(f"{rule}\n  " + "\n  ".join(where) for rule, where in sorted(by_rule.items()))


@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("signed", ["signed-out", "signed-in"])
def test_axe_finds_no_wcag21_aa_violation_on_any_route(new_page: Callable[[], Page], data: dict[str, str],
                                                       signed: str, mode: str) -> None:
    pages: dict[str, Page] = {}
    found: dict[str, list[dict]] = {}
    for name, (persona, path) in ROUTES.items():
        who = persona if signed == "signed-in" else "anonymous"
        if who not in pages:
            page = new_page()
            page.context.add_init_script(ELDER if mode == "elder" else NORMAL)
            if who != "anonymous":
                sign_in(page, who)
            pages[who] = page
        page = pages[who]
        violations = check(page, path.format(**data))
        if mode == "elder":
            assert page.evaluate("document.documentElement.dataset.mode") == "elder"
        if violations:
            found[f"{name} {path.format(**data)}"] = violations
    assert not found, f"axe ({signed}, {mode}): WCAG 2.1 A/AA violations by rule and route:\n{report(found)}"


FOCUSED = """() => { const el = document.activeElement
    return { text: (el.textContent || '').trim(), heading: el.tagName === 'H1' || el.getAttribute('role') === 'heading',
             level: el.tagName === 'H1' ? '1' : el.getAttribute('aria-level'), tabindex: el.getAttribute('tabindex') } }"""


def test_on_navigation_the_focus_moves_to_the_new_screens_heading(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_test_id("inbox-tab")).to_be_visible()
    page.get_by_role("link", name="部门").first.click()
    expect(page).to_have_url(re.compile(r"/departments$"))
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-screen-heading')")
    assert page.evaluate(FOCUSED) == {"text": "部门", "heading": True, "level": "1", "tabindex": "-1"}
    # By keyboard: the next Tab goes on from the heading into the new screen, not back to the old one.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('#app main').contains(document.activeElement)")
    page.go_back()
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-screen-heading')")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_reduced_motion_turns_transitions_off(browser: Browser, live_server: str) -> None:
    ctx = chosen_mode(browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                          locale="zh-CN", reduced_motion="reduce"))
    try:
        page = ctx.new_page()
        page.goto("/")
        expect(page.get_by_test_id("inbox-tab")).to_be_visible()
        durations = page.evaluate("""() => [...document.querySelectorAll('#app *')].map((el) => getComputedStyle(el))
            .flatMap((s) => [s.transitionDuration, s.animationDuration]).flatMap((d) => d.split(', '))
            .map((d) => parseFloat(d) * (d.endsWith('ms') ? 1 : 1000))""")
        assert max(durations) <= 0.01
    finally:
        ctx.close()


def test_a_live_region_announces_case_progress_as_it_happens(page: Page, new_page: Callable[[], Page],
                                                            live_server: str) -> None:
    sign_in(page, "citizen")
    number = submit_case_via_api(live_server, session_token(page))
    staff = new_page()
    sign_in(staff, "staff")
    page.goto(f"/cases/{number}")
    announcer = page.get_by_test_id("progress-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(page.get_by_test_id("live-state")).to_be_visible()
    expect(announcer).to_have_text("")  # what was there on opening is read with the page
    page.wait_for_timeout(500)
    assert api(live_server, session_token(staff), MOVE % ("acceptCase", ""), {"n": number})["acceptCase"]["__typename"] == "CaseUpdated"
    expect(announcer).to_contain_text("办理进度更新", timeout=15000)

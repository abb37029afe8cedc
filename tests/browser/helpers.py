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


def session_token(page: Page) -> str:
    """The access token of whoever is signed in on `page`, to prepare data through the API."""
    return page.evaluate("JSON.parse(sessionStorage.getItem('zsb.session')).token")


def api(base: str, token: str | None, query: str, variables: dict | None = None) -> dict:
    """One GraphQL call to the live server, as the PWA makes it; fails the test on errors."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers, timeout=15).json()
    assert "errors" not in body, body
    return body["data"]


def submit_case_via_api(base: str, token: str, item_code: str = "61010102006") -> str:
    """An application with every required material (filled in when it has a form, a PDF
    otherwise), through the API; returns the case number. Default: 教师资格认定 (市教育局)."""
    import uuid

    import httpx

    form = api(base, token, """query($c: String!) { applicationForm(itemCode: $c) {
        materials { materialId required onFile acceptsFields } } }""", {"c": item_code})["applicationForm"]
    materials = []
    for m in form["materials"]:
        if not m["required"] or m["onFile"]:
            continue
        if m["acceptsFields"]:
            materials.append({"materialId": m["materialId"], "fields": [{"name": "内容", "value": "已填写"}]})
            continue
        uploaded = httpx.post(f"{base}/uploads", params={"filename": "材料.pdf"}, timeout=15,
                              content=b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
        assert uploaded.status_code == 201, uploaded.text
        materials.append({"materialId": m["materialId"], "uploadIds": [uploaded.json()["id"]]})
    submitted = api(base, token, """mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
        __typename ... on ApplicationSubmitted { case { number } } } }""",
        {"input": {"itemCode": item_code, "materials": materials, "idempotencyKey": uuid.uuid4().hex}})
    assert submitted["submitApplication"]["__typename"] == "ApplicationSubmitted", submitted
    return submitted["submitApplication"]["case"]["number"]


_ON_LIVE = """
import asyncio, importlib, sys
from tortoise import Tortoise
from backend.db import tortoise_config
from backend.settings import get_settings

async def main():
    await Tortoise.init(config=tortoise_config(get_settings()))
    try:
        module, name = sys.argv[1].rsplit(".", 1)
        print(await getattr(importlib.import_module(module), name)(*sys.argv[2:]))
    finally:
        await Tortoise.close_connections()

asyncio.run(main())
"""


def on_live_server(function: str, *args: str) -> str:
    """Run `async function(*args)` (a dotted path) against the live server's database, in a
    process of its own: what the test needs that no person can do (move a booking to today, run
    a job at a chosen moment). → what it returned, printed."""
    import subprocess
    import sys

    from tests.conftest import LIVE_ENV, REPO_ROOT

    assert LIVE_ENV, "on_live_server needs the live_server fixture"
    done = subprocess.run([sys.executable, "-c", _ON_LIVE, function, *args], env=LIVE_ENV, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()

"""Races, on PostgreSQL (SQLite's single writer hides them): a double accept, a double submit,
and the feed under concurrent writers never skipping or repeating an event."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from backend.models import Case, CaseEvent, User
from backend.services.cases.access import CaseScope
from backend.services.cases.feed import CaseFeed
from tests.cases_helpers import ACCEPT, START_REVIEW, call, complete_materials, move, submit, submitted_case

pytestmark = pytest.mark.postgres


async def test_two_staff_accepting_at_once_make_one_acceptance(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number = (await submitted_case(client, token("citizen")))["number"]
    results = await asyncio.gather(*[move(client, token("staff"), ACCEPT, number) for _ in range(5)])
    assert sorted(r["__typename"] for r in results) == ["CaseUpdated"] + ["InvalidTransitionError"] * 4
    assert await CaseEvent.filter(case__number=number, kind="ACCEPTED").count() == 1


async def test_a_draft_submitted_five_times_at_once_makes_one_case(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    key = uuid.uuid4().hex
    materials = await complete_materials(client, citizen)
    results = await asyncio.gather(*[submit(client, citizen, key=key, materials=materials) for _ in range(5)])
    assert {r["__typename"] for r in results} == {"ApplicationSubmitted"}
    assert len({r["case"]["number"] for r in results}) == 1  # every answer names the one case
    assert await Case.filter(idempotency_key=key).count() == 1


async def test_the_feed_delivers_every_event_once_in_order_under_concurrent_writers(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = token("staff")
    numbers = [(await submitted_case(client, token("citizen")))["number"] for _ in range(8)]
    await call(client, token("supervisor"), "{ me { name } }")  # signs in: the user row exists
    supervisor = await User.get(sub="dev-supervisor")
    feed: CaseFeed = app.state.case_feed
    start = await CaseEvent.all().order_by("-id").first()
    assert start is not None
    received: list[int] = []

    async def follow() -> None:
        scope = CaseScope(user=supervisor, staff_department_id=None, supervisor=True)
        async for event in feed.follow(scope=scope, after=start.id):
            received.append(event.id)

    follower = asyncio.create_task(follow())
    await asyncio.gather(*[move(client, staff, ACCEPT, n) for n in numbers])
    await asyncio.gather(*[move(client, staff, START_REVIEW, n) for n in numbers])
    written = await CaseEvent.filter(id__gt=start.id).order_by("id").values_list("id", flat=True)
    assert len(written) == 16
    for _ in range(100):
        if len(received) >= len(written):
            break
        await asyncio.sleep(0.05)
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower
    assert received == list(written)  # all of them, once each, in id order

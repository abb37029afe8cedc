"""caseProgress over graphql-transport-ws: replayed from the event table after a cursor, then
live, in order, without duplicates; only what the viewer may see; a revoked enterprise
authority stops delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from backend.models import CaseEvent
from backend.services.cases.feed import encode_event_cursor
from tests.ws_helpers import Subscription
from tests.cases_helpers import ACCEPT, APPROVE, START_REVIEW, WITHDRAW, call, get_case, move, submitted_case

PROGRESS = """subscription($after: String, $case: String) {
  caseProgress(after: $after, caseNumber: $case) { id cursor caseNumber kind status note }
}"""


async def latest_cursor() -> str:
    """A cursor at the newest event: the subscription then starts exactly here, whenever the
    server gets to the subscribe message (without one, "from now on" would race the test)."""
    newest = await CaseEvent.all().order_by("-id").first()
    return encode_event_cursor(newest.id if newest else 0)


async def open_progress(url: str, token: str, *, after: str | None = None, case: str | None = None) -> Subscription:
    return await Subscription.open(url, token, PROGRESS, {"after": after, "case": case}, field="caseProgress")


async def test_replays_after_the_cursor_then_follows_live(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    sub = await open_progress(ws_url, citizen, after=case["events"][0]["cursor"], case=case["number"])
    try:
        replayed = await sub.events(1)
        assert [e["kind"] for e in replayed] == ["ACCEPTED"]
        await move(client, staff, START_REVIEW, case["number"])
        await move(client, staff, APPROVE, case["number"])
        live = await sub.events(2)
        assert [(e["kind"], e["status"]) for e in live] == [("REVIEW_STARTED", "UNDER_REVIEW"), ("APPROVED", "APPROVED")]
        assert int(live[0]["id"]) < int(live[1]["id"])
        await sub.silent()  # nothing twice
    finally:
        await sub.close()


async def test_a_reconnecting_client_gets_exactly_what_it_missed(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    sub = await open_progress(ws_url, citizen, after=case["events"][0]["cursor"], case=case["number"])
    await move(client, staff, ACCEPT, case["number"])
    [last] = await sub.events(1)
    await sub.close()
    await move(client, staff, START_REVIEW, case["number"])  # missed while away
    await move(client, staff, APPROVE, case["number"])
    again = await open_progress(ws_url, citizen, after=last["cursor"], case=case["number"])
    try:
        assert [e["kind"] for e in await again.events(2)] == ["REVIEW_STARTED", "APPROVED"]
        await again.silent()
    finally:
        await again.close()
    stored = await get_case(client, citizen, case["number"])
    assert stored is not None and [e["kind"] for e in stored["events"]] == [
        "SUBMITTED", "ACCEPTED", "REVIEW_STARTED", "APPROVED"]


async def test_only_events_the_viewer_may_see_arrive(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    theirs = await submitted_case(client, token("citizen"))
    sub = await open_progress(ws_url, token("citizen2"), after=await latest_cursor())
    try:
        await move(client, token("staff"), ACCEPT, theirs["number"])
        await sub.silent()
        mine = await submitted_case(client, token("citizen2"))
        [event] = await sub.events(1)
        assert (event["caseNumber"], event["kind"]) == (mine["number"], "SUBMITTED")
    finally:
        await sub.close()


async def test_staff_follow_their_departments_cases(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    sub = await open_progress(ws_url, token("staff"), after=await latest_cursor())
    try:
        case = await submitted_case(client, token("citizen2"))
        [event] = await sub.events(1)
        assert (event["caseNumber"], event["kind"]) == (case["number"], "SUBMITTED")
    finally:
        await sub.close()


async def test_someone_elses_case_number_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    case = await submitted_case(client, token("citizen"))
    sub = await open_progress(ws_url, token("citizen2"), case=case["number"])
    try:
        message = await sub.message()
        assert message["type"] == "next"  # an execution error, then the subscription completes
        assert message["payload"]["errors"][0]["message"] == "未找到该办件"
        assert (await sub.message())["type"] == "complete"
    finally:
        await sub.close()


async def test_a_bad_cursor_is_refused_with_a_reason(token: Callable[..., str], ws_url: str) -> None:
    sub = await open_progress(ws_url, token("citizen"), after="not-a-cursor")
    try:
        message = await sub.message()
        assert message["type"] == "next"  # an execution error, then the subscription completes
        assert message["payload"]["errors"][0]["message"] == "进度游标无效，请刷新页面"
        assert (await sub.message())["type"] == "complete"
    finally:
        await sub.close()


GRANT = """mutation($input: GrantAgentAuthorityInput!) {
  grantAgentAuthority(input: $input) { __typename ... on AgentAuthorityGranted { authority { id } } }
}"""
REVOKE = "mutation($id: ID!) { revokeAgentAuthority(id: $id) { __typename } }"
RETIREMENT = "61010708104"  # 企业职工退休申请: persons and enterprises


async def test_a_revoked_enterprise_authority_stops_delivery(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    legal, agent = token("enterprise-legal"), token("enterprise-agent")
    await call(client, agent, "{ me { name } }")  # the agent has signed in once
    granted = await call(client, legal, GRANT, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number, "scope": ["*"],
        "expiresAt": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()}})
    authority = granted["grantAgentAuthority"]["authority"]["id"]
    sub = await open_progress(ws_url, agent, after=await latest_cursor())
    try:
        first = await submitted_case(client, legal, code=RETIREMENT, uscc=DEMO_ENTERPRISE_USCC)
        [event] = await sub.events(1)
        assert (event["caseNumber"], event["kind"]) == (first["number"], "SUBMITTED")
        assert (await call(client, legal, REVOKE, {"id": authority}))["revokeAgentAuthority"]["__typename"] == \
            "AgentAuthorityRevoked"
        await move(client, legal, WITHDRAW, first["number"])
        await sub.silent()  # the enterprise's case moved; the agent no longer hears of it
        own = await submitted_case(client, agent)  # the subscription itself is alive
        [event] = await sub.events(1)
        assert event["caseNumber"] == own["number"]
    finally:
        await sub.close()


@pytest.mark.parametrize(("after", "case", "message"), [
    (None, "A" * 33, "未找到该办件"),  # longer than any case number: not found, not a tortoise error
    (encode_event_cursor(2**63), None, "进度游标无效，请刷新页面"),  # past bigint
])
async def test_unbounded_arguments_are_refused_with_a_reason(
    token: Callable[..., str], ws_url: str, after: str | None, case: str | None, message: str,
) -> None:
    sub = await open_progress(ws_url, token("citizen"), after=after, case=case)
    try:
        received = await sub.message()
        assert received["type"] == "next"
        assert [e["message"] for e in received["payload"]["errors"]] == [message]
        assert (await sub.message())["type"] == "complete"
    finally:
        await sub.close()

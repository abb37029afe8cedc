"""好差评: who may rate a case and when, one rating per case per person (also when two taps
race), reason chips and comments checked, the invitation on the result, and satisfaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from backend.models import Case, Notification, Rating, RectificationTicket
from backend.models.cases import CaseStatus
from tests.cases_helpers import ACCEPT, call, move, submitted_case
from tests.helpers import count_queries
from tests.ratings_helpers import MY_RATING, delivered_case, rate


async def test_the_applicant_rates_a_delivered_case_once(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await delivered_case(client, citizen, staff)
    number = case["number"]
    invitation = await Notification.get(case__number=number, kind="RATING_INVITATION")
    assert invitation.link == f"/cases/{number}?rate=1"  # written with the result, same transaction
    assert (await call(client, citizen, MY_RATING, {"n": number}))["myRating"] is None

    comment = "<b>窗口</b>很耐心 & 指引清楚"
    rated = await rate(client, citizen, number, "VERY_SATISFIED", reasons=["FAST", "FRIENDLY", "FAST"], comment=comment)
    assert rated["__typename"] == "CaseRated", rated
    rating = rated["rating"]
    assert (rating["level"], rating["levelLabel"], rating["channel"]) == ("VERY_SATISFIED", "非常满意", "APP")
    assert rating["reasons"] == [{"code": "FAST", "label": "办理快"}, {"code": "FRIENDLY", "label": "态度好"}]
    assert rating["comment"] == comment  # stored as text; the PWA shows it escaped
    assert rating["ticket"] is None  # only bad ratings open one
    assert (await call(client, citizen, MY_RATING, {"n": number}))["myRating"]["id"] == rating["id"]

    again = await rate(client, citizen, number, "UNSATISFIED")
    assert again == {"__typename": "AlreadyRatedError", "code": "ALREADY_RATED", "message": "您已评价过该办件"}
    assert await Rating.filter(case__number=number).count() == 1
    assert not await RectificationTicket.filter(case__number=number).exists()


@pytest.mark.postgres
async def test_two_racing_ratings_of_one_case_record_one(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    number = (await delivered_case(client, citizen, staff))["number"]
    results = await asyncio.gather(*(rate(client, citizen, number, level) for level in
                                     ("SATISFIED", "UNSATISFIED", "VERY_UNSATISFIED", "SATISFIED")))
    assert sorted(r["__typename"] for r in results) == ["AlreadyRatedError"] * 3 + ["CaseRated"]
    assert await Rating.filter(case__number=number).count() == 1
    assert await RectificationTicket.filter(case__number=number).count() <= 1


async def test_a_case_is_rated_only_after_its_decision(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    early = await rate(client, citizen, case["number"], "SATISFIED")
    assert early == {"__typename": "InvalidTransitionError", "code": "INVALID_TRANSITION",
                     "message": "办件有审批结果或已办结后才能评价", "status": "ACCEPTED"}
    assert not await Rating.filter(case__number=case["number"]).exists()
    for status in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.TERMINATED):
        other = await submitted_case(client, citizen)
        await Case.filter(number=other["number"]).update(status=status)
        assert (await rate(client, citizen, other["number"], "SATISFIED"))["__typename"] == "CaseRated"


async def test_nobody_but_the_applicant_may_rate_and_nothing_changes(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    number = (await delivered_case(client, citizen, staff))["number"]
    for persona in ("citizen2", "staff", "supervisor", "enterprise-legal"):
        denied = await rate(client, token(persona), number, "VERY_UNSATISFIED")
        assert denied == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该办件"}, persona
        response = await client.post("/graphql", json={"query": MY_RATING, "variables": {"n": number}},
                                     headers={"authorization": f"Bearer {token(persona)}"})
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await rate(client, citizen, "ZSB-00000000-999999", "SATISFIED"))["code"] == "NOT_FOUND"
    response = await client.post("/graphql", json={"query": "mutation { rateCase(input: {caseNumber: \"%s\", "
                                                            "level: SATISFIED}) { __typename } }" % number})
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert not await Rating.filter(case__number=number).exists()
    assert not await RectificationTicket.filter(case__number=number).exists()


async def test_an_enterprise_case_is_rated_by_its_agent_or_legal_representative(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    from datetime import datetime, timedelta, timezone

    from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
    from tests.test_case_progress import GRANT, RETIREMENT

    legal, agent = token("enterprise-legal"), token("enterprise-agent")
    await call(client, agent, "{ me { name } }")  # the agent has signed in once
    granted = await call(client, legal, GRANT, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number, "scope": ["*"],
        "expiresAt": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()}})
    assert granted["grantAgentAuthority"]["__typename"] == "AgentAuthorityGranted"
    async def finished(applicant: str) -> dict:  # type: ignore[type-arg]
        case = await submitted_case(client, applicant, code=RETIREMENT, uscc=DEMO_ENTERPRISE_USCC)
        await Case.filter(number=case["number"]).update(status=CaseStatus.DELIVERED)  # another department's staff
        return case

    by_agent = await finished(agent)
    assert (await rate(client, legal, by_agent["number"], "SATISFIED"))["__typename"] == "CaseRated"
    assert (await rate(client, agent, by_agent["number"], "BASICALLY_SATISFIED"))["__typename"] == "CaseRated"
    by_legal = await finished(legal)
    assert (await rate(client, agent, by_legal["number"], "SATISFIED"))["code"] == "NOT_FOUND"


async def test_reasons_belong_to_the_level_and_comments_are_bounded(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    number = (await delivered_case(client, citizen, staff))["number"]
    wrong = await rate(client, citizen, number, "SATISFIED", reasons=["FAST", "BAD_ATTITUDE"])
    assert wrong == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "reasons[1]",
                     "message": "“满意”没有这个评价理由"}
    long = await rate(client, citizen, number, "UNSATISFIED", comment="慢" * 301)
    assert long == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "comment",
                    "message": "评价内容不能超过 300 字（现 301 字）"}
    assert not await Rating.filter(case__number=number).exists()
    levels = (await call(client, None, "{ ratingLevels { level label reasons { code label } } }"))["ratingLevels"]
    assert [lv["label"] for lv in levels] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert {"code": "SLOW", "label": "办理慢"} in levels[3]["reasons"]
    assert {r["label"] for r in levels[4]["reasons"]} >= {"办理慢", "材料要求多", "态度差", "指引不清"}


SATISFACTION = """query($code: String!) { itemSatisfaction(itemCode: $code) { ratings satisfied rate } }"""
LIST = """query { serviceItems(first: 30) { edges { node { code satisfaction { ratings satisfied rate } } } } }"""


async def test_items_show_their_satisfaction_without_a_query_per_item(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    from tests.cases_helpers import TEACHER

    citizen, staff = token("citizen"), token("staff")
    before = (await call(client, None, SATISFACTION, {"code": TEACHER}))["itemSatisfaction"]
    for level in ("VERY_SATISFIED", "SATISFIED", "UNSATISFIED"):
        number = (await delivered_case(client, citizen, staff))["number"]
        assert (await rate(client, citizen, number, level))["__typename"] == "CaseRated"
    after = (await call(client, None, SATISFACTION, {"code": TEACHER}))["itemSatisfaction"]
    assert (after["ratings"] - before["ratings"], after["satisfied"] - before["satisfied"]) == (3, 2)
    assert after["rate"] == after["satisfied"] / after["ratings"]
    assert (await call(client, None, SATISFACTION, {"code": "NO-SUCH"}))["itemSatisfaction"] is None

    with count_queries() as few:
        await call(client, None, LIST.replace("first: 30", "first: 3"))
    with count_queries() as many:
        items = (await call(client, None, LIST))["serviceItems"]["edges"]
    assert len(items) == 30 and many.count == few.count

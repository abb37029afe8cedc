"""One tap from the push: the invitation's payload carries actions and a single-use,
short-lived rating token for that case and person (never an access token, no ID or phone
numbers); POST /ratings/quick records the answer; replayed, expired and foreign tokens are
refused and change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from backend.auth.personas import PERSONAS
from backend.models import Case, PushSubscription, Rating, RatingToken, RectificationTicket, User
from backend.models.ratings import RatingTokenPurpose
from backend.services.ratings import tokens
from tests.cases_helpers import call
from tests.push_service import PushService
from tests.ratings_helpers import BY_TOKEN, delivered_case
from tests.test_push_delivery import register


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    await PushSubscription.all().delete()
    async with PushService() as service:
        yield service
    await PushSubscription.all().delete()


async def quick(client: httpx.AsyncClient, token: object, level: str = "unsatisfied",
                case_number: str | None = None) -> httpx.Response:
    body: dict[str, object] = {"token": token, "level": level}
    if case_number is not None:
        body["caseNumber"] = case_number
    return await client.post("/ratings/quick", json=body)


async def test_the_invitation_push_rates_the_case_with_one_tap_once(
        client: httpx.AsyncClient, token: Callable[..., str], push: PushService) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe()
    await register(client, citizen, device)
    case = await delivered_case(client, citizen, staff)
    number = case["number"]
    await push.wait_for(lambda p: any(r.payload.get("kind") == "RATING_INVITATION" for r in p.received),
                        what="the rating invitation")
    [invitation] = [r for r in push.received if r.payload["kind"] == "RATING_INVITATION"]
    payload = invitation.payload
    assert [a["action"] for a in payload["actions"]] == ["rate-satisfied", "rate-unsatisfied", "rate-more"]
    assert payload["rating"]["caseNumber"] == number
    rating_token = payload["rating"]["token"]
    assert rating_token.startswith("rt1_") and "." not in rating_token  # not a JWT
    raw = invitation.raw.decode()
    persona = PERSONAS["citizen"]
    assert persona.id_number not in raw and persona.phone not in raw and "eyJ" not in raw and citizen not in raw
    assert invitation.ttl == 7 * 86400
    row = await RatingToken.get(token_hash=tokens._hash(rating_token))
    assert row.purpose is RatingTokenPurpose.RATE and row.used_at is None
    assert timedelta(hours=71) < row.expires_at - datetime.now(timezone.utc) <= timedelta(hours=72)

    answered = await quick(client, rating_token, "unsatisfied", number)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"ok": True, "caseNumber": number, "level": "UNSATISFIED", "levelLabel": "不满意",
                               "returnVisit": False}
    assert answered.headers["cache-control"] == "no-store"
    rating = await Rating.get(case__number=number)
    assert (rating.level.value, rating.channel.value) == ("UNSATISFIED", "PUSH")
    assert await RectificationTicket.filter(rating=rating).exists()  # 不满意 opens the ticket

    replayed = await quick(client, rating_token, "satisfied", number)
    assert replayed.status_code == 403
    assert replayed.json()["error"] == {"code": "INVALID_RATING_TOKEN", "message": "该评价凭证已使用过", "reason": "used"}
    assert (await Rating.get(case__number=number)).level.value == "UNSATISFIED"
    assert await Rating.filter(case__number=number).count() == 1


async def _fresh_token(client: httpx.AsyncClient, token: Callable[..., str], *, ttl: timedelta,
                       persona: str = "citizen") -> tuple[str, str]:
    number = (await delivered_case(client, token(persona), token("staff")))["number"]
    case = await Case.get(number=number)
    raw = await tokens.mint(purpose=RatingTokenPurpose.RATE, user_id=case.applicant_id, case_id=case.id, ttl=ttl)
    return number, raw


async def test_an_expired_token_is_refused_and_changes_nothing(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number, raw = await _fresh_token(client, token, ttl=timedelta(seconds=-1))
    refused = await quick(client, raw, "satisfied", number)
    assert refused.status_code == 403
    assert refused.json()["error"]["reason"] == "expired"
    assert not await Rating.filter(case__number=number).exists()
    assert (await RatingToken.get(token_hash=tokens._hash(raw))).used_at is None


async def test_tokens_expired_over_a_day_ago_are_purged_and_the_rest_kept(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number, live = await _fresh_token(client, token, ttl=timedelta(hours=1))
    case = await Case.get(number=number)
    now = datetime.now(timezone.utc)
    recent = await tokens.mint(purpose=RatingTokenPurpose.RATE, user_id=case.applicant_id, case_id=case.id,
                               ttl=timedelta(hours=1), now=now - timedelta(hours=20))  # expired 19 h ago
    old = await tokens.mint(purpose=RatingTokenPurpose.RATE, user_id=case.applicant_id, case_id=case.id,
                            ttl=timedelta(hours=1), now=now - timedelta(days=3))
    assert await tokens.purge_expired(now=now) >= 1
    kept = {row.token_hash for row in await RatingToken.filter(case=case)}
    assert tokens._hash(old) not in kept
    assert {tokens._hash(live), tokens._hash(recent)} <= kept
    refused = await quick(client, recent, "satisfied", number)  # a late tap is still told why
    assert refused.json()["error"]["reason"] == "expired"
    assert await tokens.purge_expired(now=now) == 0  # safe to run twice


async def test_foreign_and_unknown_tokens_are_refused_and_change_nothing(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number, raw = await _fresh_token(client, token, ttl=timedelta(hours=1))
    other, _ = await _fresh_token(client, token, ttl=timedelta(hours=1))
    # The token of one case cannot rate another.
    wrong_case = await quick(client, raw, "unsatisfied", other)
    assert (wrong_case.status_code, wrong_case.json()["error"]["reason"]) == (403, "foreign")
    # Someone else signed in cannot use it either.
    by_other = await call(client, token("citizen2"), BY_TOKEN, {"t": raw, "l": "VERY_UNSATISFIED", "n": number})
    assert by_other["rateByToken"] == {"__typename": "RatingTokenError", "code": "INVALID_RATING_TOKEN",
                                       "message": "该评价凭证不属于此办件或此用户", "reason": "foreign"}
    for bogus in ("rt1_" + "A" * 32, "eyJhbGciOi.x.y", 12345, None):
        unknown = await quick(client, bogus, "satisfied")
        assert (unknown.status_code, unknown.json()["error"]["reason"]) == (403, "unknown"), bogus
    bad_level = await quick(client, raw, "great")
    assert (bad_level.status_code, bad_level.json()["error"]["code"]) == (400, "INVALID_INPUT")
    assert not await Rating.filter(case__number__in=[number, other]).exists()
    assert (await RatingToken.get(token_hash=tokens._hash(raw))).used_at is None

    # Still good for its own case and person, once — through GraphQL, without a session.
    used = await call(client, None, BY_TOKEN, {"t": raw, "l": "SATISFIED", "n": number})
    assert used["rateByToken"]["__typename"] == "RatedByToken"
    assert used["rateByToken"]["rating"]["channel"] == "PUSH"
    again = await call(client, None, BY_TOKEN, {"t": raw, "l": "SATISFIED"})
    assert again["rateByToken"]["reason"] == "used"


async def test_a_token_does_not_outlive_the_right_to_rate(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    """A token minted for someone who may not rate the case (it is not theirs) rates nothing."""
    number = (await delivered_case(client, token("citizen"), token("staff")))["number"]
    case = await Case.get(number=number)
    stranger = await User.get(sub="dev-citizen2") if await User.exists(sub="dev-citizen2") else None
    if stranger is None:
        await call(client, token("citizen2"), "{ me { name } }")
        stranger = await User.get(sub="dev-citizen2")
    raw = await tokens.mint(purpose=RatingTokenPurpose.RATE, user_id=stranger.id, case_id=case.id,
                            ttl=timedelta(hours=1))
    refused = await quick(client, raw, "unsatisfied", number)
    assert (refused.status_code, refused.json()["error"]["reason"]) == (403, "foreign")
    assert not await Rating.filter(case=case).exists()

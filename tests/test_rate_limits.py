"""Rate limits per token and per address on mutations and uploads (issue 18): refused before
anything runs, logged once on `backend.refused` without the payload, in Redis when configured."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Callable

import httpx
import pytest
from starlette.applications import Starlette

from backend.auth.personas import PERSONAS
from backend.models import Case, Upload
from backend.ratelimit import MUTATION, UPLOAD, Limit, RateLimiter, subject_hash
from backend.settings import Settings
from tests.cases_helpers import PNG, bearer, submitted_case, transition, upload
from tests.conftest import TEST_REDIS_URL
from tests.helpers import gql

MARK_ALL = "mutation { markNotificationsRead(all: true) { __typename } }"
WITHDRAW = transition("withdrawCase", ", reason: $reason", ", $reason: String")


def limiter_for(settings: Settings, **limits: int) -> RateLimiter:
    # Its own key prefix: the suite's limiter (in the same Redis) has counted this window too.
    return RateLimiter.from_settings(replace(settings, **limits), prefix=f"test:{uuid.uuid4().hex}")


@pytest.fixture
async def install(app: Starlette) -> AsyncIterator[Callable[[RateLimiter], None]]:
    original = app.state.limiter
    installed: list[RateLimiter] = []

    def use(limiter: RateLimiter) -> None:
        installed.append(limiter)
        app.state.limiter = limiter

    yield use
    app.state.limiter = original
    for limiter in installed:  # every one: an unclosed Redis connection is a ResourceWarning later
        await limiter.close()


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "backend.refused" and r.levelname == "WARNING"]


async def test_fixed_windows_count_per_token_and_per_address() -> None:
    now = [1000.0]
    limiter = RateLimiter(limits={MUTATION: Limit(per_token=2, per_address=3), UPLOAD: Limit(0, 0)},
                          window_seconds=60, clock=lambda: now[0])
    assert await limiter.admit(kind=MUTATION, subject="a", address="10.0.0.1") is None
    assert await limiter.admit(kind=MUTATION, subject="a", address="10.0.0.1") is None
    refused = await limiter.admit(kind=MUTATION, subject="a", address="10.0.0.1")
    assert refused is not None and (refused.by, refused.retry_after) == ("token", 20)  # 1000 s is 40 s into its window
    assert await limiter.admit(kind=MUTATION, subject="b", address="10.0.0.2") is None  # others are not held up
    assert (await limiter.admit(kind=MUTATION, subject="b", address="10.0.0.1")).by == "address"  # type: ignore[union-attr]
    assert await limiter.admit(kind=UPLOAD, subject="a", address="10.0.0.1") is None  # 0: no limit
    now[0] += 20  # the next window
    assert await limiter.admit(kind=MUTATION, subject="a", address="10.0.0.1") is None


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
async def test_instances_count_together_in_redis(settings: Settings) -> None:
    prefix = f"test:{uuid.uuid4().hex}"
    one, two = (RateLimiter.from_settings(replace(settings, rate_limit_uploads_per_token=3), prefix=prefix)
                for _ in range(2))
    try:
        assert one.kind == "redis"
        results = [await limiter.admit(kind=UPLOAD, subject="s", address=None) for limiter in (one, two, one, two)]
        assert [r is None for r in results] == [True, True, True, False]
    finally:
        await one.close()
        await two.close()


async def test_unreachable_redis_admits(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter.from_settings(replace(settings, redis_url="redis://127.0.0.1:1/0",
                                                rate_limit_mutations_per_token=1))
    try:
        with caplog.at_level("WARNING"):
            assert [await limiter.admit(kind=MUTATION, subject="s", address=None) for _ in range(3)] == [None] * 3
        assert [r.getMessage() for r in caplog.records if r.name == "backend.ratelimit"] == [
            "rate limit counters unreachable; admitting requests meanwhile"]  # once, not once a request
    finally:
        await limiter.close()


async def test_mutations_over_the_token_limit_are_refused_before_they_run(
    client: httpx.AsyncClient, settings: Settings, token: Callable[..., str],
    install: Callable[[RateLimiter], None], caplog: pytest.LogCaptureFixture,
) -> None:
    citizen = token("citizen")
    case = await submitted_case(client, citizen)
    install(limiter_for(settings, rate_limit_mutations_per_token=2))
    for _ in range(2):
        assert (await gql(client, MARK_ALL, headers=bearer(citizen))).json() == {
            "data": {"markNotificationsRead": {"__typename": "NotificationsMarkedRead"}}}
    secret = "不想办了（私密内容）"
    with caplog.at_level("WARNING", logger="backend.refused"):
        refused = await gql(client, WITHDRAW, {"number": case["number"], "reason": secret}, headers=bearer(citizen))
    body: dict[str, Any] = refused.json()
    assert "data" not in body or body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"] == f"操作过于频繁，请 {error['extensions']['retryAfter']} 秒后再试"
    assert 1 <= error["extensions"]["retryAfter"] <= 60
    assert (refused.status_code, refused.headers["retry-after"]) == (400, str(error["extensions"]["retryAfter"]))
    assert (await Case.get(number=case["number"])).status == "SUBMITTED"  # nothing ran

    sub = PERSONAS["citizen"].claims()["sub"]
    [line] = refusals(caplog)
    assert line == (f"refused mutation: over the per-token limit (2 per 60 s) address=127.0.0.1 "
                    f"subject={subject_hash(sub)}")
    assert secret not in line and sub not in line and case["number"] not in line

    # Queries are not mutations, and another person has their own count.
    me = await gql(client, "{ me { name } }", headers=bearer(citizen))
    assert me.json() == {"data": {"me": {"name": "王晓明"}}}
    other = await gql(client, MARK_ALL, headers=bearer(token("citizen2")))
    assert "errors" not in other.json()


async def test_anonymous_mutations_are_limited_per_address(
    client: httpx.AsyncClient, settings: Settings, install: Callable[[RateLimiter], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    install(limiter_for(settings, rate_limit_mutations_per_address=1))
    verify = 'mutation { verifyLicensePresentation(token: "not-a-token") { valid } }'
    assert "errors" not in (await gql(client, verify)).json()
    with caplog.at_level("WARNING", logger="backend.refused"):
        refused = (await gql(client, verify)).json()
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refusals(caplog) == ["refused mutation: over the per-address limit (1 per 60 s) address=127.0.0.1 subject=-"]


async def test_uploads_over_the_limit_get_429_with_retry_after(
    client: httpx.AsyncClient, settings: Settings, token: Callable[..., str],
    install: Callable[[RateLimiter], None], caplog: pytest.LogCaptureFixture,
) -> None:
    citizen = token("citizen2")
    install(limiter_for(settings, rate_limit_uploads_per_token=1))
    await upload(client, citizen)
    before = await Upload.all().count()
    with caplog.at_level("WARNING", logger="backend.refused"):
        refused = await client.post("/uploads", content=PNG + b"limited", headers=bearer(citizen))
    assert refused.status_code == 429
    seconds = int(refused.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert refused.json() == {"error": {"code": "RATE_LIMITED", "message": f"操作过于频繁，请 {seconds} 秒后再试"}}
    assert await Upload.all().count() == before
    assert len(refusals(caplog)) == 1


async def test_one_tap_ratings_are_limited_per_address_and_bodies_over_2_kb_refused_unread(
    client: httpx.AsyncClient, settings: Settings, install: Callable[[RateLimiter], None],
) -> None:
    """POST /ratings/quick has no token subject: guessing rating tokens costs the address's
    mutation budget, and a large body is refused by its declared length."""
    body = {"token": "rt1_" + "x" * 32, "level": "satisfied"}
    install(limiter_for(settings, rate_limit_mutations_per_address=2))
    large = await client.post("/ratings/quick", content=b"{" + b" " * 4096 + b"}",
                              headers={"content-type": "application/json"})
    assert (large.status_code, large.json()["error"]["message"]) == (413, "请求过大")
    assert (await client.post("/ratings/quick", json=body)).status_code == 403  # counted: unknown token
    refused = await client.post("/ratings/quick", json=body)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["code"] == "RATE_LIMITED"

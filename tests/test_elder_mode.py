"""长辈模式 on the account: set by the person, read back on `me`, refused without sign-in."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from backend.models import User
from tests.helpers import gql

SET = """mutation($on: Boolean!) { setElderMode(on: $on) { __typename
  ... on ElderModeSet { on } ... on NotPermittedError { code message } } }"""
ME = "{ me { elderMode } }"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_elder_mode_is_never_chosen_until_set_then_remembered(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = bearer(token("citizen"))
    await gql(client, ME, headers=headers)  # the person exists
    await User.filter(sub="dev-citizen").update(elder_mode=None)  # the test database is shared
    assert (await gql(client, ME, headers=headers)).json()["data"]["me"] == {"elderMode": None}
    body = (await gql(client, SET, {"on": True}, headers=headers)).json()
    assert body["data"]["setElderMode"] == {"__typename": "ElderModeSet", "on": True}
    assert (await gql(client, ME, headers=headers)).json()["data"]["me"] == {"elderMode": True}
    body = (await gql(client, SET, {"on": False}, headers=headers)).json()
    assert body["data"]["setElderMode"] == {"__typename": "ElderModeSet", "on": False}
    assert (await User.get(sub="dev-citizen")).elder_mode is False


async def test_elder_mode_of_one_person_is_not_another_s(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    await gql(client, ME, headers=bearer(token("staff")))
    await User.filter(sub="dev-staff").update(elder_mode=None)
    await gql(client, SET, {"on": True}, headers=bearer(token("citizen")))
    staff = (await gql(client, ME, headers=bearer(token("staff")))).json()
    assert staff["data"]["me"] == {"elderMode": None}


async def test_anonymous_set_elder_mode_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    await gql(client, ME, headers=bearer(token("citizen")))  # the person exists
    before = (await User.get(sub="dev-citizen")).elder_mode
    body = (await gql(client, SET, {"on": True})).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "请先登录"
    assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert (await User.get(sub="dev-citizen")).elder_mode is before

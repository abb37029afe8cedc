"""Fan-out once (backend/schema/fanout.py): an event is executed and serialised once for the
subscribers of one document, each still sees only what it may, and a subscriber that cannot keep
up is closed with the reconnect code and resumes from its cursor without loss."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from backend.schema import fanout
from backend.schema.view import TransportWSHandler
from tests.cases_helpers import ACCEPT, APPROVE, START_REVIEW, move, submitted_case
from tests.test_case_progress import PROGRESS, latest_cursor, open_progress
from tests.ws_helpers import Subscription


async def test_subscribers_of_one_document_share_one_execution_and_the_same_bytes(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    original = TransportWSHandler.send_message

    async def recording(self: TransportWSHandler, message: Any) -> None:
        if message.get("type") == "next":
            sent.append(fanout.next_message_text(message, self.view.encode_json) or "not shared")
        await original(self, message)

    monkeypatch.setattr(TransportWSHandler, "send_message", recording)
    after = await latest_cursor()
    citizen, staff = token("citizen"), token("staff")
    mine = await open_progress(ws_url, citizen, after=after)
    theirs = await open_progress(ws_url, staff, after=after)  # another viewer who may see it too
    case = await submitted_case(client, citizen)
    try:
        [first] = await mine.events(1)
        [second] = await theirs.events(1)
        assert (first["caseNumber"], first["kind"]) == (case["number"], "SUBMITTED")
        before = dataclasses.replace(fanout.stats)
        await move(client, staff, ACCEPT, case["number"])
        assert await mine.events(1) == await theirs.events(1)
        assert (fanout.stats.executions - before.executions, fanout.stats.reused - before.reused,
                fanout.stats.serialisations - before.serialisations) == (1, 1, 1)
        assert sent[-1] == sent[-2] != "not shared"  # both sockets were written the same text
        await mine.silent(0.5)
        await theirs.silent(0.5)
    finally:
        await mine.close()
        await theirs.close()


async def test_a_viewer_who_may_not_see_the_event_does_not_get_it_from_the_group(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    after = await latest_cursor()
    owner = await open_progress(ws_url, token("citizen"), after=after)
    stranger = await open_progress(ws_url, token("citizen2"), after=after)  # same document, other person
    try:
        case = await submitted_case(client, token("citizen"))
        [event] = await owner.events(1)
        assert event["caseNumber"] == case["number"]
        await stranger.silent()
    finally:
        await owner.close()
        await stranger.close()


async def test_a_subscriber_that_cannot_keep_up_is_closed_to_reconnect_and_replays_without_loss(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = app.state.graphql_view
    monkeypatch.setattr(view, "settings", dataclasses.replace(view.settings, ws_send_queue=1))
    stuck = asyncio.Event()
    original = TransportWSHandler.send_message
    delivered: dict[int, int] = {}

    async def slow_socket(self: TransportWSHandler, message: Any) -> None:
        # The socket of operation "slow" takes its first event, then stops draining.
        if message.get("id") == "slow" and message.get("type") == "next":
            delivered[id(self)] = delivered.get(id(self), 0) + 1
            if delivered[id(self)] > 1:
                await stuck.wait()
        await original(self, message)

    monkeypatch.setattr(TransportWSHandler, "send_message", slow_socket)
    citizen, staff = token("citizen"), token("staff")
    after = await latest_cursor()
    slow = await Subscription.open(ws_url, citizen, PROGRESS, {"after": after, "case": None}, field="caseProgress",
                                   id="slow")
    brisk = await open_progress(ws_url, citizen, after=after)
    try:
        case = await submitted_case(client, citizen)
        [first] = await slow.events(1)
        for step in (ACCEPT, START_REVIEW, APPROVE):  # one in the blocked send, one queued, one too many
            await move(client, staff, step, case["number"])
        kinds = ["SUBMITTED", "ACCEPTED", "REVIEW_STARTED", "APPROVED"]
        assert [e["kind"] for e in await brisk.events(4)] == kinds  # not held by the slow one
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == fanout.RECONNECT_CLOSE_CODE
    finally:
        stuck.set()
        await slow.close()
    again = await open_progress(ws_url, citizen, after=first["cursor"])
    try:
        assert [e["kind"] for e in await again.events(3)] == kinds[1:]
        await again.silent()
        await brisk.silent(0.1)
    finally:
        await again.close()
        await brisk.close()
    assert json.dumps(first)  # the first event arrived whole before the socket fell behind

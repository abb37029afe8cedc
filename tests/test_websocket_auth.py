"""graphql-transport-ws: the token travels in connection_init; no token or a bad one closes the
socket (4403), and a token that expires during the connection closes it then (4401)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
import websockets
from websockets.exceptions import ConnectionClosed


async def _init(url: str, payload: object) -> tuple[websockets.ClientConnection, dict | None, int | None]:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    try:
        return ws, json.loads(await asyncio.wait_for(ws.recv(), 5)), None
    except ConnectionClosed as closed:
        return ws, None, closed.rcvd.code if closed.rcvd else None


async def test_no_token_closes_4403(ws_url: str) -> None:
    ws, message, code = await _init(ws_url, {})
    assert (message, code) == (None, 4403)


async def test_invalid_token_closes_4403(ws_url: str) -> None:
    ws, message, code = await _init(ws_url, {"token": "not.a.jwt"})
    assert (message, code) == (None, 4403)


async def test_valid_token_is_acknowledged_and_expiry_closes_4401(ws_url: str, token: Callable[..., str]) -> None:
    ws, message, code = await _init(ws_url, {"token": token("citizen", seconds=2)})
    assert message == {"type": "connection_ack"}
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

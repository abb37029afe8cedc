"""A graphql-transport-ws client for tests: one subscription per socket, as the PWA opens them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets


class Subscription:
    def __init__(self, ws: websockets.ClientConnection, field: str) -> None:
        self.ws = ws
        self.field = field

    @classmethod
    async def open(cls, url: str, token: str, query: str, variables: dict[str, Any], *, field: str,
                   id: str = "1") -> Subscription:
        ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        return cls(ws, field)

    async def message(self, timeout: float = 5) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] != "ping":
                return message

    async def events(self, count: int) -> list[dict[str, Any]]:
        received = []
        for _ in range(count):
            message = await self.message()
            assert message["type"] == "next", message
            received.append(message["payload"]["data"][self.field])
        return received

    async def silent(self, seconds: float = 1.5) -> None:
        with pytest.raises(asyncio.TimeoutError):
            extra = await self.message(timeout=seconds)
            print("unexpected", extra)

    async def close(self) -> None:
        await self.ws.close()

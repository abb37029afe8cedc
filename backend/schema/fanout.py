"""Fan-out once: a live event executed and serialised once per group of subscribers, not once
per subscriber.

The feed hands the same row to every follower (services/tail_feed.py), and the subscription
resolver turns it into one shared payload object (`shared_payload`). Payload types that opt in
carry a `fanout_results` dict: they promise that none of their fields depend on the viewer
(the access check, `allowed()`, has already run for each follower). For such a payload the
executor below runs the selection set once per (operation node — the document and its
operationName, variables) and every other subscriber in the group awaits that same result; the
graphql-transport-ws handler (view.py) then serialises its `data` once and writes the same bytes
to each socket, only the operation id differing.

The shared execution runs in its own task, so a subscriber that disconnects mid-execution does
not cancel it for the others. Documents come from the parser cache, so subscribers who sent the
same text share the operation node; one parsed twice merely executes twice.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from graphql import ExecutionResult
# strawberry's executor (it carries operation extensions into `info`); not exported elsewhere.
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from starlette.websockets import WebSocket

# graphql-transport-ws clients (graphql-ws) retry on 1013 "try again later"; the PWA resumes
# each subscription from the cursor of the last event it has.
RECONNECT_CLOSE_CODE = 1013

# id(data) -> [data, serialised text or None]; data is kept alive so its id is not reused.
_SERIALISED_MAX = 256
_serialised: OrderedDict[int, list[Any]] = OrderedDict()


@dataclass
class FanOutStats:
    """Counters for tests and metrics: executions really run for shared payloads, and the
    subscribers that reused one."""

    executions: int = 0
    reused: int = 0
    serialisations: int = 0


stats = FanOutStats()


def _variables_key(values: dict[str, Any] | None) -> str:
    return json.dumps(values or {}, sort_keys=True, default=repr, ensure_ascii=False)


class FanOutExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        results = getattr(self.root_value, "fanout_results", None)
        if not isinstance(results, dict):
            return super().execute_operation(serially)
        key = (id(self.operation), _variables_key(getattr(self.variable_values, "coerced", self.variable_values)))
        entry = results.get(key)
        if entry is not None and entry[0] is self.operation:  # the entry keeps the node alive
            stats.reused += 1
            return _shared(entry[1])
        stats.executions += 1
        outcome = super().execute_operation(serially)
        future: asyncio.Future[Any]
        if self.is_awaitable(outcome):
            future = asyncio.ensure_future(outcome)
        else:
            future = asyncio.get_running_loop().create_future()
            future.set_result(outcome)
        results[key] = (self.operation, future)
        return _shared(future)


async def _shared(future: asyncio.Future[Any]) -> Any:
    result = await asyncio.shield(future)
    if isinstance(result, ExecutionResult) and result.data is not None and not result.errors \
            and id(result.data) not in _serialised:
        _serialised[id(result.data)] = [result.data, None]  # the first of its group to get here
        while len(_serialised) > _SERIALISED_MAX:
            _serialised.popitem(last=False)
    return result


def next_message_text(message: dict[str, Any], encode: Any) -> str | None:
    """The wire text of a `next` message whose payload is a shared result, serialising the
    payload at most once for all its subscribers; None when the payload is not shared."""
    payload = message.get("payload")
    if not isinstance(payload, dict) or payload.keys() != {"data"}:
        return None
    entry = _serialised.get(id(payload["data"]))
    if entry is None or entry[0] is not payload["data"]:
        return None
    if entry[1] is None:
        stats.serialisations += 1
        entry[1] = encode(payload)
    return f'{{"id":{json.dumps(message["id"])},"type":"next","payload":{entry[1]}}}'


_payloads: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def shared_payload(row: Any, build: Any) -> Any:
    """One payload object per row object, for every subscriber the feed hands that row to."""
    try:
        return _payloads[row]
    except KeyError:
        payload = _payloads[row] = build(row)
        return payload


_closing: set[asyncio.Task[None]] = set()


def close_for_reconnect(websocket: WebSocket) -> None:
    """A subscriber fell too far behind: close its socket (not awaited: the feed calls this)."""
    task = asyncio.get_running_loop().create_task(_close(websocket))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _close(websocket: WebSocket) -> None:
    try:
        await websocket.close(code=RECONNECT_CLOSE_CODE, reason="too far behind; resume from your cursor")
    except RuntimeError:
        pass  # already closed

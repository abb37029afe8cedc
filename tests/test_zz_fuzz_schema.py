"""Schema-driven fuzzing over the committed schema.graphql: generated queries, mutations and
subscriptions, without a token, as a citizen and as staff.

Pass: no 5xx, every answer is GraphQL-shaped, no error is the masked "unexpected failure" (that
is a crash), no error text looks like a traceback or exception, every error carries a stable
`extensions.code`, and no answer takes longer than 2 s (a bound from the issue, far above what a
refusal or a lookup costs, so it catches a freeze, not a slow machine).

It runs last (the file name sorts last): generated mutations change the shared demo data.
`make soak` runs it with SOAK=1 (20,000 operations); FUZZ_EXAMPLES overrides either size.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import graphql
import httpx
import pytest
import websockets
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis_graphql import nodes, strategies as gql

from backend.models import NotificationPreferences
from backend.schema.errors import MASKED_MESSAGE
from backend.settings import REPO_ROOT

SOAK = os.environ.get("SOAK") == "1"
HTTP_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or (20_000 if SOAK else 2_000))
WS_EXAMPLES = max(50, HTTP_EXAMPLES // 20)
SLOWEST_SECONDS = 2.0
ROLES = ("none", "citizen", "staff")

SCHEMA = graphql.build_schema((REPO_ROOT / "schema.graphql").read_text(encoding="utf-8"))
# Values a person or a careless client would send for our custom scalars, valid and not.
CUSTOM_SCALARS = {
    "DateTime": st.sampled_from(["2026-12-02T10:00:00+08:00", "2026-12-02T02:00:00Z", "not a time", "",
                                 "9999-12-31T23:59:59", "2026-02-30T10:00:00"]).map(nodes.String),
    "Date": st.sampled_from(["2026-12-03", "2026-02-30", "0001-01-01", "x", "", "2027-13-01"]).map(nodes.String),
}
# One strategy per root field keeps each document small and the generator fast.
OPERATIONS = st.one_of(
    [gql.queries(SCHEMA, fields=[name], custom_scalars=CUSTOM_SCALARS) for name in SCHEMA.query_type.fields]
    + [gql.mutations(SCHEMA, fields=[name], custom_scalars=CUSTOM_SCALARS) for name in SCHEMA.mutation_type.fields]
)
STABLE_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# What leaks when an exception's text reaches a client.
EXCEPTION_TEXT = re.compile(
    r"Traceback|File \"|line \d+, in|object has no attribute|unexpected keyword|"
    r"\b(KeyError|ValueError|TypeError|AttributeError|IndexError|OverflowError|RecursionError|"
    r"IntegrityError|OperationalError|DoesNotExist|UnicodeEncodeError)\b|tortoise|asyncpg|sqlite",
    re.IGNORECASE,
)
# CI draws the same examples every run (a red CI names a finding, not luck); a soak explores anew.
FUZZ = settings(deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                derandomize=not SOAK)


def _problems(status: int, body: bytes, elapsed: float) -> list[str]:
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    if elapsed > SLOWEST_SECONDS:
        found.append(f"took {elapsed:.2f} s")
    try:
        answer = json.loads(body)
    except ValueError:
        return found + [f"not JSON: {body[:200]!r}"]
    if not isinstance(answer, dict) or not ({"data", "errors"} & answer.keys()):
        return found + [f"not a GraphQL answer: {str(answer)[:200]}"]
    for error in answer.get("errors") or []:
        found += _error_problems(error)
    return found


def _error_problems(error: Any) -> list[str]:
    if not isinstance(error, dict):
        return [f"error is not an object: {error!r}"]
    message = str(error.get("message", ""))
    found = []
    if message == MASKED_MESSAGE:
        found.append("masked: an unexpected failure (see the server log)")
    if EXCEPTION_TEXT.search(message):
        found.append(f"exception text: {message[:200]}")
    code = (error.get("extensions") or {}).get("code")
    if not isinstance(code, str) or not STABLE_CODE.match(code):
        found.append(f"no stable extensions.code: {message[:120]!r} {error.get('extensions')!r}")
    return found


def _headers(role: str, token: Callable[..., str]) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/graphql-response+json"}
    if role != "none":
        headers["Authorization"] = f"Bearer {token(role)}"
    return headers


STATS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
async def personas_choices_restored(app: object) -> AsyncIterator[None]:
    """Generated mutations change what the personas chose: updateNotificationPreferences with no
    push kinds (or quiet hours now) left the citizen with no push, and a test run after this file
    waited for a push that never came (tests/test_ratings_tokens.py). Put every choice back."""
    before = await NotificationPreferences.all().values()
    yield
    await NotificationPreferences.all().delete()
    await NotificationPreferences.bulk_create([NotificationPreferences(**row) for row in before])


@settings(FUZZ, max_examples=HTTP_EXAMPLES)
@given(document=OPERATIONS, role=st.sampled_from(ROLES))
async def test_generated_operations_never_crash(client: httpx.AsyncClient, token: Callable[..., str],
                                                document: str, role: str) -> None:
    answer, elapsed = await _post(client, document, _headers(role, token))
    if elapsed > SLOWEST_SECONDS:  # once more, so a pause of the shared machine is not a finding
        answer, elapsed = await _post(client, document, _headers(role, token))
    STATS[f"HTTP {answer.status_code}"] += 1
    STATS["slowest ms"] = max(STATS["slowest ms"], round(elapsed * 1000))
    assert _problems(answer.status_code, answer.content, elapsed) == [], f"[{role}] {' '.join(document.split())}"


async def _post(client: httpx.AsyncClient, document: str, headers: dict[str, str]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = await client.post("/graphql", content=json.dumps({"query": document}).encode(), headers=headers)
    return answer, time.perf_counter() - started


def test_the_http_battery_ran_in_full() -> None:
    print(f"\nfuzz statistics: {dict(STATS)}")
    assert sum(n for key, n in STATS.items() if key.startswith("HTTP")) >= HTTP_EXAMPLES


# Subscriptions: hypothesis-graphql writes queries and mutations only, so the documents are built
# here from generated argument values, and sent as the PWA sends them.
SUBSCRIPTION_DOCUMENTS = {
    "caseProgress": "subscription($after: String, $caseNumber: String) "
                    "{ caseProgress(after: $after, caseNumber: $caseNumber) { id kind } }",
    "notificationAdded": "subscription($after: String) { notificationAdded(after: $after) { id kind } }",
}
ODD_TEXT = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["", "0", "-1", "9" * 40, "\x00", "../"]))


def test_every_subscription_is_fuzzed() -> None:
    assert set(SCHEMA.subscription_type.fields) == set(SUBSCRIPTION_DOCUMENTS)


@settings(FUZZ, max_examples=WS_EXAMPLES)
@given(field=st.sampled_from(sorted(SUBSCRIPTION_DOCUMENTS)), role=st.sampled_from(ROLES),
       after=ODD_TEXT, case_number=ODD_TEXT, junk_variables=st.booleans())
async def test_generated_subscriptions_never_crash(ws_url: str, token: Callable[..., str], field: str, role: str,
                                                   after: str | None, case_number: str | None,
                                                   junk_variables: bool) -> None:
    variables: Any = [after] if junk_variables else {"after": after, "caseNumber": case_number}
    outcome = await _subscribe_once(ws_url, token(role) if role != "none" else "", SUBSCRIPTION_DOCUMENTS[field],
                                    variables)
    STATS[f"WS {outcome.split(':')[0]}"] += 1
    assert not outcome.startswith("problem"), f"[{role}] {field} {variables!r}: {outcome}"


async def _subscribe_once(url: str, bearer: str, query: str, variables: Any) -> str:
    """Subscribe and read the first answer: data, a GraphQL error, or a close with a 44xx code.
    A silent subscription (valid, nothing to replay yet) is fine too."""
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": bearer}}))
        try:
            ack = json.loads(await _recv(ws))
        except websockets.ConnectionClosed as closed:
            return _closed(closed)
        if ack.get("type") != "connection_ack":
            return f"problem: no ack: {ack}"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        try:
            message = json.loads(await _recv(ws, timeout=0.3))
        except TimeoutError:
            return "silent"
        except websockets.ConnectionClosed as closed:
            return _closed(closed)
        if message.get("type") == "error":
            problems = [p for error in message.get("payload") or [] for p in _error_problems(error)]
            return f"problem: {problems}" if problems else "error"
        if message.get("type") == "next":
            errors = (message.get("payload") or {}).get("errors") or []
            problems = [p for error in errors for p in _error_problems(error)]
            return f"problem: {problems}" if problems else "next"
        return "other"


async def _recv(ws: websockets.ClientConnection, *, timeout: float = 5.0) -> str | bytes:
    try:
        return await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        raise TimeoutError from None


def _closed(closed: websockets.ConnectionClosed) -> str:
    code = closed.rcvd.code if closed.rcvd else None
    # 44xx are the protocol's answers to a client's mistake; 1011 would be a server crash.
    return f"closed {code}" if code and 4400 <= code < 4500 else f"problem: closed {code}"

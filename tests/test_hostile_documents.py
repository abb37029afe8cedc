"""Issue 18, parts 1-3: hostile documents, malformed bodies and the client's own variable
mistakes. Each is refused with a GraphQL-shaped error that names the problem, before the work
it would have caused; hostile ones are logged once on `backend.refused`, without the payload."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace

import httpx
import pytest
import websockets
from graphql import Lexer, Source, TokenKind, get_introspection_query, parse
from starlette.applications import Starlette
from strawberry.extensions.validation_cache import _get_validate_cache

from backend.app import create_app
from backend.schema.errors import DocumentRefused
from backend.schema.limits import DocumentLimits, check_document, check_tokens
from backend.settings import Settings, SettingsError, load_settings
from tests.helpers import gql

JSON = {"content-type": "application/json", "accept": "application/graphql-response+json"}
SECRET = "610103199001011234"  # stands for anything personal a payload may carry
LIMITS = DocumentLimits(max_tokens=1000, max_depth=15, max_aliases=30, max_cost=1000, max_fragment_spreads=100,
                        max_repeated_fields=20)


def exponential(levels: int, *, name: str = "X") -> str:
    fragments = [f"fragment {name}0 on Query {{ webPushPublicKey }}"]
    fragments += [f"fragment {name}{i} on Query {{ ...{name}{i - 1} ...{name}{i - 1} }}" for i in range(1, levels + 1)]
    return f"query {{ ...{name}{levels} }} " + " ".join(fragments)


def refused(limit: str, maximum: int) -> dict[str, object]:
    return {"code": "QUERY_TOO_COMPLEX", "limit": limit, "max": maximum}


def validations() -> int:
    # The shared validation cache (maxsize 512, as build_schema makes it): its misses are the
    # documents that were validated.
    return _get_validate_cache(512).cache_info().misses


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING, logger="backend.refused")
    yield caplog


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "backend.refused"]


@pytest.fixture
async def dev_client(settings: Settings, app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    # Introspection is on only in dev; shares the ORM and bus of the session app.
    dev = create_app(replace(settings, app_env="dev"), identity=app.state.identity)
    dev.state.bus = app.state.bus
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev), base_url="http://t") as http:
        yield http


def limited_client(settings: Settings, app: Starlette, **limits: int) -> httpx.AsyncClient:
    limited = create_app(replace(settings, **limits), identity=app.state.identity)
    limited.state.bus = app.state.bus
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://t")


# ---------------------------------------------------------------- part 1: document cost


def test_the_limits_are_settings() -> None:
    defaults = load_settings({})
    assert (defaults.graphql_max_depth, defaults.graphql_max_aliases, defaults.graphql_max_tokens,
            defaults.graphql_max_cost, defaults.graphql_max_fragment_spreads, defaults.graphql_max_repeated_fields,
            defaults.graphql_max_request_bytes) == (15, 30, 1000, 1000, 100, 20, 65536)
    chosen = load_settings({"GRAPHQL_MAX_DEPTH": "8", "GRAPHQL_MAX_COST": "300", "GRAPHQL_MAX_REQUEST_BYTES": "4096"})
    assert (chosen.graphql_max_depth, chosen.graphql_max_cost, chosen.graphql_max_request_bytes) == (8, 300, 4096)
    with pytest.raises(SettingsError, match="^GRAPHQL_MAX_REQUEST_BYTES must be between 1024 and 16777216, got 10$"):
        load_settings({"GRAPHQL_MAX_REQUEST_BYTES": "10"})


async def test_exponential_fragments_are_refused_without_validating(
        client: httpx.AsyncClient, refusals: pytest.LogCaptureFixture) -> None:
    before = validations()
    response = await gql(client, exponential(20))
    assert response.status_code == 400
    assert response.json() == {"errors": [{
        "message": "'anonymous' spreads fragments 2097151 times once expanded. Allowed: 100",
        "extensions": refused("fragmentSpreads", 100)}]}
    assert validations() == before  # graphql-core's rules never saw it
    [line] = refusal_lines(refusals)
    assert line.levelname == "WARNING"
    assert line.getMessage() == (f"refused too_costly request from 127.0.0.1 to /graphql "
                                 f"({len(exponential(20))} bytes): limit=fragmentSpreads max=100")


def test_the_measure_is_linear_in_fragment_spreads() -> None:
    # 2^61 expansions: an expanding walk would never finish; the memoised one answers at once.
    limits = replace(LIMITS, max_cost=10**30, max_fragment_spreads=10**30, max_repeated_fields=10**15)
    with pytest.raises(DocumentRefused) as refusal:
        check_document(parse(exponential(60)), limits)
    assert str(refusal.value) == "'anonymous' asks for 'webPushPublicKey' 1152921504606846976 times in one " \
                                 "selection set. Allowed: 1000000000000000"


async def test_repeated_fields_are_refused_without_validating(client: httpx.AsyncClient) -> None:
    twenty = "{ " + "departments { name } " * 20 + "}"
    assert (await gql(client, twenty)).status_code == 200
    before = validations()
    response = await gql(client, "{ " + "departments { name } " * 240 + "}")
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "message": "'anonymous' asks for 'departments' 240 times in one selection set. Allowed: 20",
        "extensions": refused("repeatedFields", 20)}]
    assert validations() == before


async def test_repeated_fields_count_through_fragments(client: httpx.AsyncClient) -> None:
    query = "{ " + "...D " * 21 + "} fragment D on Query { departments { name } }"
    response = await gql(client, query)
    assert response.json()["errors"] == [{
        "message": "'anonymous' asks for 'departments' 21 times in one selection set. Allowed: 20",
        "extensions": refused("repeatedFields", 20)}]


async def test_cost_counts_fields_once_fragments_are_expanded(settings: Settings, app: Starlette) -> None:
    async with limited_client(settings, app, graphql_max_cost=5) as http:
        five = "{ ...D serviceHalls { name } } fragment D on Query { departments { name code } }"
        assert (await gql(http, five)).status_code == 200
        response = await gql(http, "query Six { ...D ...H } fragment D on Query { departments { name code } } "
                                   "fragment H on Query { serviceHalls { name address } }")
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "message": "'Six' selects 6 fields once fragments are expanded. Allowed: 5",
        "extensions": refused("cost", 5)}]


async def test_depth_counts_introspection_fields(dev_client: httpx.AsyncClient) -> None:
    # strawberry's QueryDepthLimiter skips every field starting with "__".
    query = '{ __type(name: "Query") { ' + "ofType { " * 19 + "name" + " }" * 20 + " }"
    response = await gql(dev_client, query)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"message": "'anonymous' exceeds maximum operation depth of 15",
                                          "extensions": refused("depth", 15)}]


async def test_graphiql_introspection_still_fits_the_limits(dev_client: httpx.AsyncClient) -> None:
    response = await gql(dev_client, get_introspection_query(descriptions=True))
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_aliases_inside_spread_fragments_count_per_spread(client: httpx.AsyncClient) -> None:
    query = "{ ...A ...B } fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(16)) + \
            " } fragment B on Query { ...A }"
    response = await gql(client, query)
    assert response.json()["errors"] == [{"message": "32 aliases found. Allowed: 30",
                                          "extensions": refused("aliases", 30)}]


async def test_tokens_are_counted_before_parsing(client: httpx.AsyncClient,
                                                 refusals: pytest.LogCaptureFixture) -> None:
    response = await gql(client, "{ " + "__typename " * 999 + "}")  # 1001 tokens
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "message": "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
        "extensions": refused("tokens", 1000)}]
    assert [r.getMessage().rsplit(": ", 1)[1] for r in refusal_lines(refusals)] == ["limit=tokens max=1000"]


def test_tokens_are_counted_as_graphql_core_counts_them() -> None:
    # The count must never refuse what the parser's own limit would accept.
    tricky = ('query Q($a: String = "x\\"y", $n: [Int!] = [1, -2.5e3]) { a(b: """block "" \\""" q""", '
              'c: {d: $a}) @skip(if: false) { ...F ... on T { g } } } # a comment { { {\nfragment F on T { h }')
    for text in (tricky, get_introspection_query(descriptions=True), get_introspection_query() + " " * 2000):
        tokens = 0
        lexer = Lexer(Source(text))
        while lexer.advance().kind is not TokenKind.EOF:
            tokens += 1
        check_tokens(text, replace(LIMITS, max_tokens=tokens))
        with pytest.raises(DocumentRefused):
            check_tokens(text, replace(LIMITS, max_tokens=tokens - 1))


async def test_the_validation_cache_still_hits(client: httpx.AsyncClient) -> None:
    query = "{ serviceHalls { name } departments { code } }"
    await gql(client, query)
    hits = _get_validate_cache(512).cache_info().hits
    assert (await gql(client, query)).status_code == 200
    assert _get_validate_cache(512).cache_info().hits == hits + 1


async def test_document_errors_carry_a_code(client: httpx.AsyncClient) -> None:
    syntax = await gql(client, "{ departments( }")
    assert syntax.json()["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    unknown = await gql(client, "{ nothingHere }")
    assert unknown.json()["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


# ---------------------------------------------------------------- part 2: malformed bodies


def malformed(detail: str) -> dict[str, object]:
    return {"errors": [{"message": f"请求格式不正确：{detail}", "extensions": {"code": "BAD_REQUEST"}}]}


@pytest.mark.parametrize("body", [b"42", b'"str"', b"null", b"true", b"4.5"])
async def test_a_body_that_is_not_an_object_is_400(client: httpx.AsyncClient, body: bytes,
                                                   refusals: pytest.LogCaptureFixture) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert (response.status_code, response.json()) == (400, malformed("正文须是一个 JSON 对象，含 query 字段"))
    [line] = refusal_lines(refusals)
    assert line.getMessage().startswith(f"refused malformed request from 127.0.0.1 to /graphql ({len(body)} bytes)")


async def test_a_batch_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b'[{"query": "{ __typename }"}]', headers=JSON)
    assert (response.status_code, response.json()) == (400, malformed("不支持批量请求，正文须是一个 JSON 对象"))


async def test_deeply_nested_variables_are_400(client: httpx.AsyncClient) -> None:
    body = '{"query": "query($x: [Int]) { __typename }", "variables": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"
    response = await client.post("/graphql", content=body.encode(), headers=JSON)
    assert (response.status_code, response.json()) == (400, malformed("正文的 JSON 嵌套过深"))


async def test_a_body_that_is_not_utf8_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content='{"query": "{ __typename }"}'.encode("utf-16"), headers=JSON)
    assert (response.status_code, response.json()) == (400, malformed("正文不是 UTF-8 编码"))


async def test_fields_of_the_wrong_type_are_400(client: httpx.AsyncClient) -> None:
    for body, detail in ((({"query": 42}), "query 须是字符串"),
                         ({"query": "{ __typename }", "variables": [1]}, "variables 须是 JSON 对象"),
                         ({"query": "{ __typename }", "operationName": {"a": 1}}, "operationName 须是字符串"),
                         ({"query": "{ __typename }", "extensions": "x"}, "extensions 须是 JSON 对象")):
        response = await client.post("/graphql", json=body, headers={"accept": JSON["accept"]})
        assert (response.status_code, response.json()) == (400, malformed(detail)), body


async def test_get_variables_that_are_not_json_are_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": "{x"},
                                headers={"accept": JSON["accept"]})
    assert (response.status_code, response.json()) == (400, malformed("参数 variables 不是有效的 JSON"))


async def test_the_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    for headers in ({"content-type": "text/plain"}, {}):
        response = await client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
        assert (response.status_code, response.json()) == (415, {"errors": [{
            "message": "不支持的内容类型，请使用 application/json", "extensions": {"code": "UNSUPPORTED_MEDIA_TYPE"}}]})


class Body:
    """A request body in 16 KiB chunks that counts how many the server took."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.taken = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = json.dumps({"query": "{ __typename }", "variables": {"pad": ""}})[:-3].encode()
        yield head
        for _ in range(self.chunks):
            self.taken += 1
            yield SECRET.encode() * 900  # 16,200 bytes


async def test_a_large_declared_body_is_refused_unread(client: httpx.AsyncClient,
                                                       refusals: pytest.LogCaptureFixture) -> None:
    body = Body(64)
    response = await client.post("/graphql", content=body, headers={**JSON, "content-length": "1037000"})
    assert (response.status_code, response.json()) == (413, {"errors": [{
        "message": "请求过大：不能超过 65536 字节", "extensions": {"code": "REQUEST_TOO_LARGE"}}]})
    assert body.taken == 0
    [line] = refusal_lines(refusals)
    assert line.getMessage() == ("refused too_large request from 127.0.0.1 to /graphql (1037000 bytes): "
                                 "Content-Length over 65536 bytes")
    assert SECRET not in refusals.text


async def test_a_large_chunked_body_is_refused_while_counting(client: httpx.AsyncClient,
                                                              refusals: pytest.LogCaptureFixture) -> None:
    body = Body(64)  # about 1 MB, no Content-Length
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert body.taken == 5  # 16 KiB chunks until past 64 KiB, not the rest
    [line] = refusal_lines(refusals)
    assert "refused too_large request" in line.getMessage() and SECRET not in refusals.text


async def test_a_long_query_string_is_414(settings: Settings, app: Starlette) -> None:
    async with limited_client(settings, app, graphql_max_request_bytes=1024) as http:
        small = await gql(http, "{ departments { name } }", method="GET")
        assert small.status_code == 200
        response = await gql(http, "{ departments { name } }" + " " * 1024, method="GET")
    assert (response.status_code, response.json()) == (414, {"errors": [{
        "message": "请求地址过长：查询参数不能超过 1024 字节，较大的请求请用 POST",
        "extensions": {"code": "REQUEST_TOO_LARGE"}}]})


async def test_a_refused_document_is_logged_once_without_its_payload(
        client: httpx.AsyncClient, refusals: pytest.LogCaptureFixture) -> None:
    query = exponential(20, name="Secret") + " query Named($x: String) { __typename }"
    await client.post("/graphql", json={"query": query, "operationName": "Named", "variables": {"x": SECRET}},
                      headers={"accept": JSON["accept"]})
    [line] = refusal_lines(refusals)
    assert line.refused_kind == "too_costly"  # type: ignore[attr-defined]
    assert SECRET not in refusals.text and "Secret" not in refusals.text


# ---------------------------------------------------------------- part 3: the client's mistakes


async def test_variables_that_do_not_coerce_are_the_clients_error(
        client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    grant = "mutation($i: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $i) { __typename } }"
    given = {"uscc": "x", "agentIdNumber": "y", "scope": []}
    cases = [
        ("query($n: Int) { serviceItems(first: $n) { totalCount } }", {"n": 2147483648},
         "Variable '$n' has invalid value: Int cannot represent non 32-bit signed integer value: 2147483648"),
        ("query($s: [CaseStatus!]) { myCases(status: $s) { totalCount } }", {"s": ["NOPE"]},
         "Variable '$s' has invalid value at [0]: Value 'NOPE' does not exist in 'CaseStatus' enum."),
        ("query($c: String!) { serviceItem(code: $c) { name } }", {"c": {"a": 1}},
         "Variable '$c' has invalid value: String cannot represent a non string value: {'a': 1}"),
        ("mutation($id: ID!) { removePushDevice(id: $id) { __typename } }", {"id": 1.5},
         "Variable '$id' has invalid value: ID cannot represent value: 1.5"),
        (grant, {"i": given},
         "Variable '$i' has invalid value: Expected value of type 'GrantAgentAuthorityInput' to include required "
         "field 'expiresAt', found: {'uscc': 'x', 'agentIdNumber': 'y', 'scope': []}."),
        (grant, {"i": {**given, "expiresAt": "2030-01-01T00:00:00+08:00", "nope": 1}},
         "Variable '$i' has invalid value: Expected value of type 'GrantAgentAuthorityInput' not to include unknown "
         "field 'nope'. Did you mean 'scope'? Found: {'uscc': 'x', 'agentIdNumber': 'y', 'scope': [], "
         "'expiresAt': '2030-01-01T00:00:00+08:00', 'nope': 1}."),
    ]
    caplog.set_level(logging.INFO)
    for query, variables, message in cases:
        response = await gql(client, query, variables)
        assert response.status_code == 400, message
        [error] = response.json()["errors"]
        assert (error["message"], error["extensions"]) == (message, {"code": "BAD_USER_INPUT"})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text


async def test_a_subscription_over_http_is_the_clients_error(client: httpx.AsyncClient,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    for method in ("POST", "GET"):
        response = await gql(client, "subscription { caseProgress { id } }", method=method)
        assert (response.status_code, response.json()) == (400, {"errors": [{
            "message": "订阅只能通过 WebSocket（graphql-transport-ws）进行", "extensions": {"code": "BAD_REQUEST"}}]})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_bad_datetime_variable_is_the_clients_error(client: httpx.AsyncClient) -> None:
    query = "mutation($i: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $i) { __typename } }"
    response = await gql(client, query, {"i": {"uscc": "x", "agentIdNumber": "y", "scope": [], "expiresAt": "soon"}})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith("Variable '$i' has invalid value at .expiresAt: ")


# ---------------------------------------------------------------- the same limits over graphql-transport-ws


async def test_subscriptions_get_the_same_refusals(ws_url: str, token: Callable[..., str],
                                                   refusals: pytest.LogCaptureFixture) -> None:
    spreads = exponential(20).replace("query {", "subscription {", 1)
    long = "subscription { " + "caseProgress { id } " * 300 + "}"  # 1,500 tokens
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token("citizen")}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": spreads}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"id": "1", "type": "error", "payload": [{
            "message": "'anonymous' spreads fragments 2097151 times once expanded. Allowed: 100",
            "extensions": refused("fragmentSpreads", 100)}]}
        # graphql-transport-ws answers a document that does not parse by closing the socket.
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": long}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4400, "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.")
    assert [r.getMessage().rsplit(": ", 1)[1] for r in refusal_lines(refusals)] == [
        "limit=fragmentSpreads max=100", "limit=tokens max=1000"]

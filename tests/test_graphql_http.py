"""GraphQL over HTTP: media types, status codes, limits, masking, caching, dev-only tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette

from backend.app import create_app
from backend.services.catalog import items as catalog
from backend.settings import Settings
from tests.helpers import gql

LIST = "{ departments { name } }"


async def test_post_query_answers_graphql_response_json(client: httpx.AsyncClient) -> None:
    response = await gql(client, LIST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert response.json()["data"]["departments"][0]["name"] == "市发改委"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json, */*;q=0.5"])
async def test_clients_that_do_not_ask_for_graphql_response_json_get_application_json(
        client: httpx.AsyncClient, accept: str | None) -> None:
    headers = {"accept": accept} if accept is not None else {}
    request = client.build_request("POST", "/graphql", json={"query": LIST}, headers=headers)
    if accept is None:
        del request.headers["accept"]  # httpx sends */* by default
    response = await client.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"]["departments"][0]["name"] == "市发改委"


async def test_legacy_json_clients_get_application_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ departments( }"}, headers={"accept": "application/json"})
    assert response.status_code == 200  # legacy watermark: errors in the body, 200 status
    assert response.headers["content-type"].startswith("application/json")
    assert "errors" in response.json()


async def test_get_query_works_and_get_mutation_is_refused(client: httpx.AsyncClient) -> None:
    assert (await gql(client, LIST, method="GET")).status_code == 200
    response = await client.get("/graphql", params={"query": "mutation { x }"},
                                headers={"accept": "application/graphql-response+json"})
    assert response.status_code in (400, 405)
    assert "errors" in response.json()


async def test_syntax_error_is_400_without_data(client: httpx.AsyncClient) -> None:
    response = await gql(client, "{ departments( }")
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")


async def test_unknown_field_is_400(client: httpx.AsyncClient) -> None:
    response = await gql(client, "{ nothingHere }")
    assert response.status_code == 400
    assert "Cannot query field 'nothingHere'" in response.json()["errors"][0]["message"]


async def test_body_that_is_not_json_is_400_in_graphql_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{bad", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"message": "请求格式不正确：正文不是有效的 JSON",
                                            "extensions": {"code": "BAD_REQUEST"}}


async def test_depth_limit(settings: Settings, app: Starlette) -> None:
    # The catalog has no cycles, so test the guard with a lowered limit.
    shallow = create_app(replace(settings, graphql_max_depth=4), identity=app.state.identity)
    shallow.state.bus = app.state.bus
    deep = "{ serviceItems { edges { node { guide { materials { name } } } } } }"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shallow), base_url="http://t") as http:
        assert (await gql(http, "{ serviceItems { edges { node { name } } } }")).status_code == 200
        response = await gql(http, deep)
    assert response.status_code == 400
    assert "exceeds maximum operation depth of 4" in response.json()["errors"][0]["message"]


async def test_alias_limit(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: departments {{ name }}" for i in range(31)) + " }"
    response = await gql(client, query)
    assert response.status_code == 400
    assert "aliases" in response.json()["errors"][0]["message"]


async def test_token_limit(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join("departments { name }" for _ in range(1500)) + " }"
    response = await gql(client, query)
    assert response.status_code == 400
    assert "token" in response.json()["errors"][0]["message"].lower()


async def test_unexpected_failure_is_masked(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken() -> list[object]:
        raise RuntimeError("connection string postgres://secret@db leaked")

    monkeypatch.setattr(catalog, "list_departments", broken)
    response = await gql(client, LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["message"] == "服务暂时不可用，请稍后重试"
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_public_catalog_query_is_cacheable_with_etag(client: httpx.AsyncClient) -> None:
    first = await gql(client, LIST, method="GET")
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    again = await client.get("/graphql", params={"query": LIST},
                             headers={"accept": "application/graphql-response+json", "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


async def test_answers_are_private_with_credentials_or_errors(client: httpx.AsyncClient) -> None:
    with_token = await gql(client, LIST, headers={"authorization": "Bearer x"})
    assert with_token.headers["cache-control"] == "no-store"
    assert "etag" not in with_token.headers
    failed = await gql(client, "{ serviceItems(first: 0) { totalCount } }")
    assert failed.headers["cache-control"] == "no-store"


@pytest.fixture
async def production_client(settings: Settings, app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    # Shares the ORM and bus the session app already set up; only the schema options differ.
    production = create_app(replace(settings, app_env="production"), identity=app.state.identity)
    production.state.bus = app.state.bus
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=production), base_url="http://t") as http:
        yield http


async def test_introspection_is_off_in_production(production_client: httpx.AsyncClient,
                                                  client: httpx.AsyncClient) -> None:
    query = "{ __schema { queryType { name } } }"
    refused = await gql(production_client, query)
    assert refused.status_code == 400
    assert "introspection" in refused.json()["errors"][0]["message"].lower()
    assert (await gql(client, query)).status_code == 400  # APP_ENV=test is not dev either


async def test_graphiql_only_in_dev(production_client: httpx.AsyncClient, settings: Settings, app: Starlette) -> None:
    page = {"accept": "text/html"}
    assert (await production_client.get("/graphql", headers=page)).status_code == 404
    dev = create_app(replace(settings, app_env="dev"), identity=app.state.identity)
    dev.state.bus = app.state.bus
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev), base_url="http://t") as http:
        response = await http.get("/graphql", headers=page)
        assert response.status_code == 200
        assert "graphiql" in response.text.lower()
        introspection = await gql(http, "{ __schema { queryType { name } } }")
        assert introspection.json()["data"]["__schema"]["queryType"]["name"] == "Query"

"""The server's cache of public catalog answers (backend/schema/response_cache.py) and automatic
persisted queries (backend/schema/view.py): a repeated public query is answered without running
it, a change to the catalog is seen at once (on another instance too, through Redis), and a
request with a token never reads or fills the cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette

from backend.app import create_app
from backend.models import Department
from backend.services.catalog.version import catalog_changed
from backend.settings import Settings

QUERY = "{ departments { id name } }"
ACCEPT = {"accept": "application/graphql-response+json"}


def _instance(settings: Settings, app: Starlette) -> Starlette:
    # Shares the ORM and bus the session app set up; only the cache is on.
    instance = create_app(replace(settings, public_response_cache_entries=100), identity=app.state.identity)
    instance.state.bus = app.state.bus
    return instance


@pytest.fixture
async def cached(settings: Settings, app: Starlette) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    instance = _instance(settings, app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=instance), base_url="http://t") as http:
        yield instance, http
    await instance.state.graphql_view.response_cache.close()


@pytest.fixture
async def department() -> AsyncIterator[Department]:
    row = await Department.all().order_by("id").first()
    assert row is not None
    original = row.name
    yield row
    await Department.filter(id=row.id).update(name=original)
    await catalog_changed()


def _names(response: httpx.Response, department: Department) -> str:
    return next(d["name"] for d in response.json()["data"]["departments"] if d["id"] == str(department.id))


async def _get(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await http.get("/graphql", params={"query": QUERY}, headers={**ACCEPT, **headers})


async def test_a_repeated_public_query_is_answered_from_the_cache_until_the_catalog_changes(
        cached: tuple[Starlette, httpx.AsyncClient], department: Department) -> None:
    _, http = cached
    first = await _get(http)
    assert first.status_code == 200 and first.headers["cache-control"].startswith("public, max-age=")
    # A write that announces nothing (bulk update): the cached answer still shows the old name,
    # so the second request did not run the query.
    await Department.filter(id=department.id).update(name="缓存测试部门")
    again = await _get(http)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    revalidated = await _get(http, **{"if-none-match": first.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert revalidated.headers["etag"] == first.headers["etag"]
    # The catalog service's announcement moves the version: the next answer is fresh.
    await catalog_changed()
    assert _names(await _get(http), department) == "缓存测试部门"
    # A row saved through the ORM announces itself.
    department.name = "缓存测试部门二"
    await department.save()
    fresh = await _get(http)
    assert _names(fresh, department) == "缓存测试部门二"
    stale = await _get(http, **{"if-none-match": first.headers["etag"]})
    assert stale.status_code == 200 and stale.headers["etag"] == fresh.headers["etag"]


async def test_a_token_bearing_query_never_reads_nor_fills_the_cache(
        cached: tuple[Starlette, httpx.AsyncClient], department: Department,
        token: Callable[..., str]) -> None:
    instance, http = cached
    cache = instance.state.graphql_view.response_cache
    signed_in = {"authorization": f"Bearer {token('citizen')}"}
    private = await _get(http, **signed_in)
    assert private.status_code == 200 and private.headers["cache-control"] == "no-store"
    assert cache._local == {}  # not filled
    public = await _get(http)
    assert len(cache._local) == 1
    await Department.filter(id=department.id).update(name="仅登录者可见的新名称")  # no announcement
    assert _names(await _get(http), department) == _names(public, department)  # the cache answers
    # ... but never a token-bearing request: it runs the query, and stores nothing.
    again = await _get(http, **signed_in)
    assert _names(again, department) == "仅登录者可见的新名称" and "etag" not in again.headers
    assert len(cache._local) == 1
    post = await http.post("/graphql", json={"query": QUERY}, headers={**ACCEPT, **signed_in})
    assert _names(post, department) == "仅登录者可见的新名称" and len(cache._local) == 1


async def test_errors_and_private_fields_are_not_cached(cached: tuple[Starlette, httpx.AsyncClient]) -> None:
    instance, http = cached
    cache = instance.state.graphql_view.response_cache
    await http.get("/graphql", params={"query": "{ serviceItems(first: 0) { totalCount } }"}, headers=ACCEPT)
    await http.get("/graphql", params={"query": "{ viewer { name } }"}, headers=ACCEPT)
    assert cache._local == {}


@pytest.mark.skipif(not __import__("os").environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
async def test_a_change_on_one_instance_is_seen_by_another_through_redis(
        settings: Settings, app: Starlette, department: Department) -> None:
    a, b = _instance(settings, app), _instance(settings, app)
    # B stands for another process: it does not hear this one's announcements, only Redis.
    b.state.graphql_view.response_cache._stop_listening()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://a") as on_a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=b), base_url="http://b") as on_b:
            before = await _get(on_b)
            await Department.filter(id=department.id).update(name="跨实例新名称")
            assert (await _get(on_b)).content == before.content  # B answers from the cache
            shared = await _get(on_a)
            assert shared.content == before.content  # A read B's entry from Redis
            await catalog_changed()  # reaches A's cache only: A moves the version in Redis
            assert _names(await _get(on_b), department) == "跨实例新名称"
    finally:
        for instance in (a, b):
            await instance.state.graphql_view.response_cache.close()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_persisted_queries_follow_apollos_protocol(client: httpx.AsyncClient) -> None:
    text = "{ departments { code } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}}
    unknown = await client.get("/graphql", params={"extensions": json.dumps(extensions)}, headers=ACCEPT)
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                         "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    registered = await client.get("/graphql", params={"query": text, "extensions": json.dumps(extensions)},
                                  headers=ACCEPT)
    assert registered.status_code == 200
    by_hash = await client.get("/graphql", params={"extensions": json.dumps(extensions)}, headers=ACCEPT)
    assert by_hash.status_code == 200 and by_hash.json() == registered.json()
    posted = await client.post("/graphql", json={"extensions": extensions}, headers=ACCEPT)
    assert posted.json() == registered.json()


async def test_a_persisted_query_hash_that_is_not_the_texts_is_refused(client: httpx.AsyncClient) -> None:
    other = "{ departments { name } }"
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": _sha(other)}}
    response = await client.get("/graphql", params={"query": "{ departments { code } }",
                                                    "extensions": json.dumps(wrong)}, headers=ACCEPT)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"message": "请求格式不正确：persistedQuery 的 sha256Hash 与查询文本不符",
                                            "extensions": {"code": "BAD_REQUEST"}}
    # Nothing was remembered under the wrong hash.
    again = await client.get("/graphql", params={"extensions": json.dumps(wrong)}, headers=ACCEPT)
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    for bad in ({"version": 2, "sha256Hash": _sha(other)}, {"version": 1, "sha256Hash": "abc"}, "x"):
        refused = await client.get("/graphql", params={"extensions": json.dumps({"persistedQuery": bad})},
                                   headers=ACCEPT)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"

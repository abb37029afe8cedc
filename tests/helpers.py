"""Small helpers shared by tests: GraphQL calls and counting database queries."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx

_COUNTING: contextvars.ContextVar[bool] = contextvars.ContextVar("counting_queries", default=False)
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"accept": "application/graphql-response+json", **(headers or {})}
    if method == "GET":
        params = {"query": query}
        if variables:
            params["variables"] = json.dumps(variables)
        return await client.get("/graphql", params=params, headers=headers)
    # \u-escaped JSON (httpx would send UTF-8): a lone surrogate, as hostile clients send it, survives.
    body = json.dumps({"query": query, "variables": variables or {}})
    return await client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})


async def gql_data(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await gql(client, query, variables)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


class QueryLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not _COUNTING.get():
            return  # background work (the case feed's re-reads) is not the block's
        text = str(record.args[0]) if record.args else record.getMessage()
        if text.lstrip().upper().startswith(SQL_VERBS):
            self.statements.append(text)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries() -> Iterator[QueryLog]:
    """Counts SQL statements tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    handler = QueryLog()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    # A context variable marks the block; tasks it starts (DataLoader batches) inherit it.
    marker = _COUNTING.set(True)
    try:
        yield handler
    finally:
        _COUNTING.reset(marker)
        logger.removeHandler(handler)
        logger.setLevel(previous)

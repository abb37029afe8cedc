"""The real app plus one plain Starlette route that does the same DB read as the benchmarked
GraphQL query, so the two can be measured side by side in one server process."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.app import create_app
from backend.services.catalog import items as catalog

GRAPHQL_QUERY = (
    "{ serviceItems(highFrequency: true, first: 12) { totalCount edges { cursor node "
    "{ code name itemTypeLabel highFrequency department { name } } } } }"
)


async def plain_catalog(_request: Request) -> JSONResponse:
    page = await catalog.list_items(high_frequency=True, first=12)
    departments = await catalog.departments_by_id([item.department_id for item in page.nodes])
    edges = [
        {"cursor": page.cursor_at(i), "node": {
            "code": item.code, "name": item.name, "itemTypeLabel": item.item_type.label,
            "highFrequency": item.high_frequency, "department": {"name": dept.name if dept else None},
        }}
        for i, (item, dept) in enumerate(zip(page.nodes, departments))
    ]
    return JSONResponse({"data": {"serviceItems": {"totalCount": page.total_count, "edges": edges}}})


def create_bench_app() -> Starlette:
    app = create_app()
    app.router.routes.insert(0, Route("/bench/plain-catalog", plain_catalog))
    return app

"""The real app plus plain Starlette routes that do the same reads as the benchmarked GraphQL
queries, so each pair can be measured side by side in one server process:

- /bench/plain-catalog: the catalog page of GRAPHQL_QUERY (no cache: what the read costs);
- /bench/plain-my-cases: MY_CASES_QUERY's reads, with the same bearer-token decoding
  (backend/auth/bearer.py: signature, claims, the user row) before them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.app import create_app
from backend.auth.bearer import AuthError, authenticate, bearer_token
from backend.services.cases import queries as cases
from backend.services.catalog import items as catalog

GRAPHQL_QUERY = (
    "{ serviceItems(highFrequency: true, first: 12) { totalCount edges { cursor node "
    "{ code name itemTypeLabel highFrequency department { name } } } } }"
)
MY_CASES_QUERY = (
    "{ myCases(first: 20) { totalCount edges { cursor node { number status statusLabel submittedAt "
    "item { code name } } } } }"
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


async def plain_my_cases(request: Request) -> JSONResponse:
    try:
        signed_in = await authenticate(request.app.state.identity, bearer_token(request.headers.get("authorization", "")))
    except AuthError as error:
        return JSONResponse({"errors": [{"message": error.message}]}, status_code=401)
    page = await cases.my_cases(user=signed_in.user, first=20)
    items = await cases.items_by_id([row.item_id for row in page.nodes])
    edges = [
        {"cursor": page.cursor_at(i), "node": {
            "number": row.number, "status": row.status.name, "statusLabel": row.status.label,
            "submittedAt": row.submitted_at.isoformat(), "item": {"code": item.code, "name": item.name},
        }}
        for i, (row, item) in enumerate(zip(page.nodes, items))
    ]
    return JSONResponse({"data": {"myCases": {"totalCount": page.total_count, "edges": edges}}})


async def make_cases(request: Request) -> JSONResponse:
    """Bench setup only: 20 accepted cases for the signed-in person (tests/factories.py)."""
    from backend.models import ServiceItem
    from tests.factories import make_cases as factory

    signed_in = await authenticate(request.app.state.identity, bearer_token(request.headers.get("authorization", "")))
    item = await ServiceItem.all().order_by("id").first()
    await factory(applicant=signed_in.user, item=item, count=20)
    return JSONResponse({"ok": True})


def create_bench_app() -> Starlette:
    app = create_app()
    for route in (Route("/bench/plain-catalog", plain_catalog), Route("/bench/plain-my-cases", plain_my_cases),
                  Route("/bench/make-cases", make_cases, methods=["POST"])):
        app.router.routes.insert(0, route)
    return app

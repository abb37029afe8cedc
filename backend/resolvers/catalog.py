from __future__ import annotations

import strawberry

from backend.resolvers.errors import user_errors
from backend.resolvers.pagination import page_info
from backend.schema.types.catalog import (
    Audience,
    Department,
    ItemType,
    ServiceHall,
    ServiceItem,
    ServiceItemConnection,
    ServiceItemEdge,
)
from backend.services.catalog import items as catalog


@user_errors
async def service_items(
    search: str | None = None,
    item_type: ItemType | None = None,
    department_id: strawberry.ID | None = None,
    audience: Audience | None = None,
    high_frequency: bool | None = None,
    first: int = 20,
    after: str | None = None,
) -> ServiceItemConnection:
    page = await catalog.list_items(
        search=search, item_type=item_type, department_id=department_id, audience=audience,
        high_frequency=high_frequency, first=first, after=after,
    )
    edges = [
        ServiceItemEdge(cursor=page.cursor_at(index), node=ServiceItem.from_model(row))
        for index, row in enumerate(page.nodes)
    ]
    return ServiceItemConnection(edges=edges, total_count=page.total_count, page_info=page_info(page))


async def service_item(code: str) -> ServiceItem | None:
    row = await catalog.get_item(code=code)
    return ServiceItem.from_model(row) if row else None


async def departments() -> list[Department]:
    return [Department.from_model(row) for row in await catalog.list_departments()]


async def service_halls() -> list[ServiceHall]:
    return [ServiceHall.from_model(row) for row in await catalog.list_halls()]

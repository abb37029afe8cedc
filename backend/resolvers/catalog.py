from __future__ import annotations

import strawberry

from backend.models import Department as DepartmentModel
from backend.models import ServiceItem as ServiceItemModel
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import record_id, record_key, search_text
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
from backend.services.pagination import Page, check_page_size, decode_cursor


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
    department = None
    if department_id is not None:
        department = record_id(department_id, model=DepartmentModel, field="departmentId", message="部门编号格式不正确")
    if department_id is not None and department is None:  # no such department: nothing in it
        page: Page[ServiceItemModel] = Page(nodes=[], offset=decode_cursor(after) if after else 0, total_count=0)
        check_page_size(first)
    else:
        page = await catalog.list_items(
            search=search_text(search) if search is not None else None, item_type=item_type,
            department_id=str(department) if department is not None else None, audience=audience,
            high_frequency=high_frequency, first=first, after=after,
        )
    edges = [
        ServiceItemEdge(cursor=page.cursor_at(index), node=ServiceItem.from_model(row))
        for index, row in enumerate(page.nodes)
    ]
    return ServiceItemConnection(edges=edges, total_count=page.total_count, page_info=page_info(page))


@user_errors
async def service_item(code: str) -> ServiceItem | None:
    key = record_key(code, model=ServiceItemModel, column="code", field="code", message="事项编码格式不正确")
    row = await catalog.get_item(code=key) if key else None
    return ServiceItem.from_model(row) if row else None


async def departments() -> list[Department]:
    return [Department.from_model(row) for row in await catalog.list_departments()]


async def service_halls() -> list[ServiceHall]:
    return [ServiceHall.from_model(row) for row in await catalog.list_halls()]

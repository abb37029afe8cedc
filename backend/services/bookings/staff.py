"""Which hall staff may manage what (docs/BOOKINGS.md, "Who manages a hall").

A hall has no department of its own: departments station windows in it. So window staff
(role STAFF) of a department manage the bookings of *their department's items* at every hall
that handles those items — the day's list, check-in — and the slot length, places and window
of those items. Hall-wide settings (opening hours, closures) may be changed by the staff of any
department stationed at the hall, since they speak for the hall at its windows.
"""

from __future__ import annotations

from backend.models import BookableItem, ServiceHall, ServiceItem, User
from backend.models.identity import Role
from backend.services.errors import NotFoundError, NotPermittedError


def require_staff(actor: User) -> int:
    if Role.STAFF not in actor.roles or actor.department_id is None:
        raise NotPermittedError("只有窗口工作人员可以管理大厅预约")
    return actor.department_id


async def hall_of(hall_id: int) -> ServiceHall:
    hall = await ServiceHall.get_or_none(id=hall_id)
    if hall is None:
        raise NotFoundError("服务大厅不存在")
    return hall


async def department_items_at(*, actor: User, hall_id: int) -> list[ServiceItem]:
    """The actor's department's items that the hall handles; NotPermitted when none."""
    department_id = require_staff(actor)
    await hall_of(hall_id)
    items = await ServiceItem.filter(department_id=department_id, halls__id=hall_id).order_by("sort_order", "id")
    if not items:
        raise NotPermittedError("你所在部门未在该大厅设窗口，不能管理该大厅的预约")
    return list(items)


async def manages_item(*, actor: User, hall_id: int, item_id: int) -> bool:
    if Role.STAFF not in actor.roles or actor.department_id is None:
        return False
    return await BookableItem.filter(hall_id=hall_id, item_id=item_id,
                                     item__department_id=actor.department_id).exists()

"""Reading cases: one case, lists for applicants, enterprises and staff, what the viewer may do,
and batch loaders so a page of cases costs a fixed number of queries."""

from __future__ import annotations

from typing import Sequence

from backend.models import Case, CaseEvent, CaseMaterial, ELicense, Enterprise, ServiceItem, Upload, User
from backend.models.cases import CaseStatus
from backend.services.batch import grouped, in_key_order
from backend.services.cases.access import CaseScope, case_scope, item_code, staff_department
from backend.services.cases.lifecycle import SUPPLEMENTABLE, can_move
from backend.services.errors import NotPermittedError
from backend.services.identity.accounts import enterprise_access
from backend.services.pagination import Page, check_page_size, decode_cursor

S = CaseStatus
# What each action needs: a status the case can move to, and who may take it.
STAFF_ACTIONS = {
    "ACCEPT": S.ACCEPTED, "REQUEST_SUPPLEMENT": S.SUPPLEMENT_REQUESTED, "START_REVIEW": S.UNDER_REVIEW,
    "APPROVE": S.APPROVED, "REJECT": S.REJECTED, "DELIVER": S.DELIVERED,
}


async def get_case(*, viewer: User, number: str) -> tuple[Case, CaseScope] | None:
    case = await Case.get_or_none(number=number.strip())
    if case is None:
        return None
    scope = await case_scope(user=viewer)
    return (case, scope) if scope.sees(case, item_code=await item_code(case.item_id)) else None


def allowed_actions(case: Case, scope: CaseScope, *, owed: bool, item_code: str) -> list[str]:
    actions: list[str] = []
    if scope.is_staff_of(case):
        actions += [name for name, target in STAFF_ACTIONS.items() if can_move(case.status, target)]
        if owed and "APPROVE" in actions:
            actions.remove("APPROVE")  # 容缺 materials first
        if case.overdue_at is not None and not case.status.is_final:
            actions.append("EXPLAIN_OVERDUE")
    if case.applicant_id == scope.user.id or scope.acts_for_enterprise(case, item_code=item_code):
        if can_move(case.status, S.WITHDRAWN):
            actions.append("WITHDRAW")
        if owed and case.status in SUPPLEMENTABLE:
            actions.append("SUPPLEMENT")
    return actions


async def _page(query, *, first: int, after: str | None) -> Page[Case]:  # type: ignore[no-untyped-def]
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    total = await query.count()
    rows = await query.order_by("-id").offset(offset).limit(first)
    return Page(nodes=rows, offset=offset, total_count=total)


async def my_cases(*, user: User, first: int = 20, after: str | None = None,
                   statuses: Sequence[CaseStatus] = ()) -> Page[Case]:
    query = Case.filter(applicant=user)
    if statuses:
        query = query.filter(status__in=list(statuses))
    return await _page(query, first=first, after=after)


async def staff_cases(*, user: User, first: int = 20, after: str | None = None,
                      statuses: Sequence[CaseStatus] = ()) -> Page[Case]:
    department_id = staff_department(user)
    if department_id is None:
        raise NotPermittedError("只有窗口工作人员可以查看办件队列")
    query = Case.filter(department_id=department_id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    return await _page(query, first=first, after=after)


async def enterprise_cases(*, user: User, uscc: str, first: int = 20, after: str | None = None) -> Page[Case]:
    """一企一档: the enterprise's cases the member may see (an agent: the items in scope)."""
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None:
        raise NotPermittedError("你没有查看该企业办件的权限")
    query = Case.filter(enterprise_id=access.enterprise.id)
    if "*" not in access.scope:
        query = query.filter(item__code__in=list(access.scope))
    return await _page(query, first=first, after=after)


# ---- batch loaders -------------------------------------------------------------------


async def events_by_case_id(ids: Sequence[int]) -> list[list[CaseEvent]]:
    return grouped(ids, await CaseEvent.filter(case_id__in=set(ids)).order_by("id"), "case_id")


async def materials_by_case_id(ids: Sequence[int]) -> list[list[CaseMaterial]]:
    rows = await CaseMaterial.filter(case_id__in=set(ids)).order_by("position", "id")
    return grouped(ids, rows, "case_id")


async def files_by_case_material_id(ids: Sequence[int]) -> list[list[Upload]]:
    return grouped(ids, await Upload.filter(case_material_id__in=set(ids)), "case_material_id")


async def items_by_id(ids: Sequence[int]) -> list[ServiceItem | None]:
    rows = await ServiceItem.filter(id__in=set(ids))
    return in_key_order(ids, {row.id: row for row in rows})


async def users_by_id(ids: Sequence[int]) -> list[User | None]:
    rows = await User.filter(id__in=set(ids))
    return in_key_order(ids, {row.id: row for row in rows})


async def enterprises_by_id(ids: Sequence[int]) -> list[Enterprise | None]:
    rows = await Enterprise.filter(id__in=set(ids))
    return in_key_order(ids, {row.id: row for row in rows})


async def license_names_by_license_id(ids: Sequence[int]) -> list[str | None]:
    rows = await ELicense.filter(id__in=set(ids)).prefetch_related("license_type")
    return in_key_order(ids, {row.id: row.license_type.name for row in rows})

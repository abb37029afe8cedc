"""Reading the service catalog: listing and searching items, departments and halls.

The `*_by_*` functions are batch loaders: one query for any number of keys, results in key
order. The GraphQL layer wraps them in per-request DataLoaders so a page of items costs a
fixed number of queries whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from tortoise.expressions import Case, Q, RawSQL, When
from tortoise.functions import Count

from backend.models import (
    Department,
    Faq,
    LicenseType,
    Material,
    ProcessStep,
    ServiceGuide,
    ServiceHall,
    ServiceItem,
)
from backend.models.catalog import Audience, ItemType
from backend.services.batch import grouped, in_key_order
from backend.services.errors import ValidationError
from backend.services.pagination import Page, check_page_size, decode_cursor
from backend.services.catalog.search import SearchQuery, parse_query


def _search_filter(query: SearchQuery) -> Q:
    match = Q(search_name__contains=query.text) | Q(search_text__contains=query.text)
    if query.pinyin:
        match |= Q(pinyin_full__contains=query.pinyin) | Q(pinyin_initials__contains=query.pinyin)
    return match


# Literal integers, not parameters: PostgreSQL cannot infer a type for a bare `THEN $n`.
_RANK = [RawSQL(str(n)) for n in range(6)]


def _search_rank(query: SearchQuery) -> Case:
    # exact name > name prefix > name substring > pinyin prefix > pinyin substring > guide text
    whens = [
        When(search_name=query.text, then=_RANK[0]),
        When(search_name__startswith=query.text, then=_RANK[1]),
        When(search_name__contains=query.text, then=_RANK[2]),
    ]
    if query.pinyin:
        whens += [
            When(
                Q(pinyin_full__startswith=query.pinyin) | Q(pinyin_initials__startswith=query.pinyin),
                then=_RANK[3],
            ),
            When(
                Q(pinyin_full__contains=query.pinyin) | Q(pinyin_initials__contains=query.pinyin),
                then=_RANK[4],
            ),
        ]
    return Case(*whens, default=_RANK[5])


def _parse_id(raw: str, *, field: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError(field=field, message="部门编号格式不正确") from None
    if value <= 0:
        raise ValidationError(field=field, message="部门编号格式不正确")
    return value


async def list_items(
    *,
    search: str | None = None,
    item_type: ItemType | None = None,
    department_id: str | None = None,
    audience: Audience | None = None,
    high_frequency: bool | None = None,
    first: int = 20,
    after: str | None = None,
) -> Page[ServiceItem]:
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    query = parse_query(search) if search is not None else None

    queryset = ServiceItem.all()
    if item_type is not None:
        queryset = queryset.filter(item_type=item_type)
    if department_id is not None:
        queryset = queryset.filter(department_id=_parse_id(department_id, field="departmentId"))
    if audience is not None and audience is not Audience.BOTH:
        # An item for both audiences serves a person and an enterprise alike.
        queryset = queryset.filter(audience__in=[audience, Audience.BOTH])
    elif audience is Audience.BOTH:
        queryset = queryset.filter(audience=Audience.BOTH)
    if high_frequency is not None:
        queryset = queryset.filter(high_frequency=high_frequency)

    if query is not None:
        queryset = queryset.filter(_search_filter(query))
        total = await queryset.count()
        ordered = queryset.annotate(rank=_search_rank(query)).order_by(
            "rank", "-high_frequency", "sort_order", "id"
        )
    else:
        total = await queryset.count()
        ordered = queryset.order_by("sort_order", "id")
    nodes = await ordered.offset(offset).limit(first) if offset < total else []
    return Page(nodes=nodes, offset=offset, total_count=total)


async def get_item(*, code: str) -> ServiceItem | None:
    code = code.strip()
    if not code or len(code) > 32:
        return None
    return await ServiceItem.get_or_none(code=code)


async def list_departments() -> list[Department]:
    return await Department.all()


async def list_halls() -> list[ServiceHall]:
    return await ServiceHall.all()


# ---- batch loaders -------------------------------------------------------------------


async def departments_by_id(ids: Sequence[int]) -> list[Department | None]:
    rows = await Department.filter(id__in=set(ids))
    return in_key_order(ids, {row.id: row for row in rows})


async def item_counts_by_department(ids: Sequence[int]) -> list[int]:
    rows = (
        await ServiceItem.filter(department_id__in=set(ids))
        .group_by("department_id")
        .annotate(n=Count("id"))
        .values("department_id", "n")
    )
    counts = {row["department_id"]: row["n"] for row in rows}
    return [counts.get(key, 0) for key in ids]


async def guides_by_item_id(item_ids: Sequence[int]) -> list[ServiceGuide | None]:
    rows = await ServiceGuide.filter(item_id__in=set(item_ids))
    return in_key_order(item_ids, {row.item_id: row for row in rows})


async def materials_by_guide_id(guide_ids: Sequence[int]) -> list[list[Material]]:
    return grouped(guide_ids, await Material.filter(guide_id__in=set(guide_ids)), "guide_id")


async def process_by_guide_id(guide_ids: Sequence[int]) -> list[list[ProcessStep]]:
    return grouped(guide_ids, await ProcessStep.filter(guide_id__in=set(guide_ids)), "guide_id")


async def faq_by_guide_id(guide_ids: Sequence[int]) -> list[list[Faq]]:
    return grouped(guide_ids, await Faq.filter(guide_id__in=set(guide_ids)), "guide_id")


async def license_types_by_id(ids: Sequence[int]) -> list[LicenseType | None]:
    rows = await LicenseType.filter(id__in=set(ids))
    return in_key_order(ids, {row.id: row for row in rows})


async def halls_by_item_id(item_ids: Sequence[int]) -> list[list[ServiceHall]]:
    links = await ServiceItem.filter(id__in=set(item_ids)).values("id", "halls__id")
    hall_ids = {link["halls__id"] for link in links if link["halls__id"] is not None}
    halls = {hall.id: hall for hall in await ServiceHall.filter(id__in=hall_ids)} if hall_ids else {}
    groups: dict[int, list[ServiceHall]] = defaultdict(list)
    for link in links:
        hall = halls.get(link["halls__id"])
        if hall is not None:
            groups[link["id"]].append(hall)
    for group in groups.values():
        group.sort(key=lambda hall: (hall.sort_order, hall.id))
    return [groups.get(key, []) for key in item_ids]

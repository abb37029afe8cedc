"""Writing the catalog. Saving an item also recomputes its search keys, so they never go stale."""

from __future__ import annotations

from typing import Any, Sequence

from tortoise.models import Model
from tortoise.transactions import in_transaction

from backend.models import Faq, LicenseType, Material, ProcessStep, ServiceGuide, ServiceHall, ServiceItem
from backend.models.catalog import Audience, CaseKind, Department, ItemType, MaterialType
from backend.services.errors import ValidationError
from backend.services.catalog.search import search_keys
from backend.services.catalog.version import catalog_changed

GUIDE_FIELDS = (
    "basic_code", "source_of_power", "level_exercised", "implementing_body", "service_object",
    "intermediary_service", "fees", "on_site_visits", "promised_days", "statutory_days",
    "result_sample", "office_hours", "consultation", "location", "complaint_channel",
    "acceptance_conditions", "legal_basis", "online_address", "sample_forms",
)
MATERIAL_FIELDS = (
    "name", "sample_text", "copies", "specification", "electronic_required", "blank_form",
    "required", "deficiency_allowed",
)
# Art. 13: no catch-all wording in a material's name.
_CATCH_ALL = ("其他材料", "有关材料", "其他相关", "相关材料")


def check_guide(guide: dict[str, Any]) -> None:
    kind = CaseKind(guide["case_kind"])
    promised, statutory = guide["promised_days"], guide["statutory_days"]
    if kind is CaseKind.IMMEDIATE and promised != 0:
        raise ValidationError(field="promisedDays", message="即办件的承诺办结时限应为 0 个工作日")
    if promised > statutory:
        raise ValidationError(field="promisedDays", message="承诺办结时限不能超过法定办结时限")
    if guide["on_site_visits"] < 0:
        raise ValidationError(field="onSiteVisits", message="到办事现场次数不能为负数")
    for material in guide["materials"]:
        if any(word in material["name"] for word in _CATCH_ALL):
            raise ValidationError(
                field="materials", message=f"申请材料“{material['name']}”含有兜底性表述，须列明具体材料"
            )
        if material["copies"] < 0:
            raise ValidationError(field="materials", message="材料份数不能为负数")


async def _sync_children(model: type[Model], guide: ServiceGuide, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert rows by position, so ids stay stable across re-seeding."""
    existing = {row.position: row for row in await model.filter(guide=guide)}
    for position, values in enumerate(rows, start=1):
        row = existing.pop(position, None)
        if row is None:
            await model.create(guide=guide, position=position, **values)
        else:
            row.update_from_dict(values)
            await row.save()
    if existing:
        await model.filter(id__in=[row.id for row in existing.values()]).delete()


async def save_item(
    *,
    code: str,
    name: str,
    item_type: ItemType,
    department: Department,
    audience: Audience,
    high_frequency: bool,
    is_bundle: bool,
    is_demo: bool,
    remark: str,
    sort_order: int,
    keywords: Sequence[str],
    guide: dict[str, Any],
    halls: Sequence[ServiceHall],
    license_types: dict[str, LicenseType],
) -> ServiceItem:
    check_guide(guide)
    texts = [
        *keywords,
        department.name,
        item_type.label,
        guide["implementing_body"],
        guide["acceptance_conditions"],
        guide["result_sample"],
        *(m["name"] for m in guide["materials"]),
        *(f["question"] for f in guide["faq"]),
    ]
    keys = search_keys(name=name, texts=texts)
    values = {
        "name": name,
        "item_type": item_type,
        "department": department,
        "audience": audience,
        "high_frequency": high_frequency,
        "is_bundle": is_bundle,
        "is_demo": is_demo,
        "remark": remark,
        "sort_order": sort_order,
        "search_name": keys.name,
        "pinyin_full": keys.pinyin_full,
        "pinyin_initials": keys.pinyin_initials,
        "search_text": keys.text,
    }
    async with in_transaction():
        item, _ = await ServiceItem.update_or_create(defaults=values, code=code)
        guide_values = {key: guide[key] for key in GUIDE_FIELDS}
        guide_values["case_kind"] = CaseKind(guide["case_kind"])
        guide_values["is_demo"] = guide.get("is_demo", True)
        guide_row, _ = await ServiceGuide.update_or_create(defaults=guide_values, item=item)
        await _sync_children(Material, guide_row, [_material_values(m, license_types) for m in guide["materials"]])
        await _sync_children(ProcessStep, guide_row, [
            {"title": step["title"], "description": step["description"]} for step in guide["process"]
        ])
        await _sync_children(Faq, guide_row, [
            {"question": qa["question"], "answer": qa["answer"]} for qa in guide["faq"]
        ])
        await item.halls.clear()
        if halls:
            await item.halls.add(*halls)
    # Again after the commit: the row signals above fire inside the transaction, when a reader
    # could still cache what was there before.
    await catalog_changed()
    return item


def _material_values(material: dict[str, Any], license_types: dict[str, LicenseType]) -> dict[str, Any]:
    values = {key: material[key] for key in MATERIAL_FIELDS}
    values["material_type"] = MaterialType(material["material_type"])
    code = material.get("license_type")
    if code and code not in license_types:
        raise ValidationError(field="materials", message=f"未知的电子证照类型 {code}")
    values["license_type"] = license_types[code] if code else None
    return values

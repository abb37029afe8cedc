"""Seeds the catalog: the 72 real items of the city hall under their 18 departments, plus
high-frequency citizen items with hand-written demo guides. Idempotent: rows are matched on
their natural keys, and a fingerprint of the inputs lets an unchanged seed finish at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.models import AppMeta, Department, LicenseType, ServiceHall, ServiceItem
from backend.models.catalog import Audience, ItemType
from backend.seed.reference import (
    CITY_HALL,
    DEPARTMENT_FULL_NAMES,
    HALLS,
    HIGH_FREQUENCY_HALL_ITEMS,
    LICENSE_TYPES,
    item_code,
)
from backend.seed.standard_guide import standard_guide
from backend.services.catalog.admin import save_item
from backend.services.catalog.halls import check_hall_name

DATA_DIR = Path(__file__).parent / "data"
HALL_ITEMS_FILE = DATA_DIR / "xian-city-hall-items.json"
GUIDES_FILE = DATA_DIR / "guides.json"
SEED_VERSION = "catalog-3"  # bump when the seed code changes what it writes

_PERSON_WORDS = ("教师", "律师", "法律职业", "工伤", "最低生活", "个人")
_ENTERPRISE_WORDS = ("企业", "单位", "宗教团体", "宗教院校", "场所", "储备粮", "商品和服务价格", "学校备案", "基金返还")


@dataclass(frozen=True)
class SeedReport:
    departments: int
    items: int
    halls: int
    skipped: bool


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _fingerprint() -> str:
    digest = hashlib.sha256(SEED_VERSION.encode())
    for path in (HALL_ITEMS_FILE, GUIDES_FILE, Path(__file__).with_name("standard_guide.py"),
                 Path(__file__).with_name("reference.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _audience_of(name: str) -> Audience:
    if any(word in name for word in _PERSON_WORDS):
        return Audience.PERSON
    if any(word in name for word in _ENTERPRISE_WORDS):
        return Audience.ENTERPRISE
    return Audience.BOTH


async def _seed_reference() -> tuple[dict[str, LicenseType], list[ServiceHall]]:
    license_types = {}
    for code, name in LICENSE_TYPES:
        license_types[code], _ = await LicenseType.update_or_create(defaults={"name": name}, code=code)
    halls = []
    for order, (name, level, district, address, hours, phone) in enumerate(HALLS):
        check_hall_name(level=level, name=name)
        hall, _ = await ServiceHall.update_or_create(
            defaults={"level": level, "district": district, "address": address,
                      "opening_hours": hours, "phone": phone, "sort_order": order},
            name=name,
        )
        halls.append(hall)
    return license_types, halls


async def seed_catalog(*, force: bool = False) -> SeedReport:
    fingerprint = _fingerprint()
    stored = await AppMeta.get_or_none(key="seed_fingerprint")
    if stored is not None and stored.value == fingerprint and not force:
        return SeedReport(
            departments=await Department.all().count(),
            items=await _count_items(),
            halls=await ServiceHall.all().count(),
            skipped=True,
        )

    hall_items = _load(HALL_ITEMS_FILE)["items"]
    content = _load(GUIDES_FILE)
    license_types, halls = await _seed_reference()
    city_hall = next(hall for hall in halls if hall.name == CITY_HALL)

    departments: dict[str, tuple[Department, int]] = {}
    for row in hall_items:
        if row["department"] not in departments:
            dept, _ = await Department.update_or_create(
                defaults={"code": f"D{row['dept_no']:02d}", "sort_order": row["dept_no"]},
                name=row["department"],
            )
            departments[row["department"]] = (dept, row["dept_no"])
    for offset, extra in enumerate(content["extra_departments"], start=len(departments) + 1):
        if extra["name"] not in departments:
            dept, _ = await Department.update_or_create(
                defaults={"code": f"D{offset:02d}", "sort_order": offset}, name=extra["name"]
            )
            departments[extra["name"]] = (dept, offset)

    written_guides = content["hall_item_guides"]
    for row in hall_items:
        dept, dept_no = departments[row["department"]]
        item_type = ItemType.from_label(row["item_type"])
        code = item_code(item_type=item_type, dept_no=dept_no, item_no=row["item_no"])
        audience = _audience_of(row["name"])
        guide = written_guides.get(row["name"]) or standard_guide(
            name=row["name"], item_type=item_type, department=row["department"],
            implementing_body=DEPARTMENT_FULL_NAMES[row["department"]], audience=audience,
            location=f"{CITY_HALL}（{halls[0].address}）{row['department']}窗口", remark=row["remark"],
        )
        await save_item(
            code=code, name=row["name"], item_type=item_type, department=dept, audience=audience,
            high_frequency=row["name"] in HIGH_FREQUENCY_HALL_ITEMS, is_bundle=False, is_demo=False,
            remark=row["remark"], sort_order=row["item_no"], keywords=[],
            guide=_complete(guide, code=code), halls=[city_hall], license_types=license_types,
        )

    for seq, extra in enumerate(content["extra_items"], start=101):
        dept, dept_no = departments[extra["department"]]
        item_type = ItemType.from_label(extra["item_type"])
        code = item_code(item_type=item_type, dept_no=dept_no, item_no=seq)
        await save_item(
            code=code, name=extra["name"], item_type=item_type, department=dept,
            audience=Audience(extra["audience"]), high_frequency=True,
            is_bundle=bool(extra.get("bundle")), is_demo=True,
            remark="演示数据：办事指南为示例内容，以官方发布为准", sort_order=seq,
            keywords=extra.get("keywords", []), guide=_complete(extra["guide"], code=code),
            halls=halls, license_types=license_types,
        )

    await AppMeta.update_or_create(defaults={"value": fingerprint}, key="seed_fingerprint")
    return SeedReport(
        departments=len(departments), items=await _count_items(), halls=len(halls), skipped=False
    )


def _complete(guide: dict[str, Any], *, code: str) -> dict[str, Any]:
    guide = dict(guide)
    guide["basic_code"] = guide.get("basic_code") or code
    guide["online_address"] = f"/items/{code}"
    guide["sample_forms"] = [
        {"name": form["name"], "url": form.get("url")} for form in guide.get("sample_forms", [])
    ]
    guide["is_demo"] = True
    return guide


async def _count_items() -> int:
    return await ServiceItem.all().count()

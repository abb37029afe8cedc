"""Demo data: the 72 real hall items under their 18 departments, plus high-frequency items."""

from __future__ import annotations

import json

import pytest

from backend.models import Department, Material, ServiceHall, ServiceItem
from backend.models.catalog import HallLevel, ItemType
from backend.seed import seed_demo_data
from backend.seed.catalog import HALL_ITEMS_FILE
from backend.services.errors import ValidationError
from backend.services.catalog.halls import check_hall_name


async def test_all_72_hall_items_with_real_names_types_and_departments() -> None:
    source = json.loads(HALL_ITEMS_FILE.read_text(encoding="utf-8"))["items"]
    assert len(source) == 72
    for row in source:
        item = await ServiceItem.get(name=row["name"], is_demo=False).prefetch_related("department")
        assert item.item_type is ItemType.from_label(row["item_type"])
        assert item.department.name == row["department"]
    assert await Department.filter(items__is_demo=False).distinct().count() == 18


async def test_high_frequency_citizen_items_with_demo_guides() -> None:
    frequent = await ServiceItem.filter(high_frequency=True, audience__in=["PERSON", "BOTH"])
    assert len(frequent) >= 12
    extra = await ServiceItem.filter(is_demo=True)
    assert len(extra) >= 12
    assert all(item.remark.startswith("演示数据") for item in extra)
    assert await ServiceItem.filter(is_bundle=True).count() >= 3


async def test_seeding_again_is_a_no_op_and_forced_reseed_keeps_ids() -> None:
    before = {m.id: m.name for m in await Material.all()}
    items = await ServiceItem.all().count()
    again = await seed_demo_data()
    assert again.skipped
    forced = await seed_demo_data(force=True)
    assert not forced.skipped
    assert await ServiceItem.all().count() == items
    assert {m.id: m.name for m in await Material.all()} == before


async def test_hall_names_follow_art_22() -> None:
    for hall in await ServiceHall.all():
        assert check_hall_name(level=hall.level, name=hall.name) == hall.name


def test_a_badly_named_hall_is_refused_with_the_expected_form() -> None:
    with pytest.raises(ValidationError) as caught:
        check_hall_name(level=HallLevel.STATION, name="雁塔区政务服务大厅")
    assert caught.value.field == "name"
    assert caught.value.message == "大厅名称“雁塔区政务服务大厅”不符合规范，应为“××街道××社区便民服务站”的形式"

"""Service halls and the naming rule of Art. 22."""

from __future__ import annotations

import re

from backend.models.catalog import HallLevel
from backend.services.errors import ValidationError

# Art. 22: "××区（县、开发区）政务服务大厅", "××区××街道（镇）便民服务中心",
# "××街道（镇）××社区便民服务站". The city-level hall keeps its own name.
_NAME_RULES: dict[HallLevel, re.Pattern[str]] = {
    HallLevel.CITY: re.compile(r"^.+市政务服务(中心|大厅)$"),
    HallLevel.DISTRICT: re.compile(r"^.+(区|县|开发区|新区)政务服务大厅$"),
    HallLevel.CENTRE: re.compile(r"^.+(区|县|开发区|新区).+(街道|镇)便民服务中心$"),
    HallLevel.STATION: re.compile(r"^.+(街道|镇).+(社区|村)便民服务站$"),
}

_LEVEL_LABELS = {
    HallLevel.CITY: "市政务服务中心",
    HallLevel.DISTRICT: "××区政务服务大厅",
    HallLevel.CENTRE: "××区××街道便民服务中心",
    HallLevel.STATION: "××街道××社区便民服务站",
}


def check_hall_name(*, level: HallLevel, name: str) -> str:
    name = name.strip()
    if not _NAME_RULES[level].match(name):
        raise ValidationError(
            field="name",
            message=f"大厅名称“{name}”不符合规范，应为“{_LEVEL_LABELS[level]}”的形式",
        )
    return name

"""The five-level scale, its words, and the reason chips each level offers.

Chips are codes (stored) with Chinese labels (shown); the set depends on the level: praise for
the good ones, what went wrong for the bad ones. Checking happens here, once.
"""

from __future__ import annotations

from backend.models.ratings import RatingLevel
from backend.services.errors import ValidationError

L = RatingLevel
LABELS = {
    L.VERY_SATISFIED: "非常满意",
    L.SATISFIED: "满意",
    L.BASICALLY_SATISFIED: "基本满意",
    L.UNSATISFIED: "不满意",
    L.VERY_UNSATISFIED: "非常不满意",
}
SCORES = {L.VERY_SATISFIED: 5, L.SATISFIED: 4, L.BASICALLY_SATISFIED: 3, L.UNSATISFIED: 2, L.VERY_UNSATISFIED: 1}
GOOD = frozenset({L.VERY_SATISFIED, L.SATISFIED})  # counts as "satisfied" in every rate
BAD = frozenset({L.UNSATISFIED, L.VERY_UNSATISFIED})  # opens a rectification ticket

_PRAISE = {"FAST": "办理快", "CLEAR_GUIDE": "指引清楚", "FRIENDLY": "态度好", "FEW_MATERIALS": "材料简便",
           "ONLINE": "全程网办"}
_COMPLAINTS = {"SLOW": "办理慢", "TOO_MANY_MATERIALS": "材料要求多", "BAD_ATTITUDE": "态度差",
               "UNCLEAR_GUIDE": "指引不清", "MANY_VISITS": "多次跑腿", "SYSTEM_PROBLEM": "系统不好用"}
_MIXED = {"SLOW": "办理慢", "UNCLEAR_GUIDE": "指引不清", "TOO_MANY_MATERIALS": "材料要求多", "FRIENDLY": "态度好"}
REASONS: dict[RatingLevel, dict[str, str]] = {
    L.VERY_SATISFIED: _PRAISE, L.SATISFIED: _PRAISE, L.BASICALLY_SATISFIED: _MIXED,
    L.UNSATISFIED: _COMPLAINTS, L.VERY_UNSATISFIED: _COMPLAINTS,
}
MAX_COMMENT = 300
MAX_REASONS = 6


def label(level: RatingLevel) -> str:
    return LABELS[level]


def reason_label(code: str) -> str:
    for chips in REASONS.values():
        if code in chips:
            return chips[code]
    return code


def check_reasons(level: RatingLevel, reasons: list[str]) -> list[str]:
    """The chips, deduplicated in the order given; each must belong to the level."""
    allowed = REASONS[level]
    chosen: list[str] = []
    for index, code in enumerate(reasons):
        if code not in allowed:
            raise ValidationError(field=f"reasons[{index}]", message=f"“{LABELS[level]}”没有这个评价理由")
        if code not in chosen:
            chosen.append(code)
    if len(chosen) > MAX_REASONS:
        raise ValidationError(field="reasons", message=f"最多选择 {MAX_REASONS} 个理由")
    return chosen


def check_comment(comment: str | None, *, field: str = "comment", limit: int = MAX_COMMENT) -> str:
    """Stored as plain text; the PWA shows it as text (never as HTML)."""
    text = (comment or "").strip()
    if len(text) > limit:
        raise ValidationError(field=field, message=f"评价内容不能超过 {limit} 字（现 {len(text)} 字）")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError(field=field, message="评价内容含有无法显示的字符")
    return text

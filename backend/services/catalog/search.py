"""Search keys for Chinese names: the text itself plus full pinyin and pinyin initials.

Keys are computed when an item is written; queries only compare strings, so the pinyin
library never runs at query time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from backend.services.errors import ValidationError

MAX_QUERY_LENGTH = 40
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_PINYIN_QUERY = re.compile(r"^[a-z' ]+$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchKeys:
    name: str
    pinyin_full: str
    pinyin_initials: str
    text: str


def _ascii_key(parts: list[str]) -> str:
    return _NOT_ALNUM.sub("", "".join(parts).lower())


def search_keys(*, name: str, texts: list[str]) -> SearchKeys:
    name_key = normalise(name)
    return SearchKeys(
        name=name_key,
        pinyin_full=_ascii_key(lazy_pinyin(name, style=Style.NORMAL, errors="ignore")),
        pinyin_initials=_ascii_key(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")),
        text=normalise(" ".join([name, *texts])),
    )


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower())


@dataclass(frozen=True)
class SearchQuery:
    text: str  # matched against names and guide text
    pinyin: str | None  # set when the query is latin letters: matched against pinyin keys


def parse_query(raw: str) -> SearchQuery | None:
    """None means "no search": an empty or blank query lists everything."""
    text = normalise(raw)
    if not text:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(field="search", message=f"搜索内容不能超过 {MAX_QUERY_LENGTH} 个字")
    pinyin = text.replace(" ", "").replace("'", "") if _PINYIN_QUERY.match(text) else None
    return SearchQuery(text=text, pinyin=pinyin or None)

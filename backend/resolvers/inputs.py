"""Bounded input: the one place that decides whether an id, a key or a search text can name
anything, before it reaches the ORM.

Two outcomes besides a value. What is malformed (not ASCII digits, a lone surrogate, a
control character) is the client's mistake: a `ValidationError` naming the argument. What is
well formed but cannot exist (an id past the column's integer range, a key longer than the
column) is `None`, and the resolver answers exactly as for an unknown row — null or the
field's NOT_FOUND — so that tortoise's ValidationError, ValueError or OverflowError never
reach the error mask. The bounds come from the model fields themselves.
"""

from __future__ import annotations

from typing import Any, overload

from tortoise.models import Model

from backend.services.errors import ValidationError


def _pk_bound(model: type[Model]) -> int:
    return int(model._meta.pk.constraints["le"])


def _max_length(model: type[Model], column: str) -> int:
    return int(model._meta.fields_map[column].max_length)  # type: ignore[attr-defined]


def _unstorable(text: str) -> bool:
    # A lone surrogate cannot be encoded as UTF-8 (the driver would fail), nor NUL stored in
    # PostgreSQL text.
    return any("\ud800" <= ch <= "\udfff" or ch == "\x00" for ch in text)


def record_id(raw: Any, *, model: type[Model], field: str, message: str = "编号格式不正确") -> int | None:
    """The row id `raw` names, None when no row can have it (0, or past the column's range).
    Only ASCII digits are an id: `"²".isdigit()` is true, `int("²")` is not."""
    text = str(raw).strip()
    if not text or not text.isascii() or not text.isdigit():
        raise ValidationError(field=field, message=message)
    bound = _pk_bound(model)
    if len(text.lstrip("0")) > len(str(bound)):  # no int() of a thousand digits
        return None
    value = int(text)
    return value if 1 <= value <= bound else None


def record_key(raw: str, *, model: type[Model], column: str, field: str,
               message: str = "格式不正确") -> str | None:
    """A stripped text key (case number, USCC, item code), None when longer than the column
    allows (nothing stored can match) or blank."""
    text = raw.strip()
    if not text.isprintable():  # keys are printed on notices: no controls, no surrogates
        raise ValidationError(field=field, message=message)
    if not text or len(text) > _max_length(model, column):
        return None
    return text


def search_text(raw: str, *, field: str = "search") -> str:
    """Free search text: any length the search service accepts, but storable characters only."""
    if _unstorable(raw):
        raise ValidationError(field=field, message="搜索内容含有无法识别的字符")
    return raw


@overload
def plain_text(raw: str, *, field: str, message: str = ...) -> str: ...
@overload
def plain_text(raw: None, *, field: str, message: str = ...) -> None: ...
@overload
def plain_text(raw: str | None, *, field: str, message: str = ...) -> str | None: ...


def plain_text(raw: str | None, *, field: str, message: str = "内容含有无法识别的字符") -> str | None:
    """Text a person wrote (a reason, a note): newlines allowed, but nothing the database
    cannot store (a lone surrogate would fail inside the driver, a NUL in PostgreSQL)."""
    if raw is not None and _unstorable(raw):
        raise ValidationError(field=field, message=message)
    return raw

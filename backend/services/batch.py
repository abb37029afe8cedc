"""Shapes for batch loaders: results in the order of the keys asked for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Hashable, Iterable, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def in_key_order(keys: Sequence[K], found: dict[K, V]) -> list[V | None]:
    return [found.get(key) for key in keys]


def grouped(keys: Sequence[K], rows: Iterable[V], key_attr: str) -> list[list[V]]:
    groups: dict[Any, list[V]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key_attr)].append(row)
    return [groups.get(key, []) for key in keys]

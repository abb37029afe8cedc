"""Relay-style pages over an ordered result.

Cursors are opaque to clients; inside they are the offset of the row in the ordering, which
is stable for the catalog (ordered by rank, then a unique key).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, Sequence, TypeVar

from backend.services.errors import ValidationError

T = TypeVar("T")

# Large enough for the PWA to take a whole department (or the catalog) in one page.
MAX_PAGE_SIZE = 1000
# Cursors name an offset or a row id; past these no row can be (PostgreSQL integer for
# offsets, bigint for ids), and SQLite would raise OverflowError on a larger one.
MAX_OFFSET = 2**31 - 1
MAX_POSITION = 2**63 - 1
_PREFIX = "o:"


def encode_position(prefix: str, value: int) -> str:
    """An opaque cursor for a non-negative position (an offset, an event id)."""
    return base64.urlsafe_b64encode(f"{prefix}{value}".encode()).decode().rstrip("=")


def decode_position(prefix: str, cursor: str, *, field: str, message: str, maximum: int = MAX_POSITION) -> int:
    try:
        if len(cursor) > 64:  # ours are a few dozen characters; decode nothing larger
            raise ValueError
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        digits = text[len(prefix):] if text.startswith(prefix) else ""
        # ASCII digits only: int() would also take "+1", " 1", "1_0" and "²".
        if not digits.isdigit() or int(digits) > maximum:
            raise ValueError
        value = int(digits)
    except (ValueError, binascii.Error):  # Unicode{En,De}codeError are ValueErrors
        raise ValidationError(field=field, message=message) from None
    return value


def encode_cursor(offset: int) -> str:
    return encode_position(_PREFIX, offset)


def decode_cursor(cursor: str, *, field: str = "after") -> int:
    return decode_position(_PREFIX, cursor, field=field, message="分页游标无效，请从第一页重新加载",
                           maximum=MAX_OFFSET)


def check_page_size(first: int, *, field: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationError(field=field, message=f"每页数量须在 1 到 {MAX_PAGE_SIZE} 之间")
    return first


@dataclass(frozen=True)
class Page(Generic[T]):
    nodes: Sequence[T]
    offset: int  # offset of nodes[0]
    total_count: int

    @property
    def has_next_page(self) -> bool:
        return self.offset + len(self.nodes) < self.total_count

    @property
    def has_previous_page(self) -> bool:
        return self.offset > 0

    def cursor_at(self, index: int) -> str:
        return encode_cursor(self.offset + index + 1)

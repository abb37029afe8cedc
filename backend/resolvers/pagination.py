from __future__ import annotations

from typing import Any

from backend.schema.types.catalog import PageInfo
from backend.services.pagination import Page


def page_info(page: Page[Any]) -> PageInfo:
    count = len(page.nodes)
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursor_at(0) if count else None,
        end_cursor=page.cursor_at(count - 1) if count else None,
    )

"""The catalog's version: every change to what the public catalog shows (items, guides and their
materials, departments, halls and their schedules) calls `catalog_changed()`, and whoever keeps
answers derived from the catalog (the public response cache, backend/schema/response_cache.py)
listens. Rows saved one by one through the ORM announce themselves (tortoise signals); bulk
writes and the admin services call `catalog_changed()` themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.signals import post_delete, post_save

from backend.models import Department, Faq, Material, ProcessStep, ServiceGuide, ServiceHall, ServiceItem

Listener = Callable[[], Awaitable[None]]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Call `listener` after every catalog change; returns the function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


async def catalog_changed() -> None:
    for listener in list(_listeners):
        await listener()


_MODELS = (ServiceItem, ServiceGuide, Material, ProcessStep, Faq, Department, ServiceHall)


async def _on_row_change(*_args: Any, **_kwargs: Any) -> None:
    await catalog_changed()


post_save(*_MODELS)(_on_row_change)
post_delete(*_MODELS)(_on_row_change)

"""Applies tortoise's built-in migrations (backend/migrations) to the configured database."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from backend.db import tortoise_config
from backend.settings import Settings


async def apply_migrations(settings: Settings) -> None:
    try:
        await migrate(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()

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


async def pending_migrations(settings: Settings) -> list[str]:
    """Migrations on disk the database has not applied (for /readyz); the ORM must be running."""
    from tortoise import connections
    from tortoise.migrations.executor import MigrationExecutor

    apps = tortoise_config(settings)["apps"]
    steps = await MigrationExecutor(connections.get("default"), apps).plan()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward]

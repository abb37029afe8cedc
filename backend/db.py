"""Database configuration: one tortoise app, `models`, with its migrations in backend/migrations."""

from __future__ import annotations

from typing import Any

from backend.settings import Settings

MODELS_MODULE = "backend.models"
MIGRATIONS_MODULE = "backend.migrations"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    if settings.database_kind == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": settings.database_url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


def cli_config() -> dict[str, Any]:
    """For the `tortoise` CLI (`tortoise -c backend.db.TORTOISE_ORM makemigrations`)."""
    from backend.settings import get_settings

    return tortoise_config(get_settings())


def __getattr__(name: str) -> Any:
    # Lazily computed so importing this module never reads the environment.
    if name == "TORTOISE_ORM":
        return cli_config()
    raise AttributeError(name)

"""The models and the committed migrations agree: makemigrations would find nothing to do."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from backend.db import tortoise_config
from backend.settings import Settings


async def test_models_match_migrations(settings: Settings, app: object) -> None:
    apps_config = tortoise_config(settings)["apps"]
    changes = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert changes == [], [writer.name for writer in changes]

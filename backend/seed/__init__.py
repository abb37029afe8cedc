"""Demo data. Everything seeded is marked as demo where it is not the city's real data."""

from backend.seed.catalog import SeedReport, seed_catalog


async def seed_demo_data(*, force: bool = False) -> SeedReport:
    return await seed_catalog(force=force)


__all__ = ["SeedReport", "seed_demo_data"]

"""Demo data. Everything seeded is marked as demo where it is not the city's real data."""

from backend.seed.bookings import seed_bookings
from backend.seed.catalog import SeedReport, seed_catalog
from backend.seed.licenses import seed_licenses


async def seed_demo_data(*, force: bool = False) -> SeedReport:
    report = await seed_catalog(force=force)
    await seed_licenses()  # after the catalog: it needs the departments and items
    await seed_bookings()  # after the catalog: schedules for its halls, its items bookable
    return report


__all__ = ["SeedReport", "seed_demo_data"]

"""Booking throughput and latency on PostgreSQL: bookings/s and p50/p99 of `book()` with the
bookings spread over 1,000 slots, and all on one hot slot.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_bookings_bench \\
        .venv/bin/python -m bench.booking

BENCH_DATABASE_URL names a PostgreSQL database that is created if missing and EMPTIED (its name
must contain "bench"; see bench_stores in bench/live_cases.py); without it the bench runs on a
fresh SQLite file, which serialises every write and says nothing about races. Optional:
BENCH_CONCURRENCY (50 bookings in flight), BENCH_SPREAD (2,000 bookings over 1,000 slots of 2
places), BENCH_HOT (1,500 requests on one slot of 1,000 places: 500 are SLOT_FULL).

Method
- In this process: migrate, seed the demo data, then create 10 items bookable at the city hall
  and materialise their slots for the next 7 days through `hall_slots` (as the API does), and
  the people (one row each, bulk-inserted: booking is what is measured, not sign-up).
- Each request is one call of backend.services.bookings.booking.book(), the whole of what
  bookSlot does below the GraphQL adapter: checks, the person's row lock, the limits, the
  booking row and the conditional `UPDATE booking_slot SET booked = booked + 1 WHERE … AND
  booked < capacity`, in one transaction. No HTTP, JSON or GraphQL parsing is included: the
  figures are the database-bound part (the catalog bench measures the HTTP stack).
- Spread: person i books slot i mod 1,000. Hot: every person books the one slot. At most
  BENCH_CONCURRENCY calls are in flight (tortoise's asyncpg pool). Throughput = completed calls
  (bookings and SLOT_FULL alike) / wall time; latency per call from its start.
- Afterwards the counts are checked: bookings = min(requests, places), slot.booked equal.
The machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from tortoise import Tortoise

from backend.db import tortoise_config
from backend.migrations_runner import apply_migrations
from backend.models import BookableItem, Booking, BookingSlot, Department, ServiceHall, ServiceItem, User
from backend.models.catalog import Audience, ItemType
from backend.seed import seed_demo_data
from backend.services.bookings import booking as service
from backend.services.bookings.errors import SlotFullError
from backend.services.bookings.rules import BookingRules, now_local
from backend.services.bookings.slots import hall_slots
from backend.settings import load_settings
from bench.live_cases import bench_stores

RULES = BookingRules(max_active=100)


async def _items(hall: ServiceHall, *, count: int, capacity: int) -> list[ServiceItem]:
    department = await Department.first()
    assert department is not None
    prefix = uuid.uuid4().hex[:6].upper()
    items = []
    for i in range(count):
        item = await ServiceItem.create(code=f"BENCH{prefix}{i:03d}", name=f"压测事项{i}", item_type=ItemType.LICENSING,
                                        department=department, audience=Audience.PERSON)
        await BookableItem.create(hall=hall, item=item, window="压测窗口", slot_minutes=30, capacity=capacity)
        items.append(item)
    return items


async def _slots(hall: ServiceHall, items: list[ServiceItem], *, wanted: int) -> list[tuple[int, str]]:
    now = now_local()
    found: list[tuple[int, str]] = []
    for item in items:
        views = await hall_slots(hall_id=hall.id, item_code=item.code, start=now.date(),
                                 end=now.date() + timedelta(days=7), rules=RULES, now=now)
        found += [(v.slot.id, item.code) for v in views if v.open]
    assert len(found) >= wanted, f"only {len(found)} open slots"
    return found[:wanted]


async def _people(count: int) -> list[User]:
    prefix = uuid.uuid4().hex[:8]
    await User.bulk_create([User(sub=f"bench-{prefix}-{i}", name="压测用户") for i in range(count)])
    return list(await User.filter(sub__startswith=f"bench-{prefix}-").order_by("id"))


async def _run(hall_id: int, jobs: list[tuple[User, int, str]], *, concurrency: int) -> dict[str, float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    outcomes = {"booked": 0, "full": 0, "other": 0}

    async def one(user: User, slot_id: int, code: str) -> None:
        async with gate:
            start = time.perf_counter()
            try:
                await service.book(user=user, request=service.BookingRequest(slot_id=slot_id, hall_id=hall_id,
                                                                             item_code=code), rules=RULES, bus=None)
                outcomes["booked"] += 1
            except SlotFullError:
                outcomes["full"] += 1
            except Exception as error:  # noqa: BLE001 - counted and shown, the bench goes on
                outcomes["other"] += 1
                print("unexpected:", type(error).__name__, error)
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*[one(u, s, c) for u, s, c in jobs])
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(jobs), **outcomes, "wall_s": wall, "per_s": len(jobs) / wall,
            "p50_ms": statistics.median(ordered) * 1000, "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
            "max_ms": ordered[-1] * 1000}


def _show(name: str, r: dict[str, float]) -> None:
    print(f"{name}: {r['requests']:.0f} requests, {r['booked']:.0f} booked, {r['full']:.0f} SLOT_FULL, "
          f"{r['other']:.0f} other; {r['per_s']:.0f}/s; p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
          f"max {r['max_ms']:.0f} ms")


async def main() -> None:
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "50"))
    spread_n = int(os.environ.get("BENCH_SPREAD", "2000"))
    hot_n = int(os.environ.get("BENCH_HOT", "1500"))
    data = Path(tempfile.mkdtemp(prefix="bench-booking-"))
    database, _redis, _process = await bench_stores(data)
    settings = load_settings({"APP_ENV": "dev", "DATABASE_URL": database, "DATA_DIR": str(data)})
    print(f"database: {settings.database_kind}; concurrency {concurrency}; load average {os.getloadavg()}")
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        await seed_demo_data()
        hall = await ServiceHall.first()
        assert hall is not None
        spread_items = await _items(hall, count=12, capacity=2)
        slots = await _slots(hall, spread_items, wanted=1000)
        people = await _people(spread_n + hot_n)
        spread_jobs = [(people[i], *slots[i % len(slots)]) for i in range(spread_n)]
        spread = await _run(hall.id, spread_jobs, concurrency=concurrency)
        _show("spread over 1,000 slots", spread)
        hot_item = (await _items(hall, count=1, capacity=1000))[0]
        hot_slot = (await _slots(hall, [hot_item], wanted=1))[0]
        hot = await _run(hall.id, [(p, *hot_slot) for p in people[spread_n:]], concurrency=concurrency)
        _show("one hot slot of 1,000 places", hot)
        booked = await BookingSlot.get(id=hot_slot[0])
        assert booked.booked == min(hot_n, 1000) == await Booking.filter(slot_id=hot_slot[0]).count(), booked.booked
        assert await Booking.filter(item__code__startswith="BENCH", status="BOOKED").count() == \
            spread["booked"] + hot["booked"]
        print(f"counts check out; load average {os.getloadavg()}")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())

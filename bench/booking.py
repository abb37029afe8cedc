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

HTTP mode: what a client sees

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_x .venv/bin/python -m bench.booking http

runs the real app (`uvicorn backend.app:create_app --factory --workers N`, N in BENCH_WORKERS,
default "1,2") and sends the `bookSlot` mutation over HTTP/1.1 keep-alive connections (as many
as BENCH_CONCURRENCY, each with one request in flight) with a bearer token per person: token
check, the person's row (sync_user), GraphQL parsing, validation and execution, the service,
JSON. The load generator is a minimal asyncio HTTP client in this process (a few % of a core),
sharing the machine with the servers and PostgreSQL. The people exist beforehand with the
claims hash of their token (so sign-up is not measured). BENCH_COMPARE=<git ref> also runs the
same requests against that revision (exported with `git archive` to a temporary directory) in
the same run, alternating with the working tree: "before" and "after" rows side by side (in
direct mode too: this file is copied into the exported tree and run there, then here).
Each run of each tree books fresh slots and people; the counts are checked after every run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
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
        spread_items = await _items(hall, count=14, capacity=2)
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


# ---- HTTP mode -----------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
BOOK_MUTATION = """mutation($input: BookSlotInput!) { bookSlot(input: $input) { __typename
  ... on BookingConfirmed { booking { number status date startTime endTime hall { name address } } }
  ... on SlotFullError { code message } ... on BookingLimitError { code message }
  ... on InputError { code field message } ... on NotFoundError { code message } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stats(jobs: int, outcomes: dict[str, int], latencies: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"requests": jobs, **outcomes, "wall_s": wall, "per_s": jobs / wall,
            "p50_ms": statistics.median(ordered) * 1000, "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
            "max_ms": ordered[-1] * 1000}


async def _post_all(port: int, requests: Sequence[bytes], *, concurrency: int, quiet: bool = False) -> dict[str, float]:
    """Each connection sends one request, reads the whole answer, sends the next (keep-alive)."""
    pending = iter(requests)
    latencies: list[float] = []
    outcomes = {"booked": 0, "full": 0, "other": 0}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in pending:
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                assert length is not None, head
                body = await reader.readexactly(int(length.group(1)))
                latencies.append(time.perf_counter() - start)
                if b'"BookingConfirmed"' in body:
                    outcomes["booked"] += 1
                elif b'"SlotFullError"' in body:
                    outcomes["full"] += 1
                else:
                    outcomes["other"] += 1
                    if outcomes["other"] <= 3 and not quiet:
                        print("unexpected:", head.split(b"\r\n", 1)[0].decode(), body[:300].decode())
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*[connection() for _ in range(concurrency)])
    return _stats(len(requests), outcomes, latencies, time.perf_counter() - began)


def _request(token: str, *, slot_id: int, hall_id: int, code: str) -> bytes:
    body = json.dumps({"query": BOOK_MUTATION, "variables": {"input": {
        "slotId": str(slot_id), "hallId": str(hall_id), "itemCode": code}}}, separators=(",", ":")).encode()
    return (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Accept: application/graphql-response+json\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _signed_people(count: int, env: dict[str, str]) -> list[str]:
    """People with a token each, their rows already written as sync_user would (same claims
    hash: each request costs the one read of a returning person)."""
    from backend.auth.dev_idp import DEV_IDP_KID
    from backend.auth.identity import build_identity
    from backend.jws import sign_token
    from backend.keys import load_keys
    from backend.services.identity.accounts import _claims_hash

    settings = load_settings(env)
    identity = build_identity(settings, load_keys(settings))
    assert identity.dev_idp_pem is not None
    prefix, now = uuid.uuid4().hex[:8], int(time.time())
    claims = [{"sub": f"bench-{prefix}-{i}", "name": "压测用户", "id_number": None, "phone_number": None,
               "roles": [], "department": None, "enterprises": []} for i in range(count)]
    await User.bulk_create([User(sub=c["sub"], name=c["name"], roles=[], claims_hash=_claims_hash(c)) for c in claims])
    return [sign_token({**c, "iss": identity.issuer, "aud": settings.oidc_audience, "iat": now, "nbf": now,
                        "exp": now + 3600, "jti": secrets.token_urlsafe(8)},
                       private_pem=identity.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID) for c in claims]


def _serve(tree: Path, env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--workers", str(workers),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**env, "PYTHONPATH": str(tree)}, cwd=tree)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    time.sleep(1.0 + workers)  # every worker through its lifespan
    return server


def _export(ref: str) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="bench-booking-tree-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


async def _http_round(tree: Path, env: dict[str, str], hall: ServiceHall, *, workers: int, concurrency: int,
                      spread_n: int, hot_n: int) -> tuple[dict[str, float], dict[str, float]]:
    spread_slots = await _slots(hall, await _items(hall, count=14, capacity=2), wanted=1000)
    hot_slot = (await _slots(hall, await _items(hall, count=1, capacity=1000), wanted=1))[0]
    tokens = await _signed_people(spread_n + hot_n, env)
    spread_requests = [_request(tokens[i], slot_id=spread_slots[i % 1000][0], hall_id=hall.id,
                                code=spread_slots[i % 1000][1]) for i in range(spread_n)]
    hot_requests = [_request(t, slot_id=hot_slot[0], hall_id=hall.id, code=hot_slot[1]) for t in tokens[spread_n:]]
    port = _free_port()
    server = _serve(tree, env, port=port, workers=workers)
    try:
        await _post_all(port, [_request(tokens[0], slot_id=0, hall_id=hall.id, code="WARMUP")] * concurrency * 4,
                        concurrency=concurrency, quiet=True)  # parser caches, connection pools
        spread = await _post_all(port, spread_requests, concurrency=concurrency)
        hot = await _post_all(port, hot_requests, concurrency=concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    slot = await BookingSlot.get(id=hot_slot[0])
    assert slot.booked == min(hot_n, 1000) == await Booking.filter(slot_id=hot_slot[0]).count(), slot.booked
    spread_ids = [s for s, _c in spread_slots]
    assert await Booking.filter(slot_id__in=spread_ids).count() == spread["booked"] == min(spread_n, 2000)
    return spread, hot


async def http_main() -> None:
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "50"))
    spread_n = int(os.environ.get("BENCH_SPREAD", "2000"))
    hot_n = int(os.environ.get("BENCH_HOT", "1500"))
    workers_list = [int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
    compare = os.environ.get("BENCH_COMPARE")
    data = Path(tempfile.mkdtemp(prefix="bench-booking-"))
    database, redis, _process = await bench_stores(data)
    env = {**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, "APP_ENV": "dev", "DATABASE_URL": database,
           "DATA_DIR": str(data), "LOG_LEVEL": "WARNING", "BOOKING_JOB_INTERVAL_SECONDS": "0",
           "RATE_LIMIT_MUTATIONS_PER_TOKEN": "1000000000", "RATE_LIMIT_MUTATIONS_PER_ADDRESS": "1000000000"}
    if redis:
        env["REDIS_URL"] = redis
    for command in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "backend", command], env=env, cwd=REPO, check=True, capture_output=True)
    settings = load_settings(env)
    trees = [("after (this tree)", REPO)]
    if compare:
        trees.insert(0, (f"before ({compare})", _export(compare)))
    await Tortoise.init(config=tortoise_config(settings))
    rows = []
    try:
        hall = await ServiceHall.first()
        assert hall is not None
        print(f"database: {settings.database_kind}{' + Redis' if redis else ''}; {concurrency} connections; "
              f"load average {os.getloadavg()}")
        for workers in workers_list:
            for name, tree in trees:
                load = os.getloadavg()[0]
                spread, hot = await _http_round(tree, env, hall, workers=workers, concurrency=concurrency,
                                                spread_n=spread_n, hot_n=hot_n)
                label = f"{name}, {workers} worker{'s' if workers > 1 else ''}"
                _show(f"{label}: spread", spread)
                _show(f"{label}: hot", hot)
                rows.append((label, load, spread, hot))
    finally:
        await Tortoise.close_connections()
        for _name, tree in trees[:-1]:
            shutil.rmtree(tree, ignore_errors=True)
    print(f"\ncounts check out; load average {os.getloadavg()}\n")
    print("| run | load (1 min) | spread /s | spread p50 / p99 / max | hot /s | hot p50 / p99 / max |")
    print("|---|---|---|---|---|---|")
    for label, load, spread, hot in rows:
        print(f"| {label} | {load:.1f} | {spread['per_s']:.0f} | {spread['p50_ms']:.0f} / {spread['p99_ms']:.0f} / "
              f"{spread['max_ms']:.0f} ms | {hot['per_s']:.0f} | {hot['p50_ms']:.0f} / {hot['p99_ms']:.0f} / "
              f"{hot['max_ms']:.0f} ms |")


def compare_direct(ref: str) -> None:
    """Direct mode, BENCH_COMPARE set: this bench file run in the exported revision, then here."""
    tree = _export(ref)
    try:
        shutil.copy(Path(__file__), tree / "bench" / "booking.py")
        env = {k: v for k, v in os.environ.items() if k != "BENCH_COMPARE"}
        for name, cwd in ((f"before ({ref})", tree), ("after (this tree)", REPO)):
            print(f"--- {name}", flush=True)
            subprocess.run([sys.executable, "-m", "bench.booking"], cwd=cwd, env={**env, "PYTHONPATH": str(cwd)},
                           check=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["http"]:
        asyncio.run(http_main())
    elif os.environ.get("BENCH_COMPARE"):
        compare_direct(os.environ["BENCH_COMPARE"])
    else:
        asyncio.run(main())

"""Live case progress: how long an event takes to reach 1 and 1,000 `caseProgress` subscribers,
what a subscribed websocket costs the server in memory, and how many statements `myCases`
costs at 10 and 1,000 cases.

    .venv/bin/python -m bench.case_progress          # embedded SQLite + in-process bus
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zsb_bench BENCH_REDIS_URL=private \\
        .venv/bin/python -m bench.case_progress      # PostgreSQL + Redis

BENCH_DATABASE_URL names a PostgreSQL database that is created if missing and EMPTIED (its name
must contain "bench"). BENCH_REDIS_URL is a Redis URL, or `private` to start a memory-only
redis-server on a free port for the run (a shared Redis would carry other processes'
`case-events` messages too). Everything listens on 127.0.0.1; every wait is bounded.

Method
- One app process (`python -m backend serve`: one uvicorn worker, APP_ENV=dev for the
  built-in identity provider, FEED_POLL_MS at its default 5 s), started fresh.
- N websocket connections (graphql-transport-ws), all as the citizen persona, each with one
  `caseProgress(after: …)` subscription. `after` is the cursor of the event before the newest,
  so each subscription first replays exactly one event: when all N have it, all N are registered.
- Staff then make M transitions of the citizen's cases (accept → start review → approve →
  deliver, case after case), one at a time: the next starts when all N subscribers have the
  previous event (the first WARMUP are not counted).
- Latency = receive time at the client − the event's `at`. `at` is stamped by the app when it
  inserts the event row, inside the transaction, so the figure covers the rest of the mutation's
  transaction and its commit, the announcement on the bus, the feed's read, the fan-out, one
  GraphQL execution per subscriber, the websocket write and the client's read. Client and server
  share the machine's clock (and its cores). "last" is the per-event maximum over the N
  subscribers: when the last of them has it.
- Memory: the server's VmRSS (/proc/<pid>/status) before opening the N=1,000 connections, with
  all acknowledged (connection_init, no operation) and once all are subscribed (after the
  replay); the differences divided by 1,000. The client offers permessage-deflate, as browsers
  do, unless BENCH_WS_DEFLATE=0.
- Query counts: in this process, the real app through httpx's ASGI transport, statements counted
  as tests/helpers.py's count_queries does (the tortoise.db_client DEBUG log), for
  `myCases(first: 10)` and `myCases(first: 1000)` of a citizen who has 1,000 cases (inserted
  in bulk through the ORM, each with 3 materials and 2 events).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.live_cases import (  # noqa: E402
    Api, Received, Subscription, app_env, bench_stores, free_port, mint_tokens, run_cli, start_server, stop,
    wait_healthy,
)

SUBSCRIBERS = [int(n) for n in os.environ.get("BENCH_SUBSCRIBERS", "1,1000").split(",")]
TRANSITIONS = int(os.environ.get("BENCH_TRANSITIONS", "30"))
DEFLATE = os.environ.get("BENCH_WS_DEFLATE", "1") != "0"  # clients offer permessage-deflate, as browsers do
WARMUP = 2
OPEN_CONCURRENCY = 50
STEPS = [("acceptCase", {}), ("startReview", {}), ("approveCase", {}), ("deliverCase", {"method": "WINDOW"})]
CASES_FOR_COUNTS = 1000

MY_CASES = """query($first: Int!) { myCases(first: $first) { totalCount edges { node {
  number status statusLabel item { name } events { kind } deadline { promisedDue } materials { name }
} } } }"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # the server inherits it
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        raise SystemExit(f"need {needed} open files; the hard limit is {hard}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


@dataclass
class Round:
    subscribers: int
    latencies_ms: list[float]  # every (subscriber, event)
    first_ms: list[float]  # per event: the fastest subscriber
    last_ms: list[float]  # per event: the slowest subscriber
    mutation_ms: list[float]  # the staff mutation's HTTP round trip
    rss_before_kib: int | None = None
    rss_connected_kib: int | None = None  # N acknowledged connections, no operation yet
    rss_after_kib: int | None = None  # and each with its subscription
    open_seconds: float | None = None


async def connect_all(url: str, token: str, *, count: int) -> list[Subscription]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one() -> Subscription:
        async with gate:
            return await Subscription.connect(url, token, timeout=60, deflate=DEFLATE)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def measure_round(*, api: Api, ws_url: str, tokens: dict[str, str], server_pid: int, count: int,
                        after: str, cases: list[str]) -> tuple[Round, str]:
    """`count` subscribers, WARMUP + TRANSITIONS moves; returns the figures and the cursor of the
    event before the newest (for the next round's replay)."""
    result = Round(subscribers=count, latencies_ms=[], first_ms=[], last_ms=[], mutation_ms=[])
    result.rss_before_kib = rss_kib(server_pid)
    started = time.monotonic()
    subscribers = await connect_all(ws_url, tokens["citizen"], count=count)
    try:
        await asyncio.sleep(1.0)
        result.rss_connected_kib = rss_kib(server_pid)
        for subscriber in subscribers:
            await subscriber.subscribe(after=after)
        # Each replays exactly one event: when all have it, all are registered with the feed.
        await asyncio.gather(*(s.take(1, timeout=120) for s in subscribers))
        result.open_seconds = time.monotonic() - started - 1.0
        await asyncio.sleep(1.0)
        result.rss_after_kib = rss_kib(server_pid)
        moves = [(number, step) for number in cases for step in STEPS][: WARMUP + TRANSITIONS]
        assert len(moves) == WARMUP + TRANSITIONS, "not enough cases prepared"
        cursors: list[str] = []
        for index, (number, (mutation, arguments)) in enumerate(moves):
            sent = time.perf_counter()
            await api.move(tokens["staff"], mutation, number, **arguments)
            mutation_ms = (time.perf_counter() - sent) * 1000
            taken = await asyncio.gather(*(s.take(1, timeout=60) for s in subscribers))
            received: list[Received] = [got[0] for got in taken]
            ids = {r.event["id"] for r in received}
            assert len(ids) == 1 and received[0].event["caseNumber"] == number, "subscribers disagree"
            cursors.append(received[0].event["cursor"])
            if index < WARMUP:
                continue
            at = datetime.fromisoformat(received[0].event["at"]).timestamp()
            lat = [(r.at - at) * 1000 for r in received]
            result.latencies_ms += lat
            result.first_ms.append(min(lat))
            result.last_ms.append(max(lat))
            result.mutation_ms.append(mutation_ms)
        await asyncio.sleep(0.5)
        assert all(s.pending() == [] and not s.errors for s in subscribers), "duplicates or errors"
        return result, cursors[-2]
    finally:
        await asyncio.gather(*(s.close() for s in subscribers))


async def live_rounds(env: dict[str, str], data: Path, *, kind: str, repo: Path = REPO) -> list[Round]:
    tokens = mint_tokens(env, ["citizen", "staff"])
    run_cli(env, "migrate")
    run_cli(env, "seed")
    log = data / "server.log"
    server = start_server(env, log, repo=repo)
    base = f"http://127.0.0.1:{env['PORT']}"
    api = Api(base)
    try:
        await wait_healthy(base, server, log_path=log)
        per_round = -(-(WARMUP + TRANSITIONS) // len(STEPS))
        cases = [(await api.submit_case(tokens["citizen"]))["number"] for _ in range(per_round * len(SUBSCRIBERS))]
        # The newest event is the last case's SUBMITTED; resuming after the one before it, each
        # subscription of the first round replays exactly that one.
        after = (await api.events(tokens["citizen"], cases[-2]))[0]["cursor"]
        rounds = []
        for i, count in enumerate(SUBSCRIBERS):
            batch = cases[i * per_round:(i + 1) * per_round]
            figures, after = await measure_round(api=api, ws_url=base.replace("http", "ws") + "/graphql",
                                                 tokens=tokens, server_pid=server.pid, count=count, after=after,
                                                 cases=batch)
            rounds.append(figures)
            print(f"  [{kind}] N={count}: p50 {statistics.median(figures.latencies_ms):.1f} ms", file=sys.stderr)
        return rounds
    finally:
        await api.close()
        stop(server)


async def bulk_cases(*, user_id: int, count: int) -> None:
    from backend.models import Case, CaseEvent, CaseMaterial, ServiceItem
    from backend.models.cases import CaseEventKind, CaseStatus, MaterialProvision

    item = await ServiceItem.get(code="61010102006")
    accepted_on = date.today() - timedelta(days=3)
    now = datetime.now(timezone.utc)
    await Case.bulk_create([
        Case(number=f"BENCH-{i:06d}", applicant_id=user_id, item_id=item.id, department_id=item.department_id,
             status=CaseStatus.ACCEPTED, idempotency_key=f"bench-{i:06d}", promised_days=20, statutory_days=30,
             accepted_at=now, accepted_on=accepted_on, promised_due=accepted_on + timedelta(days=28),
             statutory_due=accepted_on + timedelta(days=42))
        for i in range(count)
    ], batch_size=500)
    ids = await Case.filter(number__startswith="BENCH-").values_list("id", flat=True)
    await CaseMaterial.bulk_create([
        CaseMaterial(case_id=case_id, position=p, name=f"材料{p}", required=True, provision=MaterialProvision.FIELDS,
                     fields_json=[{"name": "内容", "value": "已填写"}])
        for case_id in ids for p in range(3)
    ], batch_size=1000)
    await CaseEvent.bulk_create([
        CaseEvent(case_id=case_id, applicant_id=user_id, department_id=item.department_id, kind=kind, status=status,
                  actor_label="bench")
        for case_id in ids
        for kind, status in ((CaseEventKind.SUBMITTED, CaseStatus.SUBMITTED),
                             (CaseEventKind.ACCEPTED, CaseStatus.ACCEPTED))
    ], batch_size=1000)


async def query_counts(env: dict[str, str]) -> dict[int, tuple[int, float, int]]:
    """{first: (statements, milliseconds, edges)} for myCases of a citizen with 1,000 cases."""
    import httpx

    from backend.app import create_app
    from backend.auth.dev_idp import mint_access_token
    from backend.auth.identity import build_identity
    from backend.keys import load_keys
    from backend.models import User
    from backend.settings import load_settings
    from tests.helpers import count_queries

    settings = load_settings(env)
    identity = build_identity(settings, load_keys(settings))
    token = mint_access_token(identity, persona="citizen2", audience=settings.oidc_audience)
    app = create_app(settings, identity=identity)
    counts: dict[int, tuple[int, float, int]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     headers={"authorization": f"Bearer {token}"}) as http:
            async def ask(first: int) -> dict[str, Any]:
                response = await http.post("/graphql", json={"query": MY_CASES, "variables": {"first": first}})
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, body
                return body["data"]["myCases"]

            await ask(1)  # signs citizen2 in (creates the user)
            user = await User.filter(name="李娜").first()
            assert user is not None
            await bulk_cases(user_id=user.id, count=CASES_FOR_COUNTS)
            for first in (10, CASES_FOR_COUNTS):
                await ask(first)  # warm
                with count_queries() as log:
                    started = time.perf_counter()
                    page = await ask(first)
                    elapsed = (time.perf_counter() - started) * 1000
                counts[first] = (log.count, elapsed, len(page["edges"]))
    return counts


async def one_server(repo: Path, *, counts: bool) -> tuple[str, list[Round], dict[int, tuple[int, float, int]]]:
    data = Path(tempfile.mkdtemp(prefix="zsb-progress-"))
    redis_process = None
    try:
        database, redis_url, redis_process = await bench_stores(data)
        port = free_port()
        env = app_env(data_dir=data, database_url=database, port=port, redis_url=redis_url,
                      feed_poll_ms=5000, LOG_LEVEL="WARNING")
        kind = ("PostgreSQL" if database.startswith("postgres") else "SQLite") + (" + Redis" if redis_url else
                                                                                  " + in-process bus")
        rounds = await live_rounds(env, data, kind=kind, repo=repo)
        return kind, rounds, (await query_counts(env) if counts else {})
    finally:
        stop(redis_process)
        shutil.rmtree(data, ignore_errors=True)


async def main() -> None:
    raise_open_files_limit(4 * max(SUBSCRIBERS) + 1024)
    # BENCH_BEFORE_REPO: another checkout (say, `git worktree add --detach /tmp/before <commit>`)
    # whose server is measured first in the same run, for before/after rows.
    servers = [("before", Path(os.environ["BENCH_BEFORE_REPO"]))] if os.environ.get("BENCH_BEFORE_REPO") else []
    servers.append(("this checkout", REPO))
    measured = []
    for label, repo in servers:
        kind, rounds, counts = await one_server(repo, counts=label == "this checkout")
        measured.append((label, rounds))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")
    for label, rounds in measured:
        print_rounds(label, kind, rounds)
    print("\n| `myCases(first: N)` with status, item{name}, events{kind}, deadline{promisedDue}, materials{name} "
          "| statements | time |\n|---|---|---|")
    for first, (statements, elapsed, edges) in counts.items():
        print(f"| {edges} cases | {statements} | {elapsed:.0f} ms |")


def print_rounds(label: str, kind: str, rounds: list[Round]) -> None:
    print(f"\nLive case progress, {label} ({kind}; 1 uvicorn worker; {TRANSITIONS} transitions per row, after {WARMUP} "
          f"warm-up; latency = client receive − event `at`; permessage-deflate {'offered' if DEFLATE else 'off'})\n")
    print("| subscribers | all: p50 | all: p99 | first subscriber p50 / p99 | last subscriber p50 / p99 | max "
          "| mutation p50 |")
    print("|---|---|---|---|---|---|---|")
    for r in rounds:
        print(f"| {r.subscribers} | {statistics.median(r.latencies_ms):.1f} ms "
              f"| {percentile(r.latencies_ms, 99):.1f} ms "
              f"| {statistics.median(r.first_ms):.1f} / {percentile(r.first_ms, 99):.1f} ms "
              f"| {statistics.median(r.last_ms):.1f} / {percentile(r.last_ms, 99):.1f} ms "
              f"| {max(r.latencies_ms):.1f} ms | {statistics.median(r.mutation_ms):.1f} ms |")
    print("\n| server VmRSS | before | N acknowledged (authenticated, idle) | each also subscribed | seconds to "
          "open and subscribe all |\n|---|---|---|---|---|")
    for big in rounds:
        if big.subscribers < 100:
            continue
        assert big.rss_before_kib and big.rss_connected_kib and big.rss_after_kib and big.open_seconds
        n = big.subscribers
        print(f"| N={n} | {big.rss_before_kib / 1024:.1f} MiB "
              f"| {big.rss_connected_kib / 1024:.1f} MiB, {(big.rss_connected_kib - big.rss_before_kib) / n:.1f} KiB each "
              f"| {big.rss_after_kib / 1024:.1f} MiB, {(big.rss_after_kib - big.rss_before_kib) / n:.1f} KiB each "
              f"| {big.open_seconds:.1f} |")

if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())

"""What a subscribed websocket holds in the server: tracemalloc's breakdown per connection.

    .venv/bin/python -m bench.ws_memory                      # this checkout
    BENCH_BEFORE_REPO=/path/to/other/checkout .venv/bin/python -m bench.ws_memory   # and a "before" row

Method: one server (`python -m backend serve`, tracemalloc started once it is warm:
bench/traced_server.py; SQLite,
in-process bus), warmed by one subscription opened and closed. Snapshot; then N
(BENCH_CONNECTIONS, default 500) graphql-transport-ws connections as the citizen, each with one
`caseProgress` subscription that has replayed one event, and a second snapshot. The difference,
grouped by the first frame outside the standard library (walking from the allocation outwards),
divided by N. tracemalloc counts Python allocations only (not the kernel's socket buffers nor
malloc's slack), so the VmRSS difference is printed too; tracemalloc itself slows the server,
so no latency is measured here. The client offers no permessage-deflate (WS_DEFLATE is off on
the server by default anyway).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.case_progress import raise_open_files_limit, rss_kib  # noqa: E402
from bench.live_cases import (  # noqa: E402
    Api, Subscription, app_env, bench_stores, free_port, mint_tokens, run_cli, start_server, stop, wait_healthy,
)

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "500"))
STDLIB = os.path.dirname(os.__file__)


def where(trace: tracemalloc.Traceback) -> str:
    """The first frame, from the allocation outwards, that is not the standard library."""
    for frame in reversed(trace):  # most recent last
        name = frame.filename
        if name.startswith(STDLIB) and "site-packages" not in name:
            continue
        if "site-packages/" in name:
            name = name.split("site-packages/", 1)[1]
        elif "/backend/" in name:
            name = "backend/" + name.split("/backend/", 1)[1]
        return f"{name}:{frame.lineno}"
    return f"(stdlib) {trace[-1].filename.rsplit('/', 1)[-1]}:{trace[-1].lineno}"


async def snapshot(server_pid: int, path: Path) -> tracemalloc.Snapshot:
    done = path.with_name(path.name + ".done")
    done.unlink(missing_ok=True)
    os.kill(server_pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not done.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("no snapshot from the server")
        await asyncio.sleep(0.2)
    return tracemalloc.Snapshot.load(str(done))


async def measure(repo: Path, label: str) -> tuple[str, int, dict[str, float], float, int]:
    data = Path(tempfile.mkdtemp(prefix="zsb-wsmem-"))
    try:
        database, redis_url, _ = await bench_stores(data)
        env = app_env(data_dir=data, database_url=database, port=free_port(), redis_url=redis_url,
                      TRACE_SNAPSHOT=str(data / "snapshot"))
        tokens = mint_tokens(env, ["citizen", "staff"])
        run_cli(env, "migrate")
        run_cli(env, "seed")
        log = data / "server.log"
        server = start_server(env, log, repo=repo, command=(str(REPO / "bench" / "traced_server.py"),))
        base = f"http://127.0.0.1:{env['PORT']}"
        api = Api(base)
        url = base.replace("http", "ws") + "/graphql"
        try:
            await wait_healthy(base, server, log_path=log, timeout=120)
            case = await api.submit_case(tokens["citizen"])
            await api.move(tokens["staff"], "acceptCase", case["number"])
            after = (await api.events(tokens["citizen"], case["number"]))[0]["cursor"]
            warm = await Subscription.open(url, tokens["citizen"], after=after, timeout=60)
            await warm.take(1, timeout=60)
            await warm.close()
            os.kill(server.pid, signal.SIGUSR2)  # tracing starts now
            await asyncio.sleep(1.0)
            rss_before = rss_kib(server.pid)
            before = await snapshot(server.pid, data / "snapshot")
            gate = asyncio.Semaphore(50)

            async def one() -> Subscription:
                async with gate:
                    return await Subscription.connect(url, tokens["citizen"], timeout=120, deflate=False)

            subscribers = list(await asyncio.gather(*(one() for _ in range(CONNECTIONS))))
            try:
                for subscriber in subscribers:
                    await subscriber.subscribe(after=after)
                await asyncio.gather(*(s.take(1, timeout=300) for s in subscribers))
                await asyncio.sleep(1.0)
                rss_after = rss_kib(server.pid)
                after_snapshot = await snapshot(server.pid, data / "snapshot")
            finally:
                await asyncio.gather(*(s.close() for s in subscribers))
        finally:
            await api.close()
            stop(server)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    groups: dict[str, float] = defaultdict(float)
    total = 0
    for stat in after_snapshot.compare_to(before, "traceback"):
        groups[where(stat.traceback)] += stat.size_diff
        total += stat.size_diff
    return label, total, groups, (rss_after - rss_before) / CONNECTIONS, CONNECTIONS


def package(place: str) -> str:
    head = place.split(":", 1)[0]
    return head.split("/", 1)[0] if not head.startswith("backend/") else head


async def main() -> None:
    raise_open_files_limit(4 * CONNECTIONS + 1024)
    runs = []
    if os.environ.get("BENCH_BEFORE_REPO"):
        runs.append(await measure(Path(os.environ["BENCH_BEFORE_REPO"]), "before"))
    runs.append(await measure(REPO, "this checkout"))
    print(f"\nServer memory per subscribed connection (N={CONNECTIONS}; tracemalloc = Python allocations; "
          "VmRSS includes the rest)\n")
    print("| server | tracemalloc per connection | VmRSS per connection |\n|---|---|---|")
    for label, total, _, rss, n in runs:
        print(f"| {label} | {total / n / 1024:.1f} KiB | {rss:.1f} KiB |")
    for label, total, groups, _, n in runs:
        by_package: dict[str, float] = defaultdict(float)
        for place, size in groups.items():
            by_package[package(place)] += size
        print(f"\n{label}: by package (first non-stdlib frame)\n\n| where | per connection |\n|---|---|")
        for name, size in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
            print(f"| {name} | {size / n / 1024:.2f} KiB |")
        print(f"\n{label}: top allocation sites\n\n| site | per connection |\n|---|---|")
        for place, size in sorted(groups.items(), key=lambda kv: -kv[1])[:15]:
            print(f"| `{place}` | {size / n / 1024:.2f} KiB |")


if __name__ == "__main__":
    asyncio.run(main())

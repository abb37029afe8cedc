"""Catalog throughput: the GraphQL catalog query vs a plain Starlette route doing the same DB
read, in the same single-worker uvicorn process, measured with wrk, alternating rounds.

    make bench                       # embedded SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make bench

Bounded: each round runs a fixed time against 127.0.0.1 only, then the server is stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.app import GRAPHQL_QUERY  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str) -> tuple[float, str, str]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-H",
         "Accept: application/graphql-response+json", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"(?m)^\s*50%\s+(\S+)", out).group(1)
    p99 = re.search(r"(?m)^\s*99%\s+(\S+)", out).group(1)
    if "Non-2xx" in out:
        raise SystemExit(f"errors during the run:\n{out}")
    return rps, p50, p99


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk (make bench does it)")
    data = Path(tempfile.mkdtemp(prefix="zsb-bench-"))
    port = free_port()
    env = {**os.environ, "APP_ENV": "production", "DATA_DIR": str(data), "HOST": "127.0.0.1",
           "PORT": str(port), "LOG_LEVEL": "WARNING",
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite://{data / 'bench.sqlite3'}"}
    env.pop("REDIS_URL", None)
    for command in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "backend", command], env=env, cwd=REPO, check=True,
                       capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.app:create_bench_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    graphql_url = f"{base}/graphql?" + urllib.parse.urlencode({"query": GRAPHQL_QUERY})
    plain_url = f"{base}/bench/plain-catalog"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        results: dict[str, list[tuple[float, str, str]]] = {"graphql": [], "plain": []}
        wrk(graphql_url), wrk(plain_url)  # warm-up: caches, connection pool
        for _ in range(ROUNDS):
            results["graphql"].append(wrk(graphql_url))
            results["plain"].append(wrk(plain_url))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)

    kind = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"\nCatalog read ({kind}, 1 uvicorn worker, wrk -t1 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} rounds)\n")
    print("| endpoint | req/s (best) | req/s (rounds) | p50 | p99 |")
    print("|---|---|---|---|---|")
    for name, label in (("graphql", "GraphQL `serviceItems` (GET)"), ("plain", "plain Starlette route")):
        runs = results[name]
        best = max(runs)
        print(f"| {label} | {best[0]:.0f} | {' / '.join(f'{r[0]:.0f}' for r in runs)} | {best[1]} | {best[2]} |")
    ratio = max(results["graphql"])[0] / max(results["plain"])[0]
    print(f"\nGraphQL reaches {ratio:.0%} of the plain route's throughput.")


if __name__ == "__main__":
    main()

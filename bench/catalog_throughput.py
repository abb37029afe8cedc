"""Catalog throughput: the GraphQL catalog query (answered from the server's public cache, and
revalidated to 304) and `myCases(first: 20)` with a token, each vs a plain Starlette route doing
the same reads, in the same single-worker uvicorn process, measured with wrk, alternating rounds.

    make bench                       # embedded SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench make bench   # + BENCH_REDIS_URL=redis://…

Bounded: each round runs a fixed time against 127.0.0.1 only, then the server is stopped.
"""

from __future__ import annotations

import json
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

from bench.app import GRAPHQL_QUERY, MY_CASES_QUERY  # noqa: E402
from bench.live_cases import mint_tokens  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, *headers: str) -> tuple[float, str, str]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-H",
               "Accept: application/graphql-response+json"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"(?m)^\s*50%\s+(\S+)", out).group(1)
    p99 = re.search(r"(?m)^\s*99%\s+(\S+)", out).group(1)
    if "Non-2xx" in out:
        raise SystemExit(f"errors during the run:\n{out}")
    return rps, p50, p99


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk (make bench does it)")
    database = os.environ.get("BENCH_DATABASE_URL")
    if database and "bench" not in database.rsplit("/", 1)[-1]:
        raise SystemExit("BENCH_DATABASE_URL must name a database with 'bench' in its name (it is overwritten)")
    data = Path(tempfile.mkdtemp(prefix="zsb-bench-"))
    port = free_port()
    # APP_ENV=dev for the development identity provider's tokens (myCases); both routes of each
    # pair run in this one process, so the ratios compare like with like.
    env = {**os.environ, "APP_ENV": "dev", "DATA_DIR": str(data), "HOST": "127.0.0.1",
           "PORT": str(port), "LOG_LEVEL": "WARNING",
           "DATABASE_URL": database or f"sqlite://{data / 'bench.sqlite3'}"}
    env.pop("REDIS_URL", None)
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    for command in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "backend", command], env=env, cwd=REPO, check=True,
                       capture_output=True)
    token = mint_tokens(env, ["citizen"])["citizen"]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.app:create_bench_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    graphql_url = f"{base}/graphql?" + urllib.parse.urlencode({"query": GRAPHQL_QUERY})
    my_cases_url = f"{base}/graphql?" + urllib.parse.urlencode({"query": MY_CASES_QUERY})
    auth = f"Authorization: Bearer {token}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        urllib.request.urlopen(urllib.request.Request(f"{base}/bench/make-cases", method="POST", data=b"",
                                                      headers={"authorization": f"Bearer {token}"}), timeout=10)
        with urllib.request.urlopen(urllib.request.Request(
                graphql_url, headers={"accept": "application/graphql-response+json"}), timeout=10) as answer:
            etag = answer.headers["etag"]
        with urllib.request.urlopen(urllib.request.Request(
                my_cases_url, headers={"accept": "application/graphql-response+json",
                                       "authorization": f"Bearer {token}"}), timeout=10) as answer:
            assert len(json.loads(answer.read())["data"]["myCases"]["edges"]) == 20
        runs = {
            "hit": (graphql_url,), "304": (graphql_url, f"If-None-Match: {etag}"),
            "plain": (f"{base}/bench/plain-catalog",),
            "cases": (my_cases_url, auth), "plain-cases": (f"{base}/bench/plain-my-cases", auth),
        }
        results: dict[str, list[tuple[float, str, str]]] = {name: [] for name in runs}
        for args in runs.values():
            wrk(*args)  # warm-up: caches, connection pool
        for _ in range(ROUNDS):
            for name, args in runs.items():
                results[name].append(wrk(*args))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)

    kind = "PostgreSQL" if database else "SQLite"
    load = os.getloadavg()
    print(f"\nCatalog read ({kind}{' + Redis' if env.get('REDIS_URL') else ''}, 1 uvicorn worker, "
          f"wrk -t1 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} rounds; load average {load[0]:.2f} {load[1]:.2f})\n")
    print("| endpoint | req/s (best) | req/s (rounds) | p50 | p99 | ratio |")
    print("|---|---|---|---|---|---|")
    best = {name: max(runs) for name, runs in results.items()}
    rows = (("hit", "GraphQL `serviceItems` (GET, server cache hit)", "plain"),
            ("304", "GraphQL `serviceItems` (GET, If-None-Match → 304)", "plain"),
            ("plain", "plain Starlette route (same read)", None),
            ("cases", "GraphQL `myCases(first: 20)` (GET, token)", "plain-cases"),
            ("plain-cases", "plain Starlette + tortoise route (same reads, same token decoding)", None))
    for name, label, against in rows:
        runs = results[name]
        ratio = f"{best[name][0] / best[against][0]:.2f}" if against else "1"
        print(f"| {label} | {best[name][0]:.0f} | {' / '.join(f'{r[0]:.0f}' for r in runs)} | "
              f"{best[name][1]} | {best[name][2]} | {ratio} |")


if __name__ == "__main__":
    main()

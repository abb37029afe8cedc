"""Hostile and malformed requests to /graphql: how fast each is refused, and with what.

    .venv/bin/python bench/hostile_documents.py            # embedded SQLite, APP_ENV=dev
    BENCH_REPEAT=5 .venv/bin/python bench/hostile_documents.py

One development server (`python -m backend serve`, one uvicorn worker) on 127.0.0.1, a fresh
SQLite database, each request sent BENCH_REPEAT times one after the other over one keep-alive
connection; the table shows the status, the error's extensions.code and the median and worst
wall time as the client saw it. Then the same requests against the ASGI app in this process,
for the median CPU time each costs (less disturbed by other load than wall time). A plain
catalog query is the yardstick. After the table, the worst /healthz time measured while the
exponential-fragment document was being sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.live_cases import app_env, free_port, run_cli, start_server, stop, wait_healthy  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "10"))
TIMEOUT = 60.0


def exponential_fragments(levels: int = 20, name: str = "X") -> str:
    fragments = [f"fragment {name}0 on Query {{ webPushPublicKey }}"]
    fragments += [f"fragment {name}{i} on Query {{ ...{name}{i - 1} ...{name}{i - 1} }}" for i in range(1, levels + 1)]
    return f"query {{ ...{name}{levels} }} " + " ".join(fragments)


def deep_introspection(depth: int = 50) -> str:
    # __type's ofType chains as deep as one likes; the depth limit must count it.
    return "{ __type(name: \"Query\") { " + "ofType { " * (depth - 1) + "name" + " }" * depth + " }"


def nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    head = b'{"query": "{ departments { name } }", "pad": "'
    yield head
    sent = len(head)
    while sent < total:
        yield b" " * size
        sent += size
    yield b'"}'


JSON = {"content-type": "application/json", "accept": "application/graphql-response+json"}
CHUNKED = "chunked"  # stands for a 1 MB body sent without Content-Length


def cases() -> list[tuple[str, dict[str, object]]]:
    def post(query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        return {"method": "POST", "document": query, "variables": variables or {}}

    def raw(body: bytes, headers: dict[str, str] | None = None) -> dict[str, object]:
        return {"method": "POST", "content": body, "headers": headers or JSON}

    deep_variables = ('{"query": "query($x: [Int]) { departments { name } }", "variables": {"x": '
                      + nested_list(5000) + "}}").encode()
    return [
        ("catalog query (yardstick)", {**post("{ departments { name } }"), "fresh": False}),
        ("exponential fragments 2^21", post(exponential_fragments(20))),
        ("990 repeated departments { name }", post("{ " + "departments { name } " * 990 + "}")),
        ("240 repeated departments { name }", post("{ " + "departments { name } " * 240 + "}")),
        ("depth 50 (__type ofType…)", post(deep_introspection(50))),
        ("1,000 aliases", post("{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }")),
        ("300 aliases", post("{ " + " ".join(f"a{i}: __typename" for i in range(300)) + " }")),
        ("1 MB document", post("{ departments { name } }" + " " * (1024 * 1024))),
        ("1 MB chunked body", {"method": "POST", "content": CHUNKED, "headers": JSON}),
        ("100k tokens (200 KB)", post("{ " + "a " * 100_000 + "}")),
        ("30k tokens (60 KB)", post("{ " + "a " * 30_000 + "}")),
        ("variables 5000 deep", raw(deep_variables)),
        ("body 42", raw(b"42")),
        ("body \"str\"", raw(b'"str"')),
        ("body null", raw(b"null")),
        ("body [] (batch)", raw(b'[{"query": "{ __typename }"}]')),
        ("body not UTF-8", raw(b'{"query": "{ departments { name \xff } }"}')),
        ("text/plain body", raw(b'{"query": "{ __typename }"}', {"content-type": "text/plain"})),
        ("GET 60 KB query string", {"method": "GET", "params": {"query": "{ " + "a " * 30_000 + "}"}}),
        ("Int 2147483648 variable", post("query($n: Int) { serviceItems(first: $n) { totalCount } }",
                                         {"n": 2147483648})),
    ]


def summary(response: httpx.Response) -> tuple[int, str]:
    try:
        body = response.json()
    except ValueError:
        return response.status_code, f"(not JSON: {response.text[:30]!r})"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return response.status_code, "-"
    extensions = errors[0].get("extensions") or {}
    code = extensions.get("code") or errors[0]["message"][:28]
    return response.status_code, code + (f" ({extensions['limit']})" if "limit" in extensions else "")


def build(options: dict[str, object], attempt: int, body: Callable[[], object]) -> dict[str, object]:
    """One request's arguments for httpx; `body` makes a fresh chunked body (one is spent per request)."""
    request = dict(options)
    if "document" in request:
        # A new text each time, as an attacker would send, its nodes at new positions: neither the
        # parser cache nor the validation cache helps. The yardstick is sent as is, as the PWA does.
        fresh = "#" * (attempt + 1) + "\n" if request.pop("fresh", True) else ""
        document = fresh + str(request.pop("document"))
        request["content"] = json.dumps({"query": document, "variables": request.pop("variables")}).encode()
    if "headers" not in request:
        request["headers"] = {"accept": "application/graphql-response+json",
                              **({"content-type": "application/json"} if request["method"] == "POST" else {})}
    if request.get("content") == CHUNKED:
        request["content"] = body()
    return request


def measure(http: httpx.Client, options: dict[str, object]) -> tuple[list[float], int, str]:
    times = []
    status, code = 0, ""
    for attempt in range(REPEAT):
        request = build(options, attempt, lambda: chunks(1024 * 1024))
        started = time.perf_counter()
        try:
            response = http.request(request.pop("method"), "/graphql", **request)
        except httpx.TransportError as error:  # the server (or uvicorn before it) dropped the connection
            times.append((time.perf_counter() - started) * 1000)
            status, code = 0, type(error).__name__
            continue
        times.append((time.perf_counter() - started) * 1000)
        status, code = summary(response)
    return times, status, code


async def cpu_in_process(env: dict[str, str]) -> dict[str, float]:
    """The same requests against the ASGI app in this process: median CPU time of this thread per
    request (the app's work plus httpx's in-process transport), which the other processes on the
    machine disturb far less than wall time."""
    from backend.app import create_app
    from backend.settings import load_settings

    logging.getLogger("backend").addHandler(logging.NullHandler())  # the refusal lines: not here

    async def async_chunks() -> AsyncIterator[bytes]:
        for chunk in chunks(1024 * 1024):
            yield chunk

    app = create_app(load_settings(env))
    medians = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for name, options in cases():
                cpu = []
                for attempt in range(REPEAT):
                    request = build(options, attempt, async_chunks)
                    started = time.thread_time()
                    await http.request(request.pop("method"), "/graphql", **request)
                    cpu.append((time.thread_time() - started) * 1000)
                medians[name] = statistics.median(cpu)
    return medians


async def healthz_during(base: str) -> tuple[float, float]:
    """The attack and /healthz at once: the worst /healthz time and the attack's own time."""
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as http:
        async def attack() -> float:
            started = time.perf_counter()
            for attempt in range(5):
                # New fragment names: a document of the same shape and length would hit the
                # validation cache (graphql-core's nodes compare by position, not by text).
                await http.post("/graphql", json={"query": exponential_fragments(20, name=f"N{attempt}_")},
                                headers={"accept": "application/json"})
            return (time.perf_counter() - started) * 1000 / 5

        async def probe() -> float:
            worst = 0.0
            for _ in range(40):
                started = time.perf_counter()
                try:
                    await http.get("/healthz")
                except httpx.TimeoutException:
                    return TIMEOUT * 1000  # no answer within the client's timeout
                worst = max(worst, (time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.005)
            return worst

        attack_ms, worst = await asyncio.gather(attack(), probe())
    return worst, attack_ms


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="zsb-hostile-"))
    port = free_port()
    env = app_env(data_dir=data, database_url=f"sqlite://{data / 'bench.sqlite3'}", port=port)
    run_cli(env, "migrate")
    run_cli(env, "seed")
    log_path = data / "server.log"
    server = start_server(env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_healthy(base, server, log_path=log_path))
        rows = []
        with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
            for name, options in cases():
                times, status, code = measure(http, options)
                rows.append((name, status, code, statistics.median(times), max(times)))
        worst_health, attack_ms = asyncio.run(healthz_during(base))
    finally:
        stop(server)
    cpu = asyncio.run(cpu_in_process(env))
    width = max(len(row[0]) for row in rows)
    print(f"{'request':<{width}}  status  {'code (limit)':<36} median ms  worst ms  CPU ms in-process")
    for name, status, code, median, worst in rows:
        print(f"{name:<{width}}  {status:>6}  {code:<36} {median:>9.1f}  {worst:>8.1f}  {cpu[name]:>17.2f}")
    print(f"/healthz worst while the exponential-fragment document ran: {worst_health:.1f} ms "
          f"(the document itself, mean of 5: {attack_ms:.1f} ms)")
    print(f"({REPEAT} requests each; {os.cpu_count()} CPUs; server log: {log_path})")


if __name__ == "__main__":
    main()

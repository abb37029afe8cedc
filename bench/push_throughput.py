"""Web push: sends per second per worker against the stand-in push service, CPU per message,
and whether the server's event loop stays responsive while 1,000 pushes go out.

    .venv/bin/python -m bench.push_throughput      # SQLite, embedded worker (WORKER_MODE=inprocess)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zsb_bench BENCH_REDIS_URL=private \\
        .venv/bin/python -m bench.push_throughput  # PostgreSQL + Redis, `python -m backend worker`

BENCH_DATABASE_URL names a PostgreSQL database that is created if missing and EMPTIED (its name
must contain "bench"). BENCH_REDIS_URL is a Redis URL, or `private` to start a memory-only
redis-server on a free port for the run; with Redis the worker runs as its own process
(WORKER_MODE=external, taskiq on Redis streams), without it inside the server. Optional:
BENCH_PUSHES (1000), BENCH_DEVICES_PER_PERSON (1; 10 is the app's maximum per person),
BENCH_PROFILE=<file> (the sending process runs under cProfile and leaves its stats there; the
timings are then not representative).
Everything listens on 127.0.0.1; every wait is bounded. The database (SQLite) and logs live in a
fresh directory under TMPDIR. Other work on the machine shows in every figure: the report prints
the load average before and after; compare quiet runs only.

Method
- Three processes besides this one: the app (`python -m backend serve`, one uvicorn worker,
  APP_ENV=dev, PUSH_ENDPOINT_HOSTS=127.0.0.1, fresh database), in the Redis variant also
  `python -m backend worker`, and the stand-in push service (tests/push_service.py: it checks
  every request's VAPID token, TTL and Urgency and decrypts the aes128gcm payload with the
  device's own key, as a browser's push service and browser would). The stand-in runs in its own
  process (`python -m bench.push_throughput --standin N`) so that its verification and
  decryption are not charged to the worker; its CPU is reported separately. All share the
  machine's 2 cores.
- Devices: N subscriptions at the stand-in, all answering 201. The citizen persona's devices are
  registered through the API (`registerPushSubscription`); everybody else's — people created
  directly in the database, since the app keeps at most 10 devices per person — are inserted in
  bulk through the ORM with the same fields the mutation writes. Default: 1,000 people × 1
  device, so the outbox holds 1,000 rows (the dispatcher's batch is 200).
- A round: one notification per person (a CASE_APPROVED-like text, no case), inserted in one
  bulk insert with `push_after = now`, as `notify()` writes them. The clock starts when the
  insert has committed. Embedded variant: the in-process bus cannot be reached from outside, so
  the dispatcher finds the rows by its periodic re-read, which is set to FEED_POLL_MS=100 for the
  run (default 5 s; the case and inbox feeds re-read at that pace too, which the idle CPU figure
  includes). Redis variant: this process announces on the `notifications` channel, as the app
  does after a commit, and FEED_POLL_MS stays at its default.
- Sends/s = N / (last message received by the stand-in − commit); "steady" = (N − 1) / (last −
  first message), which leaves out the wait for the dispatcher's poll. Arrival times are the
  stand-in's time.monotonic(), comparable with this process's (one system-wide clock on Linux).
  Then every PushDelivery of the round must be SENT (polled every 50 ms, bounded), the stand-in
  must have received exactly N messages, one per device, with no rejection.
- CPU per message: utime + stime of the sending process (the worker, or the server in the
  embedded variant; all its threads, so aiosqlite's too) from /proc/<pid>/stat, from just before
  the insert until all deliveries are SENT, divided by N ("gross"). "Net" subtracts the same
  process's idle CPU rate over a 3 s window just before (feed polls, probes) times the round's
  duration. stime includes the kernel's loopback work, part of which is the receiving side's.
- Responsiveness: a thread GETs /healthz every 20 ms (it runs `SELECT 1` and pings the bus, so
  it waits for the database too) and a second thread GETs /.well-known/jwks.json every 20 ms
  (no I/O: pure event-loop delay), both over keep-alive connections; a missed tick is skipped,
  not made up. Latency p50/p99/max while idle (3 s) and while the round is sent.
- Rounds: a warm-up of 50 pushes (VAPID token signed, connections opened), then round A
  without probes (the throughput and CPU figures), then round B with the probes running (the
  latency figures; its throughput shows what the probes cost).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PUSHES = int(os.environ.get("BENCH_PUSHES", "1000"))
DEVICES_PER_PERSON = int(os.environ.get("BENCH_DEVICES_PER_PERSON", "1"))
PROFILE = os.environ.get("BENCH_PROFILE", "")  # a file: the sending process runs under cProfile
WARMUP = 50
IDLE_SECONDS = 3.0
PROBE_INTERVAL = 0.020
EMBEDDED_POLL_MS = 100
ROUND_TIMEOUT = 300.0  # seconds for one round's N messages to arrive
SETTLE_TIMEOUT = 60.0  # and then for every delivery row to be final
CLK_TCK = os.sysconf("SC_CLK_TCK")

REGISTER = """mutation($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) {
  __typename ... on PushSubscriptionRegistered { device { id } } ... on InputError { code field message } } }"""
BODY = ("您申请的“教师资格认定”已审批通过。证书将按您选择的方式送达，请留意短信通知；"
        "如需帮助，可在办件详情中联系窗口工作人员。")


# --- the stand-in push service, in its own process ------------------------------------------------

def standin_main(count: int) -> None:
    """`python -m bench.push_throughput --standin N`: a PushService with N "ok" devices. Prints
    {"pid", "origin", "devices": [info, …]} as one line, then answers one command per stdin line:
    `wait START TOTAL TIMEOUT` (until TOTAL requests were answered, 201 or rejected, then report
    on the messages received from index START on) and `quit`. Ends at EOF or SIGTERM too."""
    asyncio.run(_standin(count))


async def _standin(count: int) -> None:
    from tests.push_service import PushService

    class CountingPushService(PushService):
        """Counts requests in flight and the connections they came on."""

        def __init__(self) -> None:
            super().__init__()
            self.in_flight = 0
            self.max_in_flight = 0
            self.peers: set[Any] = set()

        async def _handle(self, request):  # type: ignore[no-untyped-def]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if request.transport is not None:
                self.peers.add(request.transport.get_extra_info("peername"))
            try:
                return await super()._handle(request)
            finally:
                self.in_flight -= 1

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    async with CountingPushService() as push:
        devices = [push.subscribe() for _ in range(count)]
        say({"pid": os.getpid(), "origin": push.origin, "devices": [d.info for d in devices]})
        while not stop.is_set():
            line_task = asyncio.ensure_future(reader.readline())
            stop_task = asyncio.ensure_future(stop.wait())
            await asyncio.wait({line_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            if not line_task.done():
                line_task.cancel()
                break
            words = line_task.result().decode().split()
            if not words or words[0] == "quit":
                break
            if words[0] == "wait":
                start, total, timeout = int(words[1]), int(words[2]), float(words[3])
                with contextlib.suppress(AssertionError):  # its timeout: report what did arrive
                    await push.wait_for(lambda p, n=total: len(p.received) + len(p.rejections) >= n, timeout)
                got = push.received[start:]
                pairs = collections.Counter((r.device.token, r.payload.get("id") if isinstance(r.payload, dict)
                                             else None) for r in got)
                say({"received": len(push.received), "rejections": len(push.rejections),
                     "requests": push.requests, "round_received": len(got),
                     "first_at": got[0].at if got else None, "last_at": got[-1].at if got else None,
                     "devices_reached": len({r.device.token for r in got}),
                     "duplicates": sum(n - 1 for n in pairs.values()),
                     "max_in_flight": push.max_in_flight, "connections": len(push.peers),
                     "rejection_reasons": sorted({f"{r.status} {r.reason}" for r in push.rejections})[:5]})


class StandIn:
    """The bench's side of the stand-in process."""

    def __init__(self, process: asyncio.subprocess.Process, hello: dict[str, Any]) -> None:
        self.process = process
        self.pid: int = hello["pid"]
        self.origin: str = hello["origin"]
        self.devices: list[dict[str, Any]] = hello["devices"]

    @classmethod
    async def start(cls, count: int) -> StandIn:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.push_throughput", "--standin", str(count), cwd=REPO,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26)
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            if not line:
                raise RuntimeError(f"the stand-in push service did not start (exit {await process.wait()})")
            return cls(process, json.loads(line))
        except BaseException:
            await cls._end(process)
            raise

    async def wait(self, *, start: int, total: int, timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"wait {start} {total} {timeout}\n".encode())
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout + 30)
        if not line:
            raise RuntimeError("the stand-in push service ended")
        return dict(json.loads(line))

    async def close(self) -> None:
        await self._end(self.process)

    @staticmethod
    async def _end(process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(Exception):
            assert process.stdin is not None
            process.stdin.write(b"quit\n")
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await asyncio.wait_for(process.wait(), 10)


# --- measuring -----------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


class Probe(threading.Thread):
    """GETs one path every PROBE_INTERVAL over a keep-alive connection and records
    (time.monotonic() at send, latency in ms, status; None for an error)."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True, name=f"probe {path}")
        self.port, self.path = port, path
        self.samples: list[tuple[float, float, int | None]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        tick = time.monotonic()
        while not self._halt.is_set():
            sent = time.monotonic()
            started = time.perf_counter()
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
                status: int | None = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                status = None
            self.samples.append((sent, (time.perf_counter() - started) * 1000, status))
            tick += PROBE_INTERVAL
            now = time.monotonic()
            if tick < now:  # late: skip the missed ticks rather than fire a burst
                tick = now + PROBE_INTERVAL - (now - tick) % PROBE_INTERVAL
            self._halt.wait(tick - now)
        conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=15)

    def between(self, start: float, end: float) -> list[tuple[float, float, int | None]]:
        return [s for s in list(self.samples) if start <= s[0] <= end]


@dataclass
class Latency:
    count: int
    p50: float
    p99: float
    max: float
    errors: int  # no answer, or not 200

    @classmethod
    def of(cls, samples: list[tuple[float, float, int | None]]) -> Latency:
        values = [ms for _, ms, _ in samples] or [float("nan")]
        return cls(count=len(samples), p50=statistics.median(values), p99=percentile(values, 99), max=max(values),
                   errors=sum(1 for *_, status in samples if status != 200))

    def cell(self) -> str:
        return f"{self.p50:.1f} / {self.p99:.1f} / {self.max:.0f} ms"


@dataclass
class Round:
    name: str
    pushes: int
    insert_ms: float
    first_s: float  # commit → first message at the stand-in
    last_s: float  # commit → last message
    settled_s: float  # commit → every delivery final (seen by a 50 ms poll)
    cpu: dict[str, float]  # process → CPU seconds over the round
    idle_rate: dict[str, float]  # process → CPU seconds per second just before
    states: dict[str, int]
    retried: int  # deliveries that took more than one attempt
    standin: dict[str, Any]
    health: dict[str, tuple[Latency, Latency]] = field(default_factory=dict)  # path → (idle, busy)

    @property
    def rate(self) -> float:
        return self.pushes / self.last_s

    @property
    def steady_rate(self) -> float:
        return (self.pushes - 1) / (self.last_s - self.first_s) if self.last_s > self.first_s else float("nan")

    def cpu_ms(self, process: str, *, net: bool) -> float:
        used = self.cpu[process] - (self.idle_rate[process] * self.settled_s if net else 0.0)
        return used * 1000 / self.pushes


# --- the run -------------------------------------------------------------------------------------

@dataclass
class Stack:
    env: dict[str, str]
    data: Path
    kind: str
    external: bool
    processes: dict[str, int] = field(default_factory=dict)  # name → pid, for CPU
    wake: Any = None  # a Bus to announce on, when the app's bus is reachable from here
    redis_pid: int | None = None


async def setup_devices(stack: Stack, standin: StandIn, api: Any, citizen_token: str) -> list[int]:
    """Registers the citizen's devices through the API and the rest in bulk; returns the ids of
    the people who have devices (one notification each per round)."""
    from backend.models import PushSubscription, User
    from backend.services.notifications.subscriptions import endpoint_hash

    infos = standin.devices
    per = DEVICES_PER_PERSON
    for n, info in enumerate(infos[:per]):
        result = (await api.gql(citizen_token, REGISTER, {"input": {**info, "deviceLabel": f"手机{n + 1}"}}))
        if result["registerPushSubscription"]["__typename"] != "PushSubscriptionRegistered":
            raise RuntimeError(f"registerPushSubscription: {result}")
    citizen = await User.get(sub="dev-citizen")
    rest = infos[per:]
    people = -(-len(rest) // per)
    await User.bulk_create([User(sub=f"bench-push-{i:05d}", name=f"压测用户{i}") for i in range(people)],
                           batch_size=500)
    ids = await User.filter(sub__startswith="bench-push-").order_by("id").values_list("id", flat=True)
    await PushSubscription.bulk_create([
        PushSubscription(user_id=ids[n // per], endpoint=info["endpoint"],
                         endpoint_hash=endpoint_hash(info["endpoint"]), p256dh=info["keys"]["p256dh"],
                         auth=info["keys"]["auth"], device_label=f"手机{n % per + 1}")
        for n, info in enumerate(rest)
    ], batch_size=500)
    total = await PushSubscription.all().count()
    if total != len(infos):
        raise RuntimeError(f"expected {len(infos)} subscriptions, found {total}")
    return [citizen.id, *ids]


async def insert_round(tag: str, people: list[int], wake: Any) -> float:
    """One notification per person, pushed now, in one bulk insert; returns the commit's
    time.monotonic()."""
    from tortoise.transactions import in_transaction

    from backend.models import Notification
    from backend.models.notifications import NotificationKind
    from backend.services.notifications.inbox import NOTIFICATIONS_CHANNEL

    now = datetime.now(UTC)
    rows = [Notification(user_id=user_id, kind=NotificationKind.CASE_APPROVED, title="审批通过", body=BODY,
                         link=f"/cases/ZSB-20261122-{n:06d}", source=f"bench-push:{tag}:{user_id}", push_after=now)
            for n, user_id in enumerate(people)]
    async with in_transaction() as conn:
        await Notification.bulk_create(rows, batch_size=1000, using_db=conn)
    committed = time.monotonic()
    if wake is not None:
        await wake.publish(NOTIFICATIONS_CHANNEL, {})
    return committed


async def settle(tag: str, expected: int) -> tuple[float, dict[str, int], int]:
    """Waits (bounded) until the round's deliveries are all final; returns when that was seen,
    the count per state and how many took more than one attempt."""
    from backend.models import PushDelivery
    from backend.models.notifications import PushState

    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        rows = PushDelivery.filter(notification__source__startswith=f"bench-push:{tag}:")
        pending = await rows.filter(state=PushState.PENDING).count()
        total = await rows.count()
        seen = time.monotonic()
        if (total >= expected and pending == 0) or seen > deadline:
            break
        await asyncio.sleep(0.05)
    states = collections.Counter(await PushDelivery.filter(
        notification__source__startswith=f"bench-push:{tag}:").values_list("state", flat=True))
    retried = await PushDelivery.filter(notification__source__startswith=f"bench-push:{tag}:", attempts__gt=1).count()
    return seen, {str(k): v for k, v in states.items()}, retried


def idle_rates(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(seconds)
    return {name: (cpu_seconds(pid) - before[name]) / seconds for name, pid in pids.items()}


async def run_round(stack: Stack, standin: StandIn, people: list[int], *, name: str, tag: str, expected: int,
                    received_before: int, probes: list[Probe] | None = None) -> Round:
    pids = stack.processes
    idle_from = time.monotonic()
    idle_rate = await asyncio.to_thread(idle_rates, pids, IDLE_SECONDS)
    idle_to = time.monotonic()
    cpu_before = {n: cpu_seconds(pid) for n, pid in pids.items()}
    started = time.monotonic()
    committed = await insert_round(tag, people, stack.wake)
    report = await standin.wait(start=received_before, total=received_before + expected, timeout=ROUND_TIMEOUT)
    settled, states, retried = await settle(tag, expected)
    cpu = {n: cpu_seconds(pid) - cpu_before[n] for n, pid in pids.items()}
    result = Round(name=name, pushes=expected, insert_ms=(committed - started) * 1000,
                   first_s=(report["first_at"] or committed) - committed,
                   last_s=(report["last_at"] or committed) - committed,
                   settled_s=settled - committed, cpu=cpu, idle_rate=idle_rate, states=states, retried=retried,
                   standin=report)
    for probe in probes or []:
        result.health[probe.path] = (Latency.of(probe.between(idle_from, idle_to)),
                                     Latency.of(probe.between(committed, settled)))
    print(f"  [{stack.kind}] {name}: {report['round_received']}/{expected} received in {result.last_s:.2f} s "
          f"({result.rate:.0f}/s), rejections {report['rejections']}, states {states}", file=sys.stderr)
    return result


# Not `python -m cProfile`: uvicorn re-raises SIGTERM after its graceful shutdown, which would end
# the process before cProfile writes; a handler of our own (restored by uvicorn) turns it into an exit.
PROFILED = """
import cProfile, signal, sys
def _exit(*_):
    raise SystemExit(0)
signal.signal(signal.SIGTERM, _exit)
from backend.__main__ import main
profiler = cProfile.Profile()
profiler.enable()
try:
    main([sys.argv[2]])
finally:
    profiler.disable()
    profiler.dump_stats(sys.argv[1])
"""


def start_backend(env: dict[str, str], command: str, log_path: Path, *, profile: str = "") -> subprocess.Popen[bytes]:
    """`python -m backend serve|worker`, output appended to `log_path`; under cProfile when
    `profile` names a file (the stats are written when the process ends on SIGTERM)."""
    args = ["-c", PROFILED, profile, command] if profile else ["-m", "backend", command]
    log = log_path.open("ab")
    try:
        return subprocess.Popen([sys.executable, *args], env=dict(env), cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT)
    finally:
        log.close()


async def wait_worker_ready(log_path: Path, process: subprocess.Popen[bytes], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while "worker running" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start (exit {process.poll()}):\n"
                               f"{log_path.read_text(errors='replace')[-4000:]}")
        await asyncio.sleep(0.1)


def log_problems(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(errors="replace").splitlines()
    return [line for line in lines if any(word in line for word in ("ERROR", "Traceback", "WARNING", "ended "))]


async def run(stack: Stack) -> tuple[list[Round], dict[str, list[str]]]:
    from tortoise import Tortoise

    from backend.bus import create_bus
    from backend.db import tortoise_config
    from backend.settings import load_settings
    from bench.live_cases import Api, mint_tokens, run_cli, stop, wait_healthy

    env, data = stack.env, stack.data
    token = mint_tokens(env, ["citizen"])["citizen"]
    run_cli(env, "migrate")
    logs = {"server": data / "server.log", "worker": data / "worker.log"}
    server = worker = None
    standin: StandIn | None = None
    api = Api(f"http://127.0.0.1:{env['PORT']}")
    await Tortoise.init(config=tortoise_config(load_settings(env)))
    try:
        standin = await StandIn.start(PUSHES)
        server = start_backend(env, "serve", logs["server"], profile="" if stack.external else PROFILE)
        await wait_healthy(api.base, server, log_path=logs["server"])
        stack.processes = {"server": server.pid}
        if stack.external:
            # INFO for its "worker running" line (the stack runs at WARNING to keep logs quiet).
            worker = start_backend({**env, "LOG_LEVEL": "INFO"}, "worker", logs["worker"], profile=PROFILE)
            await wait_worker_ready(logs["worker"], worker)
            stack.processes["worker"] = worker.pid
            stack.wake = create_bus(env["REDIS_URL"])
        stack.processes["stand-in"] = standin.pid
        if stack.redis_pid is not None:
            stack.processes["redis"] = stack.redis_pid
        people = await setup_devices(stack, standin, api, token)
        expected = len(people) * DEVICES_PER_PERSON
        assert expected == PUSHES, (expected, PUSHES)

        warm_people = people[: max(1, WARMUP // DEVICES_PER_PERSON)]
        warm = await run_round(stack, standin, warm_people, name="warm-up", tag="warm", received_before=0,
                               expected=len(warm_people) * DEVICES_PER_PERSON)
        received = warm.standin["received"]
        rounds = [await run_round(stack, standin, people, name="A (no probes)", tag="a", expected=expected,
                                  received_before=received)]
        received = rounds[-1].standin["received"]
        probes = [Probe(int(env["PORT"]), "/healthz"), Probe(int(env["PORT"]), "/.well-known/jwks.json")]
        for probe in probes:
            probe.start()
        try:
            rounds.append(await run_round(stack, standin, people, name="B (probes on)", tag="b", expected=expected,
                                          received_before=received, probes=probes))
        finally:
            for probe in probes:
                probe.stop()
        return rounds, {name: log_problems(path) for name, path in logs.items()}
    finally:
        if stack.wake is not None:
            with contextlib.suppress(Exception):
                await stack.wake.close()
        await api.close()
        stop(worker)
        stop(server)
        if standin is not None:
            await standin.close()
        await Tortoise.close_connections()


def report(stack: Stack, rounds: list[Round], problems: dict[str, list[str]], load_before: float) -> None:
    sender = "worker" if stack.external else "server"
    print(f"\nWeb push ({stack.kind}; {PUSHES} pushes per round to {PUSHES} devices, "
          f"{DEVICES_PER_PERSON} per person; sender: the {sender} process; 1-minute load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after)\n")
    print(f"| round | sends/s (commit → last) | steady (first → last) | first push | last push | all SENT "
          f"| {sender} CPU / msg gross / net | stand-in CPU / msg | states | rejections | duplicates |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rounds:
        s = r.standin
        print(f"| {r.name} | {r.rate:.0f} | {r.steady_rate:.0f} | {r.first_s * 1000:.0f} ms | {r.last_s:.2f} s "
              f"| {r.settled_s:.2f} s | {r.cpu_ms(sender, net=False):.2f} / {r.cpu_ms(sender, net=True):.2f} ms "
              f"| {r.cpu_ms('stand-in', net=False):.2f} ms | {r.states} | {s['rejections']} | {s['duplicates']} |")
    others = [p for p in rounds[0].cpu if p not in (sender, "stand-in")]
    for r in rounds:
        extra = ", ".join(f"{p} {r.cpu_ms(p, net=False):.2f} ms/msg (idle {r.idle_rate[p] * 100:.0f} %)"
                          for p in others)
        print(f"- {r.name}: insert {r.insert_ms:.0f} ms; {sender} idle {r.idle_rate[sender] * 100:.1f} % of a core, "
              f"busy {r.cpu[sender] / r.settled_s * 100:.0f} %; "
              f"stand-in busy {r.cpu['stand-in'] / r.settled_s * 100:.0f} %"
              f"{'; ' + extra if extra else ''}; retried deliveries {r.retried}; max requests in flight at the "
              f"stand-in {r.standin['max_in_flight']}, connections so far {r.standin['connections']}, "
              f"devices reached {r.standin['devices_reached']}")
    probed = [r for r in rounds if r.health]
    if probed:
        print("\n| probe (every 20 ms) | idle p50 / p99 / max | during the round p50 / p99 / max "
              "| samples idle / busy | errors |\n|---|---|---|---|---|")
        for r in probed:
            for path, (idle, busy) in r.health.items():
                print(f"| GET {path} | {idle.cell()} | {busy.cell()} | {idle.count} / {busy.count} "
                      f"| {idle.errors + busy.errors} |")
    for name, lines in problems.items():
        if lines:
            print(f"\n{name} log: {len(lines)} warning/error line(s); first ones:")
            for line in lines[:10]:
                print(f"    {line[:300]}")
    ok = all(r.standin["round_received"] == r.pushes and r.standin["devices_reached"] == r.pushes
             and r.standin["duplicates"] == 0 and r.states == {"SENT": r.pushes} for r in rounds) \
        and rounds[-1].standin["rejections"] == 0
    print(f"\nchecks: every round {PUSHES} messages, one per device, no rejection, every delivery SENT: "
          f"{'yes' if ok else 'NO'}")


async def main() -> None:
    from bench.live_cases import app_env, bench_stores, free_port, stop

    if PUSHES % DEVICES_PER_PERSON or not 1 <= DEVICES_PER_PERSON <= 10:
        raise SystemExit("BENCH_PUSHES must be a multiple of BENCH_DEVICES_PER_PERSON (1–10)")
    load_before = os.getloadavg()[0]  # other work on the machine shows in every figure
    data = Path(tempfile.mkdtemp(prefix="zsb-push-"))
    redis_process = None
    try:
        database, redis_url, redis_process = await bench_stores(data)
        external = redis_url is not None
        env = app_env(data_dir=data, database_url=database, port=free_port(), redis_url=redis_url,
                      feed_poll_ms=5000 if external else EMBEDDED_POLL_MS, LOG_LEVEL="WARNING",
                      PUSH_ENDPOINT_HOSTS="127.0.0.1", WORKER_MODE="external" if external else "inprocess")
        kind = (("PostgreSQL" if database.startswith("postgres") else "SQLite")
                + (", Redis, external worker (taskiq on Redis streams)" if external else
                   f", in-process bus, embedded worker (taskiq in memory), FEED_POLL_MS={EMBEDDED_POLL_MS}"))
        stack = Stack(env=env, data=data, kind=kind, external=external)
        if redis_process is not None:
            stack.redis_pid = redis_process.pid
        rounds, problems = await run(stack)
    finally:
        stop(redis_process)
        shutil.rmtree(data, ignore_errors=True)
    report(stack, rounds, problems, load_before)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--standin":
        standin_main(int(sys.argv[2]))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

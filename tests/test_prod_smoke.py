"""`make prod-smoke`: the production shape on loopback, driven through nginx only.

Debian's nginx runs docker/nginx.conf (rendered by tests/prod_stack.py: free ports, this
checkout's built PWA), in front of two `python -m backend serve` processes and one `python -m
backend worker`, on this machine's PostgreSQL (a private `..._smoke_prod` database, dropped and
recreated here) and Redis (PROD_SMOKE_REDIS_URL, else TEST_REDIS_URL). Then, as a citizen and a
member of staff would, through nginx:

- the PWA shell, sw.js and a hashed asset come with their cache headers (and Brotli);
- a citizen's subscription held by one instance ("A") sees a case advanced by staff whose
  requests nginx sent to the other ("B");
- A is killed; the client reconnects through nginx (to B) with its cursor and misses nothing;
- the worker sends the citizen's phone a web push (tests/push_service.py stands in for the
  browser's push service);
- in Debian's chromium: the PWA runs under nginx's CSP without a violation, and when the
  instance holding its websocket stops (SIGTERM, close code 1012) it reconnects at once to the
  other one and stays live.

Which instance served what is read from the instances' own JSON logs, by the X-Request-Id the
test sent through nginx. Everything started here is stopped here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.live_cases import (
    REPO, Api, Subscription, app_env, free_port, mint_tokens, run_cli, start_server, stop, wait_healthy,
)
from tests.prod_stack import nginx_binary, nginx_test, render_nginx, start_nginx
from tests.push_service import PushService
from tests.test_push_delivery import REGISTER

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(nginx_binary() is None, reason="needs Debian's nginx (apt-get install nginx-light)")]

STATIC = REPO / "frontend" / "static"
POLL_SECONDS = 15  # no instance re-reads the event table by itself within the test's first 15 s


def _database_urls() -> tuple[str, str]:
    """(the smoke run's private database, the maintenance database to create it from)"""
    explicit = os.environ.get("PROD_SMOKE_DATABASE_URL", "").replace("postgresql://", "postgres://", 1)
    url = explicit or os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgres://", 1)
    base, name = url.rsplit("/", 1)
    if not explicit:
        name = f"{name}_smoke_prod"
    return f"{base}/{name}", f"{base}/postgres"


async def _recreate_database(url: str, admin: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@dataclass
class Instance:
    name: str
    base: str
    log: Path
    process: subprocess.Popen[bytes]

    def served(self, request_id: str) -> bool:
        """Whether this instance's JSON access log has a request with this id."""
        for line in self.log.read_text(errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                entry = json.loads(line)
                if entry.get("request_id") == request_id and entry.get("logger") == "backend.access":
                    return True
        return False

    async def websockets_open(self) -> float:
        async with httpx.AsyncClient(timeout=5) as http:
            text = (await http.get(f"{self.base}/metrics")).text
        match = re.search(r"^zsb_websocket_connections (\S+)$", text, flags=re.M)
        assert match, text[:500]
        return float(match.group(1))


@dataclass
class Stack:
    front: str  # nginx, the only address the clients below use
    instances: list[Instance]
    tokens: dict[str, str]
    push: PushService
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def ws(self) -> str:
        return self.front.replace("http://", "ws://") + "/graphql"


async def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer (exit {process.poll()}):\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    redis_url = os.environ.get("PROD_SMOKE_REDIS_URL") or os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: set PROD_SMOKE_REDIS_URL or TEST_REDIS_URL")
    if not (STATIC / "index.html").exists():
        pytest.skip("the PWA is not built (make frontend)")
    database_url, admin_url = _database_urls()
    await _recreate_database(database_url, admin_url)
    front_port, port_a, port_b = free_port(), free_port(), free_port()
    front = f"http://127.0.0.1:{front_port}"
    common: dict[str, Any] = {
        "data_dir": tmp_path / "data", "database_url": database_url, "redis_url": redis_url, "public_url": front,
        "feed_poll_ms": POLL_SECONDS * 1000, "WORKER_MODE": "external", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
        "TRUSTED_PROXIES": "127.0.0.1", "STATIC_DIR": str(STATIC), "SHUTDOWN_GRACE_SECONDS": "5",
        "PUSH_ENDPOINT_HOSTS": "127.0.0.1", "PUSH_TIMEOUT_MS": "2000",
    }
    env_a, env_b = app_env(port=port_a, **common), app_env(port=port_b, **common)
    tokens = mint_tokens(env_a, ["citizen", "staff"])
    run_cli(env_a, "migrate")
    run_cli(env_a, "seed")
    conf = render_nginx(workdir=tmp_path / "nginx", listen_port=front_port, static_dir=STATIC,
                        upstreams=[f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"])
    checked = nginx_test(conf)
    assert checked.returncode == 0, checked.stderr
    processes: list[subprocess.Popen[bytes]] = []
    try:
        async with PushService() as push:
            instances = []
            for name, env in (("A", env_a), ("B", env_b)):
                log = tmp_path / f"app-{name}.log"
                processes.append(start_server(env, log))
                instances.append(Instance(name, f"http://127.0.0.1:{env['PORT']}", log, processes[-1]))
            worker_log = (tmp_path / "worker.log").open("ab")
            try:
                processes.append(subprocess.Popen([sys.executable, "-m", "backend", "worker"], env=env_a, cwd=REPO,
                                                  stdout=worker_log, stderr=subprocess.STDOUT))
            finally:
                worker_log.close()
            processes.append(start_nginx(conf, tmp_path / "nginx.log"))
            for instance in instances:
                await wait_healthy(instance.base, instance.process, log_path=instance.log, timeout=90)
            await _wait_for(f"{front}/", processes[-1], tmp_path / "nginx.log")
            yield Stack(front=front, instances=instances, tokens=tokens, push=push, processes=processes)
    finally:
        for process in reversed(processes):
            stop(process)


async def _gql(http: httpx.AsyncClient, front: str, token: str, query: str, variables: dict[str, Any] | None = None,
               *, request_id: str | None = None) -> tuple[Any, str]:
    """One GraphQL request through nginx; returns (data, the request id it was logged under)."""
    request_id = request_id or f"smoke-{uuid.uuid4().hex}"
    response = await http.post(f"{front}/graphql", json={"query": query, "variables": variables or {}},
                               headers={"authorization": f"Bearer {token}", "x-request-id": request_id})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == request_id  # passed through both ways
    body = response.json()
    assert not body.get("errors"), body
    return body["data"], request_id


async def _served_by(stack: Stack, request_id: str) -> Instance:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for instance in stack.instances:
            if instance.served(request_id):
                return instance
        await asyncio.sleep(0.05)
    raise AssertionError(f"no instance logged request {request_id}")


def _transition(mutation: str) -> str:
    return f"""mutation($n: String!) {{ {mutation}(number: $n) {{ __typename ... on CaseUpdated {{ case {{ status }} }}
        ... on InvalidTransitionError {{ code message }} ... on NotPermittedError {{ code message }} }} }}"""


async def test_the_production_shape_through_nginx(stack: Stack) -> None:
    citizen, staff = stack.tokens["citizen"], stack.tokens["staff"]
    front = stack.front
    async with httpx.AsyncClient(timeout=20, headers={"accept-encoding": "br, gzip"}) as http:
        # The PWA shell and the service worker are revalidated on every load; hashed assets are not.
        shell = await http.get(f"{front}/cases/anything")
        assert shell.status_code == 200 and shell.headers["cache-control"] == "no-cache"
        assert shell.headers["content-encoding"] == "br"
        assert "default-src 'self'" in shell.headers["content-security-policy"]
        assert shell.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in shell.headers  # plain http: no HSTS
        assert shell.headers["permissions-policy"].startswith("camera=()")
        worker_script = await http.get(f"{front}/sw.js")
        assert worker_script.headers["cache-control"] == "no-cache"
        assert worker_script.headers["service-worker-allowed"] == "/"
        asset = re.search(r'src="(/assets/[^"]+\.js)"', (await http.get(f"{front}/", headers={"accept-encoding": "identity"})).text)
        assert asset
        hashed = await http.get(f"{front}{asset.group(1)}")
        assert hashed.status_code == 200
        assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await http.get(f"{front}/verify")).headers["permissions-policy"].startswith("camera=(self)")
        assert (await http.get(f"{front}/metrics")).status_code == 404  # not published

        # The citizen's phone takes pushes; the case is submitted (through nginx, to either).
        phone = stack.push.subscribe()
        registered, _ = await _gql(http, front, citizen, REGISTER, {"input": {**phone.info, "deviceLabel": "手机"}})
        assert registered["registerPushSubscription"]["__typename"] == "PushSubscriptionRegistered"
        api = Api(front)
        try:
            number = (await api.submit_case(citizen))["number"]
            table = await api.events(citizen, number)
        finally:
            await api.close()
        assert [e["kind"] for e in table] == ["SUBMITTED"]

        subscription = await Subscription.open(stack.ws, citizen, after=table[0]["cursor"])
        back: Subscription | None = None
        try:
            opened = [await instance.websockets_open() for instance in stack.instances]
            assert sorted(opened) == [0.0, 1.0], opened
            a = stack.instances[opened.index(1.0)]  # holds the subscription
            b = next(instance for instance in stack.instances if instance is not a)

            # Round robin: once a request has gone to A, the next one goes to B.
            for _ in range(4):
                _, probe = await _gql(http, front, staff, "{ __typename }")
                if await _served_by(stack, probe) is a:
                    break
            else:
                raise AssertionError("nginx never sent a request to A")
            moved, accept_id = await _gql(http, front, staff, _transition("acceptCase"), {"n": number})
            assert moved["acceptCase"]["case"]["status"] == "ACCEPTED"
            assert await _served_by(stack, accept_id) is b

            # A's subscriber sees it at once: Redis carried it from B (A re-reads the table by
            # itself only after POLL_SECONDS).
            accepted = await subscription.take(1, timeout=5)
            assert [r.event["kind"] for r in accepted] == ["ACCEPTED"]
            assert accepted[0].event["caseNumber"] == number
            cursor = accepted[0].event["cursor"]

            # The worker pushed it to the phone.
            deadline = time.monotonic() + 15
            while not any(r.payload.get("kind") == "CASE_ACCEPTED" for r in phone.received):
                assert time.monotonic() < deadline, f"no push for the acceptance: {phone.received}"
                await asyncio.sleep(0.1)
            pushed = next(r.payload for r in phone.received if r.payload.get("kind") == "CASE_ACCEPTED")
            assert pushed["tag"] == f"case-{number}"

            # A dies. The client's socket drops; staff carry on, nginx sends them to B.
            a.process.send_signal(signal.SIGKILL)
            a.process.wait(timeout=10)
            await asyncio.wait_for(subscription.closed.wait(), 10)
            for mutation, status in (("startReview", "UNDER_REVIEW"), ("approveCase", "APPROVED")):
                moved, request_id = await _gql(http, front, staff, _transition(mutation), {"n": number})
                assert moved[mutation]["case"]["status"] == status
                assert await _served_by(stack, request_id) is b

            # The client comes back through nginx with its last cursor: exactly what it missed.
            back = await Subscription.open(stack.ws, citizen, after=cursor)
            assert await b.websockets_open() == 1.0
            missed = await back.take(2, timeout=10)
            assert [r.event["kind"] for r in missed] == ["REVIEW_STARTED", "APPROVED"]
            await asyncio.sleep(0.5)
            assert back.pending() == [] and subscription.errors == back.errors == []
            events, _ = await _gql(http, front, citizen,
                                   "query($n: String!) { case(number: $n) { events { id kind } } }", {"n": number})
            ids = [e["id"] for e in events["case"]["events"]]
            assert [r.event["id"] for r in accepted + missed] == ids[1:]
        finally:
            await subscription.close()
            if back is not None:
                await back.close()


def _browse_under_the_csp(front: str) -> dict[str, Any]:
    """Debian's chromium loads the PWA through nginx, with nginx's CSP, and reports every policy
    violation, whether the service worker came up and whether a websocket may open."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import ARGS, CHROMIUM

    seen: dict[str, Any] = {"violations": [], "console": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.add_init_script("document.addEventListener('securitypolicyviolation', (e) => "
                                 "(window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))")
            page.on("console", lambda m: seen["console"].append(m.text) if "Content Security Policy" in m.text else None)
            for path in ("/", "/search?q=%E6%95%99%E5%B8%88", "/departments", "/items/61010102006", "/verify#x"):
                page.goto(front + path)
                page.wait_for_load_state("networkidle")
                seen["violations"] += page.evaluate("window.__csp || []")
            page.goto(front + "/")
            seen["service_worker"] = page.evaluate(
                "Promise.race([navigator.serviceWorker.ready.then(() => 'ready'),"
                " new Promise((r) => setTimeout(() => r('timeout'), 10000))])")
            seen["websocket"] = page.evaluate(
                "new Promise((resolve) => { try { const ws = new WebSocket(`ws://${location.host}/graphql`,"
                " 'graphql-transport-ws'); ws.onopen = () => { ws.close(); resolve('open') };"
                " ws.onclose = (e) => resolve(`closed ${e.code}`) } catch (e) { resolve(String(e)) } })")
            seen["violations"] += page.evaluate("window.__csp || []")
            seen["fonts"] = page.evaluate("Array.from(document.fonts).map((f) => f.family + ':' + f.status)")
        finally:
            browser.close()
    return seen


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
async def test_the_pwa_runs_under_nginx_csp(stack: Stack) -> None:
    """The CSP the PWA passes: public pages render, the service worker registers and a websocket
    opens (strawberry checks its Origin against the Host nginx passes on), with no violation."""
    seen = await asyncio.to_thread(_browse_under_the_csp, stack.front)
    assert seen["violations"] == [] and seen["console"] == []
    assert seen["fonts"] == ["vant-icon:loaded"]  # the icons, from the inlined font
    assert seen["service_worker"] == "ready"
    assert seen["websocket"] == "open"


def _websockets_open(instance: Instance) -> float:
    text = httpx.get(f"{instance.base}/metrics", timeout=5).text
    match = re.search(r"^zsb_websocket_connections (\S+)$", text, flags=re.M)
    assert match, text[:500]
    return float(match.group(1))


def _poll(check: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _live_case_across_a_restart(stack: Stack, number: str) -> float:
    """The citizen's case page, live, in chromium; the instance holding its websocket is told to
    stop (SIGTERM). Returns the seconds until the page's websocket is open on the other one."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import ARGS, CHROMIUM

    citizen, staff = stack.tokens["citizen"], stack.tokens["staff"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.add_init_script(f"sessionStorage.setItem('zsb.session', JSON.stringify("
                                 f"{{ token: {json.dumps(citizen)}, expiresAt: Date.now() + 3600000 }}))")
            page.goto(f"{stack.front}/cases/{number}")
            expect(page.get_by_test_id("case-status")).to_have_text("已提交")
            holder = _poll(lambda: next((i for i in stack.instances if _websockets_open(i) == 1.0), None),
                           timeout=10, what="the page's websocket")
            other = next(instance for instance in stack.instances if instance is not holder)
            holder.process.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            _poll(lambda: _websockets_open(other) == 1.0, timeout=10, what="the reconnect to the other instance")
            reconnected = time.monotonic() - stopped
            moved = httpx.post(f"{stack.front}/graphql", timeout=20, headers={"authorization": f"Bearer {staff}"},
                               json={"query": _transition("acceptCase"), "variables": {"n": number}})
            assert moved.json()["data"]["acceptCase"]["case"]["status"] == "ACCEPTED"
            expect(page.get_by_test_id("case-status")).to_have_text("已受理", timeout=5000)
            return reconnected
        finally:
            browser.close()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
async def test_the_pwa_reconnects_at_once_when_an_instance_stops(stack: Stack) -> None:
    """A stopping instance closes its websockets with 1012; the PWA reconnects without its usual
    backoff (at least 1 s), through nginx, to the other instance, and stays live."""
    api = Api(stack.front)
    try:
        number = (await api.submit_case(stack.tokens["citizen"]))["number"]
    finally:
        await api.close()
    reconnected = await asyncio.to_thread(_live_case_across_a_restart, stack, number)
    assert reconnected < 1.0, f"the PWA took {reconnected:.2f} s to reconnect"

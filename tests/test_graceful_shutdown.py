"""SIGTERM on an instance: its websockets close with 1012 (Service Restart), which the PWA
treats as "reconnect now" (frontend/src/api/subscriptions.js), and the requests in flight
finish. A stopping worker lets its running push jobs finish within the grace period and gives
back those that cannot, so another worker resumes them at once instead of after the lease."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from backend.keys import load_keys
from backend.models import PushDelivery, PushSubscription
from backend.models.notifications import PushState
from backend.settings import Settings
from bench.live_cases import PDF, Subscription, app_env, free_port, mint_tokens, run_cli, start_server, stop, \
    wait_healthy
from notifications.jobs import deliver
from notifications.worker import Worker
from tests.cases_helpers import ACCEPT, move, submitted_case
from tests.push_service import Device, PushService
from tests.test_push_delivery import _all_final, register, until

SERVICE_RESTART = 1012  # RFC 6455 section 7.4.1 as registered by IANA: "Service Restart"


async def test_sigterm_closes_websockets_with_1012_and_finishes_requests_in_flight(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(data_dir=tmp_path / "data", database_url=f"sqlite://{tmp_path / 'app.sqlite3'}", port=port,
                  SHUTDOWN_GRACE_SECONDS="10")
    citizen = mint_tokens(env, ["citizen"])["citizen"]
    run_cli(env, "migrate")
    server = start_server(env, tmp_path / "server.log")
    subscription: Subscription | None = None
    try:
        await wait_healthy(base, server, log_path=tmp_path / "server.log", timeout=90)
        subscription = await Subscription.open(base.replace("http://", "ws://") + "/graphql", citizen)
        halfway = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield PDF[:20]
            halfway.set()
            await asyncio.sleep(1.5)  # SIGTERM arrives in here
            yield PDF[20:]

        async with httpx.AsyncClient(timeout=20) as http:
            upload = asyncio.create_task(http.post(
                f"{base}/uploads", params={"filename": "材料.pdf"}, content=slow_body(),
                headers={"authorization": f"Bearer {citizen}", "content-type": "application/pdf"}))
            await halfway.wait()
            await asyncio.sleep(0.3)  # the request is in the app, reading its body
            server.send_signal(signal.SIGTERM)

            await asyncio.wait_for(subscription.closed.wait(), 5)
            assert subscription.ws.close_code == SERVICE_RESTART
            response = await upload
            assert response.status_code == 201, response.text
            assert response.json()["size"] == len(PDF)
        # uvicorn re-raises the signal once its graceful shutdown is done.
        assert await asyncio.to_thread(server.wait, 20) in (0, -signal.SIGTERM)
        # Nothing new is accepted once it is stopping.
        with pytest.raises(httpx.TransportError):
            async with httpx.AsyncClient(timeout=2) as http:
                await http.get(f"{base}/healthz")
    finally:
        if subscription is not None:
            await subscription.close()
        stop(server)


@pytest.fixture
async def own_worker(app: Starlette, settings: Settings) -> AsyncIterator[Worker]:
    """A second worker, as `python -m backend worker` is, with jobs in its own memory (so the
    app's embedded worker cannot take them)."""
    mine = Worker(settings=dataclasses.replace(settings, redis_url=None, supervision_interval_seconds=0),
                  keys=load_keys(settings), bus=app.state.bus)
    await mine.start()
    try:
        yield mine
    finally:
        await mine.stop(grace_seconds=0.1)  # already stopped by the test: harmless


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    """A push service, and no devices left over from other tests."""
    await PushSubscription.all().delete()
    async with PushService() as service:
        yield service
    await PushSubscription.all().delete()


async def _delivered_then_reset(client: httpx.AsyncClient, token: Callable[..., str], device: Device) -> PushDelivery:
    """One delivery, sent by the app's worker, then made pending again for our worker."""
    citizen, staff = token("citizen"), token("staff")
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the first delivery")
    await PushDelivery.filter(id=row.id).update(state=PushState.PENDING, attempts=0, log=[], finished_at=None,
                                                lease_until=None)
    return row


async def _job_waiting_out_a_retry(worker: Worker, row: PushDelivery, device: Device) -> None:
    device.mode = "throttle"  # 429 with Retry-After, then 201
    await worker.kick(row.id)
    await until(lambda: _has_attempts(row.id, 1), what="the first (throttled) attempt")
    assert worker.jobs_running == 1


async def _has_attempts(delivery_id: int, count: int) -> bool:
    return (await PushDelivery.get(id=delivery_id)).attempts >= count


async def test_a_stopping_worker_finishes_the_job_it_is_running(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService, own_worker: Worker,
) -> None:
    device = push.subscribe(retry_after=1)
    row = await _delivered_then_reset(client, token, device)
    await _job_waiting_out_a_retry(own_worker, row, device)
    await own_worker.stop(grace_seconds=5)
    done = await PushDelivery.get(id=row.id)
    assert (done.state, done.attempts) == (PushState.SENT, 2)
    assert [entry["outcome"] for entry in done.log] == ["retry", "sent"]
    assert own_worker.jobs_running == 0


async def test_a_job_that_cannot_finish_in_the_grace_period_is_given_back(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService, own_worker: Worker, app: Starlette,
) -> None:
    device = push.subscribe(retry_after=2)
    row = await _delivered_then_reset(client, token, device)
    await _job_waiting_out_a_retry(own_worker, row, device)
    await own_worker.stop(grace_seconds=0.2)
    returned = await PushDelivery.get(id=row.id)
    # Pending, with its attempt recorded, and no lease: any worker may resume it now.
    assert (returned.state, returned.attempts, returned.lease_until) == (PushState.PENDING, 1, None)
    assert [entry["outcome"] for entry in returned.log] == ["retry"]
    other: Any = app.state.worker
    assert await deliver(row.id, sender=other.sender, policy=other.policy) == "SENT"
    finished = await PushDelivery.get(id=row.id)
    assert (finished.state, finished.attempts) == (PushState.SENT, 2)
    assert device.statuses[-2:] == [429, 201]

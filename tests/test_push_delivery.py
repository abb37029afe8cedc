"""Web push end to end against a local push service that behaves like a browser's
(tests/push_service.py: it checks VAPID, decrypts with the device's own keys, and can answer
404, 410, 429, 500 or hang). The worker runs inside the test app: taskiq in memory on SQLite,
on Redis streams when TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from backend.models import Notification, NotificationPreferences, PushDelivery, PushSubscription
from backend.models.notifications import PushState
from backend.services.workdays import CHINA
from backend.services.notifications.inbox import preferences
from notifications.dispatcher import dispatch_due
from notifications.jobs import RetryPolicy, deliver
from notifications.worker import Worker
from tests.cases_helpers import ACCEPT, REQUEST_SUPPLEMENT, call, move, submitted_case
from tests.push_service import Device, PushService

REGISTER = """mutation($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) {
  __typename ... on PushSubscriptionRegistered { device { id label lastSuccessAt } }
  ... on InputError { code field message } } }"""
UNREGISTER = """mutation($endpoint: String!) { unregisterPushSubscription(endpoint: $endpoint) {
  __typename ... on PushSubscriptionUnregistered { removed } } }"""
DEVICES = "query { myPushDevices { id label lastSuccessAt } }"
REMOVE = """mutation($id: ID!) { removePushDevice(id: $id) { __typename ... on PushDeviceRemoved { id }
  ... on NotFoundError { code message } ... on InputError { code field message } } }"""
KEY = "query { webPushPublicKey }"


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    """A push service, and no devices left over from other tests (their pushes would go to
    a service that is gone)."""
    await PushSubscription.all().delete()
    async with PushService() as service:
        yield service
    await PushSubscription.all().delete()


def worker(app: Starlette) -> Worker:
    return app.state.worker


async def register(client: httpx.AsyncClient, token: str, device: Device, label: str = "测试手机") -> dict[str, Any]:
    result = await call(client, token, REGISTER, {"input": {**device.info, "deviceLabel": label}})
    return result["registerPushSubscription"]


async def until(check: Callable[[], Any], *, timeout: float = 5.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


async def deliveries_of(case_number: str, kind: str) -> list[PushDelivery]:
    return await PushDelivery.filter(notification__case__number=case_number, notification__kind=kind).order_by("id")


async def test_one_case_transition_is_one_decrypted_push_per_device(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    phone, tablet = push.subscribe(), push.subscribe()
    assert (await register(client, citizen, phone, "手机"))["__typename"] == "PushSubscriptionRegistered"
    assert (await register(client, citizen, tablet, "平板"))["__typename"] == "PushSubscriptionRegistered"
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])

    received = await push.wait_received(2)
    await asyncio.sleep(0.5)  # nothing more is coming
    assert len(push.received) == 2 and {r.device.token for r in received} == {phone.token, tablet.token}
    message = phone.received[0]
    assert message.payload["kind"] == "CASE_ACCEPTED"
    assert message.payload["title"] == "办件已受理"
    assert message.payload["link"] == f"/cases/{case['number']}"
    assert message.payload["tag"] == f"case-{case['number']}"
    assert "actions" not in message.payload
    assert (message.ttl, message.urgency) == (86400, "normal")
    assert message.vapid_claims["aud"] == push.origin
    assert message.vapid_claims["sub"].startswith("mailto:")
    assert message.vapid_key == (await call(client, None, KEY))["webPushPublicKey"]
    assert len(message.raw) <= 4096
    assert not push.rejections

    rows = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 2), what="deliveries to finish")
    assert [(row.state, row.attempts) for row in rows] == [(PushState.SENT, 1), (PushState.SENT, 1)]
    assert rows[0].log[-1]["status"] == 201
    devices = (await call(client, citizen, DEVICES))["myPushDevices"]
    assert sorted(d["label"] for d in devices) == ["平板", "手机"]
    assert all(d["lastSuccessAt"] for d in devices)


async def _all_final(number: str, kind: str, count: int) -> list[PushDelivery] | None:
    rows = await deliveries_of(number, kind)
    return rows if len(rows) == count and all(row.state is not PushState.PENDING for row in rows) else None


async def test_a_gone_subscription_is_removed_and_recorded_as_expired(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    gone, lost = push.subscribe("gone410"), push.subscribe("gone404")
    await register(client, citizen, gone)
    await register(client, citizen, lost)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    rows = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 2), what="deliveries to finish")
    assert sorted((row.state, row.log[-1]["status"]) for row in rows) == [(PushState.EXPIRED, 404),
                                                                         (PushState.EXPIRED, 410)]
    assert all(row.subscription_id is None and row.attempts == 1 for row in rows)  # the record outlives the device
    assert await PushSubscription.filter(user__sub="dev-citizen").count() == 0
    assert (await call(client, citizen, DEVICES))["myPushDevices"] == []


async def test_a_payload_too_large_is_refused_once_not_retried(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe("toolarge413")
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the refused delivery")
    assert (row.state, row.attempts, [(e["status"], e["outcome"]) for e in row.log]) == (
        PushState.FAILED, 1, [(413, "refused")])
    assert device.statuses == [413] and device.received == []
    assert await PushSubscription.filter(id=row.subscription_id).exists()  # the device is not gone


async def test_a_slow_push_service_within_the_timeout_is_sent_once(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService, settings: Any,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    slow = push.subscribe("slow", delay=settings.push_timeout_seconds * 0.6)
    await register(client, citizen, slow)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the slow delivery")
    assert (row.state, row.attempts, slow.statuses, len(slow.received)) == (PushState.SENT, 1, [201], 1)


async def test_throttling_is_retried_after_the_time_the_service_asked_for(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe("throttle", retry_after=1)
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the retried delivery")
    assert (row.state, row.attempts) == (PushState.SENT, 2)
    assert [entry["status"] for entry in row.log] == [429, 201]
    assert row.log[0]["wait"] == 1.0
    assert device.statuses == [429, 201]
    assert len(device.received) == 1


async def test_server_errors_are_retried_a_bounded_number_of_times_then_failed(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService, settings: Any,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe("error500")
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the failed delivery")
    assert (row.state, row.attempts) == (PushState.FAILED, settings.push_max_attempts)
    assert [entry["outcome"] for entry in row.log] == ["retry"] * (settings.push_max_attempts - 1) + ["retry-exhausted"]
    assert device.statuses == [500] * settings.push_max_attempts
    assert await PushSubscription.filter(id=row.subscription_id).exists()  # a failing service is not a gone device


async def test_a_hanging_push_service_times_out_without_holding_up_other_devices(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService, settings: Any,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    stuck, fine = push.subscribe("hang"), push.subscribe()
    await register(client, citizen, stuck)
    await register(client, citizen, fine)
    case = await submitted_case(client, citizen)
    started = time.monotonic()
    await move(client, staff, ACCEPT, case["number"])
    await push.wait_received(1, device=fine)
    assert time.monotonic() - started < settings.push_timeout_seconds  # did not wait for the hanging one
    rows = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 2), timeout=15, what="the timeouts")
    hung = next(row for row in rows if row.state is not PushState.SENT)
    assert hung.state is PushState.FAILED and hung.attempts == settings.push_max_attempts
    assert all(entry["status"] is None and "TimeoutError" in entry["error"] for entry in hung.log)


async def test_a_job_run_twice_sends_once(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe()
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    [row] = await until(lambda: _all_final(case["number"], "CASE_ACCEPTED", 1), what="the delivery")
    w = worker(app)
    again = await asyncio.gather(*(deliver(row.id, sender=w.sender, policy=w.policy) for _ in range(3)))
    assert again == ["SENT", "SENT", "SENT"]
    # The outbox hands the notification out once: a second pass over it finds nothing due.
    assert await dispatch_due(kick=w.kick) == 0
    await asyncio.sleep(0.3)
    assert len(device.received) == 1


async def test_concurrent_jobs_on_one_delivery_send_once(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen = token("citizen")
    device = push.subscribe()
    await register(client, citizen, device)
    notification = await Notification.filter(user__sub="dev-citizen").order_by("-id").first()
    subscription = await PushSubscription.get(endpoint_hash__isnull=False, user__sub="dev-citizen")
    delivery = await PushDelivery.create(notification=notification, subscription=subscription,
                                         subscription_key=subscription.endpoint_hash)
    w = worker(app)
    states = await asyncio.gather(*(deliver(delivery.id, sender=w.sender, policy=w.policy) for _ in range(4)))
    assert states.count("SENT") >= 1 and set(states) <= {"SENT", "PENDING"}
    await asyncio.sleep(0.2)
    assert len(device.received) == 1


async def test_kinds_turned_off_and_quiet_hours_hold_pushes_but_never_the_inbox(
    app: Starlette, client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe()
    await register(client, citizen, device)
    user_id = (await PushSubscription.get(user__sub="dev-citizen")).user_id
    # Quiet hours around the real time now, so the running dispatcher holds the push too.
    local = datetime.now(CHINA)
    minute = local.hour * 60 + local.minute
    await NotificationPreferences.filter(user_id=user_id).delete()
    await NotificationPreferences.create(user_id=user_id, push_kinds=["SUPPLEMENT_REQUESTED"],
                                         quiet_start=(minute - 60) % 1440, quiet_end=(minute + 60) % 1440)
    try:
        case = await submitted_case(client, citizen)
        await move(client, staff, ACCEPT, case["number"])  # a kind the person does not want pushed
        material = case["materials"][0]["materialId"]
        await move(client, staff, REQUEST_SUPPLEMENT, case["number"], ids=[material], note="请补正")
        ends = (await preferences(user_id=user_id)).quiet_until(datetime.now(timezone.utc))
        assert ends is not None

        async def deferred() -> Notification | None:
            row = await Notification.get(case__number=case["number"], kind="SUPPLEMENT_REQUESTED")
            return row if row.push_claim is None and row.push_after == ends else None

        await until(deferred, what="the push to be held until quiet hours end")
        accepted = await Notification.get(case__number=case["number"], kind="CASE_ACCEPTED")
        assert accepted.push_after is None  # handled: nothing to push
        assert await PushDelivery.filter(notification__case__number=case["number"]).count() == 0
        assert not device.received
        # When quiet hours are over, the push goes out; the accepted notice never does.
        await dispatch_due(kick=worker(app).kick, now=ends)
        [message] = await push.wait_received(1)
        assert message.payload["kind"] == "SUPPLEMENT_REQUESTED"
        assert (message.ttl, message.urgency) == (3 * 86400, "high")
    finally:
        await NotificationPreferences.filter(user_id=user_id).delete()


async def test_pushes_carry_no_id_or_phone_numbers(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    device = push.subscribe()
    await register(client, citizen, device)
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    await push.wait_received(1)
    note = "身份证号 11010519491231002X 与照片不符，请致电 13812345678 咨询"
    material = case["materials"][0]["materialId"]
    await move(client, staff, REQUEST_SUPPLEMENT, case["number"], ids=[material], note=note)
    [_, message] = await push.wait_received(2)
    assert message.payload["kind"] == "SUPPLEMENT_REQUESTED"
    text = message.raw.decode()
    assert "11010519491231002X" not in text and "13812345678" not in text
    assert "110105********002X" in message.payload["body"] and "138****5678" in message.payload["body"]
    inbox = await Notification.get(case__number=case["number"], kind="SUPPLEMENT_REQUESTED")
    # The inbox (and the case) keep the note with its numbers masked: nothing keeps them whole.
    assert "身份证号 110105********002X 与照片不符，请致电 138****5678 咨询" in inbox.body
    assert "11010519491231002X" not in inbox.body


async def test_subscriptions_are_checked_before_the_server_ever_posts_to_them(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    citizen = token("citizen")
    device = push.subscribe()
    keys = device.info["keys"]
    cases = [
        ({"endpoint": "http://push.example.com/x", "keys": keys}, "input.endpoint", "推送地址必须使用 https"),
        ({"endpoint": "https://169.254.169.254/latest", "keys": keys}, "input.endpoint", "不支持该浏览器的推送服务"),
        ({"endpoint": device.endpoint, "keys": {**keys, "p256dh": "AAAA"}}, "input.keys.p256dh",
         "p256dh 公钥长度应为 65 字节"),
        ({"endpoint": device.endpoint, "keys": {**keys, "p256dh": "BA" + "A" * 85}}, "input.keys.p256dh",
         "p256dh 不是有效的 P-256 公钥"),
        ({"endpoint": device.endpoint, "keys": {**keys, "auth": "***"}}, "input.keys.auth",
         "auth 密钥不是有效的 base64url 编码"),
    ]
    for subscription, field, message in cases:
        result = (await call(client, citizen, REGISTER, {"input": subscription}))["registerPushSubscription"]
        assert result == {"__typename": "InputError", "code": "INVALID_INPUT", "field": field, "message": message}
    assert await PushSubscription.all().count() == 0


async def test_a_device_belongs_to_whoever_signed_in_on_it_last(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    device = push.subscribe()
    await register(client, token("citizen"), device)
    await register(client, token("citizen2"), device)
    assert (await call(client, token("citizen"), DEVICES))["myPushDevices"] == []
    assert len((await call(client, token("citizen2"), DEVICES))["myPushDevices"]) == 1
    # Only the holder can unregister it.
    assert (await call(client, token("citizen"), UNREGISTER, {"endpoint": device.endpoint}))[
        "unregisterPushSubscription"] == {"__typename": "PushSubscriptionUnregistered", "removed": False}
    assert (await call(client, token("citizen2"), UNREGISTER, {"endpoint": device.endpoint}))[
        "unregisterPushSubscription"] == {"__typename": "PushSubscriptionUnregistered", "removed": True}
    assert await PushSubscription.all().count() == 0


async def test_a_lost_phone_is_removed_from_another_device_by_its_owner_only(
    client: httpx.AsyncClient, token: Callable[..., str], push: PushService,
) -> None:
    lost = push.subscribe()
    device_id = (await register(client, token("citizen"), lost, "丢失的手机"))["device"]["id"]
    refused = (await call(client, token("citizen2"), REMOVE, {"id": device_id}))["removePushDevice"]
    assert refused == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该设备，可能已被移除"}
    assert await PushSubscription.filter(id=int(device_id)).exists()
    removed = (await call(client, token("citizen"), REMOVE, {"id": device_id}))["removePushDevice"]
    assert removed == {"__typename": "PushDeviceRemoved", "id": device_id}
    assert (await call(client, token("citizen"), DEVICES))["myPushDevices"] == []


async def test_the_retry_policy_honours_retry_after_within_its_bound() -> None:
    from notifications.sender import Answer, parse_retry_after

    policy = RetryPolicy(max_attempts=3, base_seconds=1.0, max_wait_seconds=60)
    assert policy.wait(1, Answer(status=429, retry_after=30)) == 30
    assert policy.wait(1, Answer(status=429, retry_after=3600)) is None  # too long: give up, recorded
    assert 1.0 <= policy.wait(1, Answer(status=503)) <= 1.5
    assert 2.0 <= policy.wait(2, Answer(status=None)) <= 3.0
    assert policy.wait(3, Answer(status=500)) is None
    now = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Sun, 22 Nov 2026 08:01:30 GMT", now=now) == 90
    assert parse_retry_after("soon") is None

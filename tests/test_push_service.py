"""The push-service stand-in itself, driven by pywebpush directly (not the project's sender),
so that a passing notification test means the sender is right, not that both are wrong alike."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from tests.push_service import Device, PushService, b64url

SUB = "mailto:ops@example.gov.cn"
# pywebpush hands `timeout` to aiohttp's session.post() as is, and its default None means no
# timeout at all: always pass a ClientTimeout.
TIMEOUT = aiohttp.ClientTimeout(total=5)


def vapid_key() -> Vapid:
    key = Vapid()
    key.generate_keys()
    return key


async def send(session: aiohttp.ClientSession, device: Device, data: Any, *, key: Vapid | None = None,
               timeout: aiohttp.ClientTimeout = TIMEOUT, **kwargs: Any) -> aiohttp.ClientResponse:
    """pywebpush mutates vapid_claims (adds aud and exp), so each send gets a fresh dict."""
    return await webpush_async(device.info, json.dumps(data), vapid_private_key=key or vapid_key(),
                               vapid_claims={"sub": SUB}, timeout=timeout, aiohttp_session=session,
                               **kwargs)


async def send_failing(session: aiohttp.ClientSession, device: Device, data: Any = "x") -> WebPushException:
    with pytest.raises(WebPushException) as failure:
        await send(session, device, data)
    return failure.value


def es256_jwt(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    """A VAPID JWT made by hand, so tests can make the ones pywebpush refuses to."""
    header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    body = b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def public_k(key: ec.EllipticCurvePrivateKey | Vapid) -> str:
    """The `k` of a VAPID header (or a subscription's p256dh): the uncompressed public point."""
    public = key.public_key if isinstance(key, Vapid) else key.public_key()
    return b64url(public.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


async def post_with_jwt(session: aiohttp.ClientSession, device: Device, jwt: str, k: str) -> int:
    """A payload-less push (RFC 8030 allows one) with a hand-made Authorization header."""
    async with session.post(device.endpoint, data=b"", timeout=TIMEOUT,
                            headers={"Authorization": f"vapid t={jwt}, k={k}", "TTL": "60"}) as response:
        return response.status


async def test_ok_device_receives_the_decrypted_payload() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        key = vapid_key()
        message = {"title": "办件进度", "body": "您的申请已受理", "url": "/cases/42"}
        response = await send(session, device, message, key=key, ttl=3600,
                              headers={"Urgency": "high", "Topic": "case-42"})
        assert response.status == 201
        assert response.headers["Location"].startswith(push.origin)

        [received] = await push.wait_received(1)
        assert received is device.received[0]
        assert received.payload == message
        assert json.loads(received.raw) == message
        assert (received.ttl, received.urgency, received.topic) == (3600, "high", "case-42")
        assert received.vapid_claims["aud"] == push.origin
        assert received.vapid_claims["sub"] == SUB
        assert received.vapid_key == public_k(key)
        assert (push.requests, device.requests, push.rejections) == (1, 1, [])


async def test_subscription_info_looks_like_a_browsers() -> None:
    async with PushService() as push:
        device = push.subscribe()
        assert device.info["endpoint"] == f"{push.origin}/push/{device.token}"
        assert set(device.info["keys"]) == {"p256dh", "auth"}
        assert not any("=" in value for value in device.info["keys"].values())
        assert device.info["keys"]["p256dh"] == public_k(device.private_key)
        assert len(device.auth_secret) == 16
        assert push.subscribe().token != device.token


async def test_non_json_payload_is_kept_raw_and_urgency_defaults_to_normal() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        await webpush_async(device.info, "not json {", vapid_private_key=vapid_key(), vapid_claims={"sub": SUB},
                            timeout=TIMEOUT, aiohttp_session=session)
        [received] = await push.wait_received(1, device=device)
        assert (received.payload, received.raw) == (b"not json {", b"not json {")
        assert (received.urgency, received.topic, received.ttl) == ("normal", None, 0)


@pytest.mark.parametrize("mode, status", [("gone404", 404), ("gone410", 410)])
async def test_gone_devices_answer_404_and_410(mode: str, status: int) -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe(mode)
        failure = await send_failing(session, device)
        assert failure.response.status == status
        assert device.received == [] and device.statuses == [status]


async def test_throttled_device_asks_to_retry_then_accepts() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe("throttle", retry_after=2)
        failure = await send_failing(session, device, {"n": 1})
        assert failure.response.status == 429
        assert failure.response.headers["Retry-After"] == "2"
        assert (await send(session, device, {"n": 2})).status == 201
        assert [r.payload for r in device.received] == [{"n": 2}]
        assert device.statuses == [429, 201]


async def test_failing_device_answers_500_until_told_otherwise() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe("error500")
        for _ in range(2):
            assert (await send_failing(session, device)).response.status == 500
        device.mode = "ok"
        assert (await send(session, device, {"ok": True})).status == 201
        once = push.subscribe("error500", times=1)
        assert (await send_failing(session, once)).response.status == 500
        assert (await send(session, once, {})).status == 201


async def test_hanging_device_times_out_without_blocking_others() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        stuck, fine = push.subscribe("hang"), push.subscribe()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hanging = asyncio.create_task(send(session, stuck, {"n": 1}, timeout=aiohttp.ClientTimeout(total=0.5)))
            started = time.monotonic()
            assert (await send(session, fine, {"n": 2})).status == 201
            assert not hanging.done(), "the ok device's answer waited for the hanging one"
            with pytest.raises(asyncio.TimeoutError):
                await hanging
            assert time.monotonic() - started < 3
        assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []
        assert stuck.requests == 1 and stuck.statuses == [] and stuck.received == []
        assert push.hanging == 1, "the handler still holds the request its client gave up on"
    assert push.hanging == 0


async def test_shutdown_cancels_a_handler_whose_client_still_waits() -> None:
    async with aiohttp.ClientSession() as session:
        async with PushService() as push:
            waiting = asyncio.create_task(send(session, push.subscribe("hang"), {}))
            await push.wait_for(lambda p: p.hanging == 1)
            handler_tasks = set(push._hanging)
        assert handler_tasks and all(task.done() for task in handler_tasks)
        with pytest.raises(aiohttp.ClientError):
            await waiting


async def test_vapid_audience_of_another_origin_is_forbidden() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        key = ec.generate_private_key(ec.SECP256R1())
        jwt = es256_jwt({"aud": "https://fcm.googleapis.com", "exp": int(time.time()) + 3600, "sub": SUB}, key)
        assert await post_with_jwt(session, device, jwt, public_k(key)) == 403
        [rejection] = push.rejections
        assert (rejection.token, rejection.status) == (device.token, 403) and "aud" in rejection.reason
        assert device.received == []


async def test_vapid_expiry_more_than_a_day_ahead_is_forbidden() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        key = ec.generate_private_key(ec.SECP256R1())
        jwt = es256_jwt({"aud": push.origin, "exp": int(time.time()) + 25 * 3600, "sub": SUB}, key)
        assert await post_with_jwt(session, device, jwt, public_k(key)) == 403
        assert "24 hours" in push.rejections[0].reason


async def test_vapid_token_signed_by_another_key_is_unauthorized() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        signer, claimed = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        jwt = es256_jwt({"aud": push.origin, "exp": int(time.time()) + 3600, "sub": SUB}, signer)
        assert await post_with_jwt(session, device, jwt, public_k(claimed)) == 401
        assert await post_with_jwt(session, device, jwt, public_k(signer)) == 201
        assert [r.status for r in push.rejections] == [401]


@pytest.mark.parametrize("claims, reason", [
    ({"exp": -60}, "past"),
    ({"exp": "3600"}, "integer"),
    ({"sub": "ops@example.gov.cn"}, "sub"),
    ({"aud": "http://127.0.0.1"}, "aud"),
])
async def test_vapid_claims_push_services_refuse(claims: dict[str, Any], reason: str) -> None:
    """exp in `claims` is relative to now."""
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        key = ec.generate_private_key(ec.SECP256R1())
        full = {"aud": push.origin, "exp": 3600, "sub": SUB, **claims}
        if isinstance(full["exp"], int):
            full["exp"] += int(time.time())
        assert await post_with_jwt(session, device, es256_jwt(full, key), public_k(key)) == 403
        assert reason in push.rejections[0].reason


async def test_requests_without_vapid_or_ttl_are_refused() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        async with session.post(device.endpoint, data=b"", headers={"TTL": "0"}, timeout=TIMEOUT) as response:
            assert response.status == 401
        key = ec.generate_private_key(ec.SECP256R1())
        auth = f"vapid t={es256_jwt({'aud': push.origin, 'exp': int(time.time()) + 60, 'sub': SUB}, key)}," \
               f"k={public_k(key)}"
        async with session.post(device.endpoint, data=b"", headers={"Authorization": auth},
                                timeout=TIMEOUT) as response:
            assert response.status == 400
        async with session.post(f"{push.origin}/push/nobody", data=b"", headers={"Authorization": auth, "TTL": "0"},
                                timeout=TIMEOUT) as response:
            assert response.status == 404
        assert [r.status for r in push.rejections] == [401, 400, 404]
        assert push.requests == 3 and device.requests == 2


async def test_payload_encrypted_for_other_keys_is_a_bad_request() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device, other = push.subscribe(), push.subscribe()
        # Keys of one subscription, endpoint of another: what a mixed-up sender would do.
        crossed = {"endpoint": device.endpoint, "keys": other.info["keys"]}
        with pytest.raises(WebPushException) as failure:
            await webpush_async(crossed, json.dumps({"n": 1}), vapid_private_key=vapid_key(),
                                vapid_claims={"sub": SUB}, timeout=TIMEOUT, aiohttp_session=session)
        assert failure.value.response.status == 400
        assert push.rejections[0].status == 400 and "decrypt" in push.rejections[0].reason
        assert push.received == []


async def test_oversized_body_is_refused() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        device = push.subscribe()
        failure = await send_failing(session, device, "x" * 5000)
        assert failure.response.status == 413


async def test_wait_received_says_what_arrived_when_it_times_out() -> None:
    async with PushService() as push, aiohttp.ClientSession() as session:
        await send(session, push.subscribe(), {"n": 1})
        with pytest.raises(AssertionError, match=r"2 message\(s\).*received 1.*'n': 1"):
            await push.wait_received(2, timeout=0.2)

"""A local stand-in for a browser's push service (RFC 8030 delivery, RFC 8291 message
encryption, RFC 8292 VAPID), for tests and the bench.

A real browser hands the PWA a subscription whose endpoint lives at Mozilla's, Google's or
Apple's push service; our backend then POSTs encrypted messages there. In tests we cannot
reach those services, and a mock that accepts anything would hide exactly the mistakes they
punish: a VAPID token with the wrong audience or an expiry too far out, a missing TTL, a
payload encrypted for the wrong keys. So this service checks each request the way they do,
decrypts the payload with the subscription's own private key (as the browser would), and
records what arrived. Devices can also be told to misbehave (gone, payload too large,
throttled, failing, slow, hanging) so the sender's handling of those answers can be tested.

    async with PushService() as push:
        device = push.subscribe()            # device.info is PushSubscription.toJSON()
        ...                                  # send to device.info["endpoint"]
        await push.wait_received(1)
        assert device.received[0].payload == {...}

It runs an aiohttp server on 127.0.0.1 on an ephemeral port, inside the running event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MODES = ("ok", "gone404", "gone410", "toolarge413", "throttle", "error500", "hang", "slow")
URGENCIES = ("very-low", "low", "normal", "high")
MAX_BODY = 4096  # RFC 8030 section 7.2: services must accept at least this much; most refuse more
MAX_VAPID_LIFETIME = 24 * 60 * 60  # RFC 8292 section 2: exp no more than 24 hours ahead
# Every decrypted payload delivered by any PushService in this process, for the end-of-session
# scan for personal data (tests/test_zz_secrets_scan.py).
DELIVERED_PAYLOADS: list[bytes] = []


def b64url(data: bytes) -> str:
    """Unpadded base64url, the encoding Web Push uses for keys and JWT parts."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decodes unpadded base64url; raises ValueError on anything else."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"not base64url: {text[:20]!r}") from exc


class Rejected(Exception):
    """A request the service refuses; carries the HTTP status and a short reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Received:
    """One message delivered to a device: what the browser's service worker would see."""

    device: Device
    payload: Any  # the decrypted bytes parsed as JSON when possible, else the bytes
    raw: bytes  # the decrypted bytes
    ttl: int
    urgency: str
    topic: str | None
    vapid_claims: dict[str, Any]
    vapid_key: str  # the `k` of the Authorization header: the sender's public key, base64url
    at: float  # time.monotonic()


@dataclass
class Rejection:
    """A request refused before delivery (bad VAPID, TTL, encryption, size, unknown endpoint)."""

    token: str
    status: int
    reason: str
    at: float


@dataclass(eq=False)
class Device:
    """A browser's subscription: its endpoint token, its key pair and auth secret (RFC 8291),
    and how the service should answer for it (`mode`, which can be changed at any time)."""

    token: str
    info: dict[str, Any]
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    opts: dict[str, Any]
    received: list[Received] = field(default_factory=list)
    requests: int = 0  # every POST to this endpoint, rejected ones included
    statuses: list[int] = field(default_factory=list)  # the status of every answer given
    _mode: str = "ok"
    _mode_hits: int = 0  # verified requests answered since the mode was last set

    @property
    def endpoint(self) -> str:
        return self.info["endpoint"]

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        """Changing the mode starts its count afresh (a new throttle throttles `times` again)."""
        if mode not in MODES:
            raise ValueError(f"unknown push device mode {mode!r}; choose from {MODES}")
        self._mode = mode
        self._mode_hits = 0

    def next_answer(self) -> int | None:
        """The status this device's mode dictates for the next verified request, or None
        for "never answer"."""
        self._mode_hits += 1
        if self._mode == "gone404":
            return 404
        if self._mode == "gone410":
            return 410
        if self._mode == "toolarge413":  # a service whose limit is below ours
            return 413
        if self._mode == "hang":
            return None
        if self._mode == "throttle" and self._mode_hits <= self.opts.get("times", 1):
            return 429
        if self._mode == "error500" and self._mode_hits <= self.opts.get("times", float("inf")):
            return 500
        return 201


def _new_device(origin: str, mode: str, opts: dict[str, Any]) -> Device:
    """A subscription as a browser would create it: a fresh P-256 key pair and 16-byte secret."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth_secret = secrets.token_bytes(16)
    token = secrets.token_urlsafe(24)
    info = {"endpoint": f"{origin}/push/{token}",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth_secret)}}
    device = Device(token=token, info=info, private_key=private_key, auth_secret=auth_secret, opts=opts)
    device.mode = mode
    return device


# --- RFC 8292: VAPID ---------------------------------------------------------------------------

def _parse_vapid_header(header: str) -> tuple[str, str]:
    """Splits `vapid t=<jwt>, k=<key>` into (jwt, key). Missing or other schemes are 401."""
    scheme, _, params = header.strip().partition(" ")
    if scheme.lower() != "vapid":
        raise Rejected(401, "Authorization must use the vapid scheme (RFC 8292)")
    parts: dict[str, str] = {}
    for item in params.split(","):
        name, _, value = item.strip().partition("=")
        parts[name.strip().lower()] = value.strip()
    if not parts.get("t") or not parts.get("k"):
        raise Rejected(401, "vapid Authorization needs both t= and k=")
    return parts["t"], parts["k"]


def _vapid_public_key(k: str) -> ec.EllipticCurvePublicKey:
    try:
        raw = b64url_decode(k)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("not an uncompressed point")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as exc:
        raise Rejected(401, f"k is not an uncompressed P-256 public key: {exc}") from exc


def _verified_jwt_claims(jwt: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Checks the ES256 signature (raw r||s, RFC 7518 section 3.4) and returns the claims."""
    try:
        header_b64, claims_b64, signature_b64 = jwt.split(".")
        header = json.loads(b64url_decode(header_b64))
        signature = b64url_decode(signature_b64)
    except ValueError as exc:
        raise Rejected(401, f"malformed JWT: {exc}") from exc
    if not isinstance(header, dict) or header.get("alg") != "ES256" or header.get("typ", "JWT") != "JWT":
        raise Rejected(401, f"JWT header must be alg ES256, typ JWT; got {header!r}")
    if len(signature) != 64:
        raise Rejected(401, "ES256 signature must be 64 bytes (r||s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise Rejected(401, "JWT signature does not verify with key k") from exc
    try:
        claims = json.loads(b64url_decode(claims_b64))
    except ValueError as exc:
        raise Rejected(401, f"JWT claims are not JSON: {exc}") from exc
    if not isinstance(claims, dict):
        raise Rejected(401, "JWT claims must be an object")
    return claims


def _check_claims(claims: dict[str, Any], origin: str) -> None:
    """The claim rules push services enforce; a failure is 403 (authenticated, not allowed)."""
    if claims.get("aud") != origin:
        raise Rejected(403, f"aud must be {origin!r}, got {claims.get('aud')!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise Rejected(403, f"exp must be an integer, got {exp!r}")
    now = time.time()
    if exp <= now:
        raise Rejected(403, "exp is in the past")
    if exp > now + MAX_VAPID_LIFETIME:
        raise Rejected(403, "exp is more than 24 hours ahead")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
        raise Rejected(403, f"sub must be a mailto: or https: URI, got {sub!r}")


def verify_vapid(header: str | None, origin: str) -> tuple[dict[str, Any], str]:
    """Verifies an Authorization header as RFC 8292 asks; returns (claims, k)."""
    if not header:
        raise Rejected(401, "missing Authorization (VAPID required)")
    jwt, k = _parse_vapid_header(header)
    claims = _verified_jwt_claims(jwt, _vapid_public_key(k))
    _check_claims(claims, origin)
    return claims, k


# --- RFC 8030 headers and RFC 8291 payload ------------------------------------------------------

def _ttl(value: str | None) -> int:
    if value is None or not value.strip().isdigit():
        raise Rejected(400, f"TTL header must be an integer >= 0, got {value!r}")
    return int(value)


def _urgency(value: str | None) -> str:
    urgency = (value or "normal").strip().lower()
    if urgency not in URGENCIES:
        raise Rejected(400, f"Urgency must be one of {URGENCIES}, got {value!r}")
    return urgency


def _decrypt(body: bytes, encoding: str | None, device: Device) -> bytes:
    """Decrypts as the browser would, with the subscription's private key and auth secret.
    An empty body is a payload-less push, which RFC 8030 allows."""
    if len(body) > MAX_BODY:
        raise Rejected(413, f"body of {len(body)} bytes exceeds {MAX_BODY}")
    if not body:
        return b""
    if (encoding or "").strip().lower() != "aes128gcm":
        raise Rejected(400, f"Content-Encoding must be aes128gcm, got {encoding!r}")
    try:
        return http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth_secret,
                                version="aes128gcm")
    except Exception as exc:  # http_ece raises ECEException, ValueError, InvalidTag, struct.error...
        raise Rejected(400, f"payload does not decrypt with the subscription's keys: {exc!r}") from exc


def _parse_payload(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --- the service --------------------------------------------------------------------------------

class PushService:
    """The push service: `async with PushService() as push`, then `push.subscribe()`."""

    def __init__(self, *, shutdown_timeout: float = 0.5) -> None:
        self.origin = ""
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.rejections: list[Rejection] = []
        self.requests = 0
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._hanging: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()

    # lifecycle

    async def __aenter__(self) -> PushService:
        app = web.Application(client_max_size=MAX_BODY * 4)  # so oversize bodies get our 413
        app.router.add_post("/push/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._cancel_hanging()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _cancel_hanging(self) -> None:
        """Hanging handlers outlive their clients (aiohttp does not cancel a handler when the
        client goes away), so the server's own shutdown would not find them: cancel them here
        and wait, so no task is left pending in the test's loop."""
        tasks = [task for task in self._hanging if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self._shutdown_timeout)
        self._hanging.clear()

    @property
    def hanging(self) -> int:
        """How many requests are being held unanswered right now (devices in "hang" mode)."""
        return len(self._hanging)

    # subscriptions

    def subscribe(self, mode: str = "ok", **opts: Any) -> Device:
        """A new browser subscription. opts: `times` (how many requests throttle/error500 apply
        to; throttle defaults to 1, error500 to always), `retry_after` (seconds, default 1) and
        `delay` (seconds a "slow" device waits before answering 201, default 0.5)."""
        if not self.origin:
            raise RuntimeError("subscribe() inside `async with PushService()`: the port is not known yet")
        device = _new_device(self.origin, mode, dict(opts))
        self.devices[device.token] = device
        return device

    # waiting

    async def wait_for(self, condition: Callable[[PushService], bool] | int, timeout: float = 5,
                       what: str = "") -> None:
        """Waits until `condition(push)` holds, or, given an int n, until n messages arrived.
        On timeout, fails with what did arrive and what was rejected."""
        if isinstance(condition, int):
            count = condition
            what = what or f"{count} message(s)"
            condition = lambda push: len(push.received) >= count  # noqa: E731
        try:
            async with asyncio.timeout(timeout):
                while not condition(self):
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"push service: waited {timeout}s for {what or 'a condition'}; "
                                 f"{self.describe()}") from None

    async def wait_received(self, n: int, timeout: float = 5, *, device: Device | None = None) -> list[Received]:
        """Waits until at least n messages arrived (overall, or for `device`); returns them."""
        source = (lambda: device.received) if device else (lambda: self.received)
        whose = f" for device {device.token[:8]}" if device else ""
        await self.wait_for(lambda _: len(source()) >= n, timeout, what=f"{n} message(s){whose}")
        return list(source())

    def describe(self) -> str:
        """What happened so far, for failure messages."""
        received = [f"{r.device.token[:8]}: {r.payload!r}" for r in self.received]
        rejected = [f"{r.token[:8]}: {r.status} {r.reason}" for r in self.rejections]
        return (f"{self.requests} request(s); received {len(received)}: {received}; "
                f"rejected {len(rejected)}: {rejected}")

    def _notify(self) -> None:
        """Wakes every waiter; each re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    # the endpoint

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """One POST to a subscription endpoint: verify like a real service, then answer as the
        device's mode says."""
        self.requests += 1
        token = request.match_info["token"]
        device = self.devices.get(token)
        if device is not None:
            device.requests += 1
        self._notify()
        try:
            if device is None:
                raise Rejected(404, "no such subscription")
            message = await self._verify(request, device)
        except Rejected as rejected:
            self.rejections.append(Rejection(token, rejected.status, rejected.reason, time.monotonic()))
            return self._answer(device, web.Response(status=rejected.status, text=rejected.reason))
        status = device.next_answer()
        if status is None:
            await self._hang()  # returns only by being cancelled
        if device.mode == "slow":  # answers, but late (opts: delay, seconds)
            await asyncio.sleep(device.opts.get("delay", 0.5))
        if status == 201:
            self._deliver(device, message)
            return self._answer(device, web.Response(
                status=201, headers={"Location": f"{self.origin}/message/{secrets.token_urlsafe(12)}"}))
        headers = {"Retry-After": str(device.opts.get("retry_after", 1))} if status == 429 else None
        return self._answer(device, web.Response(status=status, headers=headers, text=device.mode))

    async def _verify(self, request: web.Request, device: Device) -> Received:
        """All checks, in the order services apply them; returns the message, not yet delivered."""
        claims, key = verify_vapid(request.headers.get("Authorization"), self.origin)
        ttl = _ttl(request.headers.get("TTL"))
        urgency = _urgency(request.headers.get("Urgency"))
        raw = _decrypt(await request.read(), request.headers.get("Content-Encoding"), device)
        return Received(device=device, payload=_parse_payload(raw), raw=raw, ttl=ttl, urgency=urgency,
                        topic=request.headers.get("Topic"), vapid_claims=claims, vapid_key=key,
                        at=time.monotonic())

    async def _hang(self) -> None:
        """Never answer, like a service that accepted the connection and stalled. Only this
        handler waits; shutdown cancels it."""
        task = asyncio.current_task()
        assert task is not None
        self._hanging.add(task)
        self._notify()
        try:
            await asyncio.Event().wait()
        finally:
            self._hanging.discard(task)

    def _deliver(self, device: Device, message: Received) -> None:
        DELIVERED_PAYLOADS.append(message.raw)
        device.received.append(message)
        self.received.append(message)

    def _answer(self, device: Device | None, response: web.Response) -> web.Response:
        if device is not None:
            device.statuses.append(response.status)
        self._notify()
        return response

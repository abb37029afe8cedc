"""A person's devices that receive web push (RFC 8030): their push service endpoint and the
keys the payload is encrypted to (RFC 8291).

The server POSTs to whatever endpoint a browser hands it, so endpoints are checked against
the push services we know (PUSH_ENDPOINT_HOSTS): otherwise anyone signed in could make the
server send requests into our own network.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from backend.models import PushSubscription, User
from backend.services.errors import NotFoundError, ValidationError

MAX_DEVICES = 10  # a person's oldest device drops off when an eleventh registers
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def _b64url(value: str, *, field: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field=field, message=f"{what}不是有效的 base64url 编码") from None
    if len(raw) != size:
        raise ValidationError(field=field, message=f"{what}长度应为 {size} 字节")
    return raw


def check_endpoint(endpoint: str, *, allowed_hosts: tuple[str, ...]) -> str:
    endpoint = endpoint.strip()
    if len(endpoint) > 1000:
        raise ValidationError(field="input.endpoint", message="推送地址过长")
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    # Plain http only for a push service on this machine (development and tests).
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise ValidationError(field="input.endpoint", message="推送地址必须使用 https")
    if not any(host == allowed or host.endswith("." + allowed) for allowed in allowed_hosts):
        raise ValidationError(field="input.endpoint", message="不支持该浏览器的推送服务")
    return endpoint


def check_keys(*, p256dh: str, auth: str) -> None:
    point = _b64url(p256dh, field="input.keys.p256dh", size=65, what="p256dh 公钥")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ValidationError(field="input.keys.p256dh", message="p256dh 不是有效的 P-256 公钥") from None
    _b64url(auth, field="input.keys.auth", size=16, what="auth 密钥")


async def register(*, user: User, endpoint: str, p256dh: str, auth: str, device_label: str | None,
                   allowed_hosts: tuple[str, ...]) -> PushSubscription:
    """Idempotent per endpoint. A device that signs in as someone else moves to them: its
    pushes must never reach the previous person."""
    endpoint = check_endpoint(endpoint, allowed_hosts=allowed_hosts)
    check_keys(p256dh=p256dh, auth=auth)
    label = (device_label or "").strip()[:64] or "此设备"
    subscription, _ = await PushSubscription.update_or_create(
        defaults={"user_id": user.id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth, "device_label": label},
        endpoint_hash=endpoint_hash(endpoint),
    )
    stale = await PushSubscription.filter(user_id=user.id).order_by("-id").offset(MAX_DEVICES).values_list("id", flat=True)
    if stale:
        await PushSubscription.filter(id__in=list(stale)).delete()
    return subscription


async def unregister(*, user: User, endpoint: str) -> bool:
    return await PushSubscription.filter(user_id=user.id, endpoint_hash=endpoint_hash(endpoint.strip())).delete() > 0


async def remove(*, user: User, device_id: int) -> None:
    """A lost or sold phone, removed from another device: only the person's own."""
    if not await PushSubscription.filter(id=device_id, user_id=user.id).delete():
        raise NotFoundError("未找到该设备，可能已被移除")


async def devices(*, user: User) -> list[PushSubscription]:
    return await PushSubscription.filter(user_id=user.id).order_by("-id")

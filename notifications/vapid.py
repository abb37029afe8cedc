"""VAPID (RFC 8292): the app identifies itself to push services with a signed JWT.

Signing is the costly part of a push after encryption, and one token is good for every
message to the same push service until it expires, so tokens are kept per audience (the
push service's origin) and renewed an hour before their 12-hour expiry.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

TOKEN_SECONDS = 12 * 3600  # push services refuse more than 24 h
RENEW_BEFORE = 3600


def application_server_key(private_pem: bytes) -> str:
    """The public half as browsers want it: base64url of the uncompressed P-256 point."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


class VapidSigner:
    def __init__(self, *, private_pem: bytes, subject: str, clock=time.time) -> None:  # type: ignore[no-untyped-def]
        self._vapid = Vapid.from_pem(private_pem)
        self._subject = subject
        self._clock = clock
        self._tokens: dict[str, tuple[int, dict[str, str]]] = {}
        self.public_key = application_server_key(private_pem)

    def headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = int(self._clock())
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] - RENEW_BEFORE > now:
            return cached[1]
        expires = now + TOKEN_SECONDS
        # A fresh dict each time: py_vapid and pywebpush write into the claims they are given.
        headers = self._vapid.sign({"aud": audience, "exp": expires, "sub": self._subject})
        self._tokens[audience] = (expires, headers)
        return headers

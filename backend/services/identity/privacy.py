"""Personal data at rest (PIPL Art. 51, seeds Art. 29): ID and phone numbers are stored only as
AES-256-GCM ciphertext, with a keyed blind index (HMAC-SHA256) for exact-match lookups.

Key rotation: a vault seals with its current key and opens with the current key or any
previous one (PII_PREVIOUS_ENCRYPTION_KEYS), so data sealed before a rotation stays readable
until `python -m backend reencrypt-pii` (pii_rotation.py) has sealed it again under the new key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"v1"


class PiiVault:
    def __init__(self, *, encryption_key: bytes, index_key: bytes, previous_encryption_keys: Sequence[bytes] = ()) -> None:
        self._aead = AESGCM(encryption_key)
        self._previous = [AESGCM(key) for key in previous_encryption_keys if key != encryption_key]
        self._index_key = index_key

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        # `purpose` is bound as associated data: a ciphertext copied into another column
        # (say, a phone number pasted where an ID number belongs) will not decrypt.
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _VERSION + purpose.encode())
        return base64.b64encode(_VERSION + nonce + sealed).decode()

    def decrypt(self, token: str, *, purpose: str) -> str:
        return self._open(token, purpose=purpose)[0]

    def reseal(self, token: str, *, purpose: str) -> str | None:
        """The same plaintext sealed under the current key, if `token` was sealed under a previous
        one; None if it already uses the current key. Raises ValueError if no key opens it."""
        plaintext, current = self._open(token, purpose=purpose)
        return None if current else self.encrypt(plaintext, purpose=purpose)

    def _open(self, token: str, *, purpose: str) -> tuple[str, bool]:
        """(plaintext, whether the current key opened it)"""
        raw = base64.b64decode(token)
        if raw[:2] != _VERSION:
            raise ValueError("unknown ciphertext version")
        for aead in [self._aead, *self._previous]:
            try:
                return aead.decrypt(raw[2:14], raw[14:], _VERSION + purpose.encode()).decode(), aead is self._aead
            except InvalidTag:
                continue
        raise ValueError("ciphertext does not verify")

    def blind_index(self, value: str, *, purpose: str) -> str:
        return hmac.new(self._index_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

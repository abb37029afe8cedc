"""Personal data at rest (PIPL Art. 51, seeds Art. 29): ID and phone numbers are stored only as
AES-256-GCM ciphertext, with a keyed blind index (HMAC-SHA256) for exact-match lookups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"v1"


class PiiVault:
    def __init__(self, *, encryption_key: bytes, index_key: bytes) -> None:
        self._aead = AESGCM(encryption_key)
        self._index_key = index_key

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        # `purpose` is bound as associated data: a ciphertext copied into another column
        # (say, a phone number pasted where an ID number belongs) will not decrypt.
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _VERSION + purpose.encode())
        return base64.b64encode(_VERSION + nonce + sealed).decode()

    def decrypt(self, token: str, *, purpose: str) -> str:
        raw = base64.b64decode(token)
        if raw[:2] != _VERSION:
            raise ValueError("unknown ciphertext version")
        try:
            return self._aead.decrypt(raw[2:14], raw[14:], _VERSION + purpose.encode()).decode()
        except InvalidTag:
            raise ValueError("ciphertext does not verify") from None

    def blind_index(self, value: str, *, purpose: str) -> str:
        return hmac.new(self._index_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

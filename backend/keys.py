"""The app's secrets as objects. Outside dev they come from settings (the environment); in dev
any that is missing is generated once and kept under DATA_DIR/secrets/, so restarts keep
working sessions and encrypted data readable."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from backend.services.identity.privacy import PiiVault
from backend.settings import Settings, SettingsError


@dataclass(frozen=True)
class Keys:
    pii_encryption: bytes  # 32 bytes, AES-256-GCM
    pii_index: bytes  # HMAC-SHA256 key for blind indexes
    app_signing_pem: bytes  # EC P-256 private key (PEM) for the app's own short-lived tokens
    vapid_pem: bytes  # EC P-256 private key (PEM) that signs web push requests (VAPID, RFC 8292)
    dev_idp_pem: bytes | None  # RSA private key (PEM) of the development identity provider
    # Earlier PII encryption keys: they still open data until `reencrypt-pii` has run.
    pii_previous_encryption: tuple[bytes, ...] = ()
    # Earlier app signing keys (public PEM): still published and trusted after a rotation.
    app_signing_previous: tuple[bytes, ...] = ()


def _b64key(value: str, name: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        raise SettingsError(f"{name} must be base64") from None
    if len(key) != 32:
        raise SettingsError(f"{name} must be 32 bytes (base64 of 32 random bytes)")
    return key


def _stored(path: Path, make: Callable[[], bytes]) -> bytes:
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return data


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_keys(settings: Settings) -> Keys:
    folder = settings.data_dir / "secrets"
    generate = settings.is_dev

    def pick(value: str | None, name: str, filename: str, make: Callable[[], bytes]) -> bytes:
        if value:
            return value.encode() if filename.endswith(".pem") else _b64key(value, name)
        if not generate:
            raise SettingsError(f"{name} is required when APP_ENV={settings.app_env}")
        return _stored(folder / filename, make)

    return Keys(
        pii_encryption=pick(settings.pii_encryption_key, "PII_ENCRYPTION_KEY", "pii.key", lambda: os.urandom(32)),
        pii_index=pick(settings.pii_index_key, "PII_INDEX_KEY", "pii-index.key", lambda: os.urandom(32)),
        app_signing_pem=pick(settings.app_signing_key, "APP_SIGNING_KEY", "app-signing.pem",
                             lambda: _pem(ec.generate_private_key(ec.SECP256R1()))),
        vapid_pem=pick(settings.vapid_private_key, "VAPID_PRIVATE_KEY", "vapid.pem",
                       lambda: _pem(ec.generate_private_key(ec.SECP256R1()))),
        dev_idp_pem=(_stored(folder / "dev-idp.pem", lambda: _pem(rsa.generate_private_key(65537, 2048)))
                     if settings.dev_idp_enabled else None),
        pii_previous_encryption=tuple(_b64key(value, "PII_PREVIOUS_ENCRYPTION_KEYS")
                                      for value in settings.pii_previous_encryption_keys),
        app_signing_previous=tuple(_public_pem(value) for value in settings.app_signing_previous_keys),
    )


def _public_pem(value: str) -> bytes:
    try:
        key = serialization.load_pem_public_key(value.encode())
    except ValueError:
        raise SettingsError("APP_SIGNING_PREVIOUS_KEYS must hold PEM public keys (EC P-256)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SettingsError("APP_SIGNING_PREVIOUS_KEYS must hold EC P-256 public keys")
    return value.encode()


def pii_vault(keys: Keys) -> PiiVault:
    """The vault for personal data: seals with the current key, opens with it or a previous one."""
    return PiiVault(encryption_key=keys.pii_encryption, index_key=keys.pii_index,
                    previous_encryption_keys=keys.pii_previous_encryption)


def new_test_secrets() -> dict[str, str]:
    """Environment values for a test run (tests are not dev, so they must pass keys)."""
    return {
        "PII_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "PII_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "APP_SIGNING_KEY": _pem(ec.generate_private_key(ec.SECP256R1())).decode(),
        "VAPID_PRIVATE_KEY": _pem(ec.generate_private_key(ec.SECP256R1())).decode(),
    }

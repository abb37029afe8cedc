"""Rotating APP_SIGNING_KEY without breaking what is in people's hands: the previous key's public
half (APP_SIGNING_PREVIOUS_KEYS) stays published and trusted, so a 一人一码 or an offline 亮证
presentation signed just before the switch verifies until it expires; each key is named by its
thumbprint, so old and new never share a `kid`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.jws import verify_app_token
from backend.keys import load_keys
from backend.services.errors import ValidationError
from backend.services.identity.codes import AUDIENCE, ISSUER, CodeSigner
from backend.settings import SettingsError, load_settings


def _private() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


async def test_a_code_signed_before_the_rotation_still_verifies_after_it() -> None:
    old, new = _private(), _private()
    before = CodeSigner(private_pem=_pem(old))
    code = before.issue("user:42").token
    after = CodeSigner(private_pem=_pem(new), previous_public_pems=(_public(old),))
    assert await after.subject_of(code) == "user:42"
    assert [k["kid"] for k in after.published_jwks] == [after.public_jwk["kid"], before.public_jwk["kid"]]
    assert after.public_jwk["kid"] != before.public_jwk["kid"]
    assert all("d" not in k for k in after.published_jwks)
    # Presentations are checked against the published set the same way.
    claims = verify_app_token(code, keys=after.published_jwks, issuer=ISSUER, audience=AUDIENCE,
                              now=int(time.time()))
    assert claims["sub"] == "user:42"
    # Once the old key is dropped from the setting, its codes are unknown.
    dropped = CodeSigner(private_pem=_pem(new))
    with pytest.raises(ValidationError) as refused:
        await dropped.subject_of(code)
    assert refused.value.message == "无法识别的身份码"


def test_previous_signing_keys_are_read_from_the_environment(tmp_path: Path) -> None:
    first, second = _public(_private()), _public(_private())
    settings = load_settings({"DATA_DIR": str(tmp_path), "APP_SIGNING_PREVIOUS_KEYS": (first + second).decode()})
    assert load_keys(settings).app_signing_previous == (first.rstrip(b"\n"), second.rstrip(b"\n"))
    assert first.decode().splitlines()[1] not in repr(settings)
    rsa_like = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"
    with pytest.raises(SettingsError, match="APP_SIGNING_PREVIOUS_KEYS must hold PEM public keys"):
        load_keys(load_settings({"DATA_DIR": str(tmp_path), "APP_SIGNING_PREVIOUS_KEYS": rsa_like}))

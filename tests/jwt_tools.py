"""Makes JWTs for tests with `cryptography` alone (python-jose stays in backend/jws.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, str]:
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": _uint(numbers.n), "e": _uint(numbers.e)}
    point = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": b64url(point.x.to_bytes(32, "big")), "y": b64url(point.y.to_bytes(32, "big"))}


def _signing_input(header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    return (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()


def sign(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, claims: dict[str, Any], *, kid: str,
         alg: str | None = None) -> str:
    alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
    data = _signing_input({"alg": alg, "typ": "JWT", "kid": kid}, claims)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return data.decode() + "." + b64url(signature)


def sign_hs256(secret: bytes, claims: dict[str, Any], *, kid: str) -> str:
    data = _signing_input({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    return data.decode() + "." + b64url(hmac.new(secret, data, hashlib.sha256).digest())


def unsigned(claims: dict[str, Any], *, kid: str) -> str:
    return _signing_input({"alg": "none", "typ": "JWT", "kid": kid}, claims).decode() + "."


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

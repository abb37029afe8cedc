"""Wires identity together: who signs tokens (the provider), how we verify them, the personal
data vault and the app's code signer. Built once per app in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import httpx

from backend.jws import KeySet, TokenVerifier, public_jwk, static_key_set
from backend.keys import Keys, pii_vault
from backend.services.identity.codes import CodeSigner
from backend.services.identity.privacy import PiiVault
from backend.settings import Settings

DEV_IDP_PATH = "/dev-idp"
DEV_IDP_KID = "dev-idp-1"


@dataclass
class Identity:
    verifier: TokenVerifier
    vault: PiiVault
    codes: CodeSigner
    issuer: str
    dev_idp_pem: bytes | None = None


def base_url(settings: Settings) -> str:
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def _remote_key_set(settings: Settings) -> KeySet:
    async def source() -> Mapping[str, Any]:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            jwks_url = settings.oidc_jwks_url
            if not jwks_url:
                discovery = await client.get(f"{settings.oidc_issuer}/.well-known/openid-configuration")
                discovery.raise_for_status()
                jwks_url = discovery.json()["jwks_uri"]
            response = await client.get(jwks_url)
            response.raise_for_status()
            return response.json()

    return KeySet(source)


def build_identity(settings: Settings, keys: Keys) -> Identity:
    vault = pii_vault(keys)
    codes = CodeSigner(private_pem=keys.app_signing_pem, previous_public_pems=keys.app_signing_previous)
    if settings.dev_idp_enabled and keys.dev_idp_pem:
        issuer = base_url(settings) + DEV_IDP_PATH
        key_set = static_key_set([public_jwk(keys.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID)])
    else:
        issuer = settings.oidc_issuer or ""
        key_set = _remote_key_set(settings)
    verifier = TokenVerifier(issuer=issuer, audience=settings.oidc_audience, keys=key_set)
    return Identity(verifier=verifier, vault=vault, codes=codes, issuer=issuer, dev_idp_pem=keys.dev_idp_pem)

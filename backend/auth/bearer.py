"""Turning a bearer token into the signed-in user, for every adapter (GraphQL, uploads)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.auth.identity import Identity
from backend.jws import TokenError
from backend.models import User
from backend.services.errors import ValidationError
from backend.services.identity.accounts import sync_user


class AuthError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Authenticated:
    user: User
    expires_at: int


def bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("missing", "登录凭证格式不正确，应为 Authorization: Bearer <token>")
    return token.strip()


async def authenticate(identity: Identity, token: str) -> Authenticated:
    try:
        verified = await identity.verifier.verify(token)
        user = await sync_user(claims=verified.claims, vault=identity.vault)
    except TokenError as error:
        raise AuthError(error.reason, error.message) from None
    except ValidationError as error:
        raise AuthError("claims", f"身份认证平台提供的信息有误（{error.field}）：{error.message}") from None
    return Authenticated(user=user, expires_at=verified.expires_at)

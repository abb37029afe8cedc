"""一人一码 / 一企一码: a QR code carrying a short-lived token signed by the app, which a hall
window scans to identify the person or enterprise. Each scan is written to the access log."""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass
from typing import Any, Mapping

import segno

from backend.jws import TokenError, TokenVerifier, sign_token, static_key_set, public_jwk
from backend.models import Enterprise, User
from backend.models.identity import Role
from backend.services.errors import NotPermittedError, ValidationError
from backend.services.identity.accounts import ID_NUMBER, log_access
from backend.services.identity.identifiers import mask_id_number
from backend.services.identity.privacy import PiiVault

CODE_SECONDS = 120
ISSUER = "zhangshangban"
AUDIENCE = "hall-window"


@dataclass(frozen=True)
class IdentityCode:
    token: str
    qr_svg: str
    expires_at: int


@dataclass(frozen=True)
class IdentifiedParty:
    kind: str  # PERSON or ENTERPRISE
    name: str
    number_masked: str


class CodeSigner:
    """Signs with the current key; trusts it and the previous ones (a rotation's overlap), all
    published at /.well-known/jwks.json under their thumbprints."""

    def __init__(self, *, private_pem: bytes, previous_public_pems: tuple[bytes, ...] = ()) -> None:
        self._pem = private_pem
        self.public_jwk = public_jwk(private_pem, algorithm="ES256")
        self.published_jwks = [self.public_jwk, *(public_jwk(pem, algorithm="ES256") for pem in previous_public_pems)]
        self._verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=static_key_set(self.published_jwks))

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Any short-lived token the app vouches for (亮证 presentations): the published key."""
        return sign_token(claims, private_pem=self._pem, algorithm="ES256", kid=self.public_jwk["kid"])

    def issue(self, subject: str) -> IdentityCode:
        now = int(time.time())
        token = self.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "nbf": now,
                           "exp": now + CODE_SECONDS, "jti": secrets.token_urlsafe(8)})
        return IdentityCode(token=token, qr_svg=qr_svg(token), expires_at=now + CODE_SECONDS)

    async def subject_of(self, token: str) -> str:
        try:
            return (await self._verifier.verify(token)).subject
        except TokenError as error:
            message = "码已过期，请让对方刷新后重新出示" if error.reason == "expired" else "无法识别的身份码"
            raise ValidationError(field="token", message=message) from None


def qr_svg(data: str) -> str:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                     title="身份码", nl=False)
    return out.getvalue().decode()


def personal_code(*, user: User, signer: CodeSigner) -> IdentityCode:
    return signer.issue(f"user:{user.id}")


def enterprise_code(*, enterprise: Enterprise, signer: CodeSigner) -> IdentityCode:
    return signer.issue(f"enterprise:{enterprise.uscc}")


async def identify(*, token: str, actor: User, signer: CodeSigner, vault: PiiVault) -> IdentifiedParty:
    if Role.STAFF not in actor.roles:
        raise NotPermittedError("只有窗口工作人员可以扫码核验身份")
    subject = await signer.subject_of(token)
    kind, _, key = subject.partition(":")
    if kind == "enterprise":
        enterprise = await Enterprise.get_or_none(uscc=key)
        if enterprise is None:
            raise ValidationError(field="token", message="无法识别的身份码")
        return IdentifiedParty(kind="ENTERPRISE", name=enterprise.name, number_masked=enterprise.uscc)
    person = await User.get_or_none(id=int(key)) if kind == "user" and key.isdigit() else None
    if person is None:
        raise ValidationError(field="token", message="无法识别的身份码")
    number = vault.decrypt(person.id_number_enc, purpose=ID_NUMBER) if person.id_number_enc else ""
    await log_access(actor=actor, subject=person, what=ID_NUMBER, purpose="窗口扫码核验身份")
    return IdentifiedParty(kind="PERSON", name=person.name, number_masked=mask_id_number(number) if number else "")

"""亮证: the holder shows a license as a QR code carrying a short-lived token the app signs
(compact JWS, ES256, the key published at /.well-known/jwks.json); anyone scans it and the
server verifies it — signature against the published key set, expiry, and the license's
status read from the database at that moment, so a revoked license stops verifying at once.

The token carries only what the holder chose to disclose. Claims (docs/LICENSES.md):
iss, aud, sub (the license identifier), lt / ltn (type code and name), fields (the disclosed
fields, [{key, label, value}]), iat, nbf, exp, jti, and offline: true for an offline code.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import segno

from backend.jws import ExpiredAppToken, TokenError, verify_app_token
from backend.models import ELicense, User
from backend.models.licenses import LicenseStatus, LicenseVerification, VerificationReason
from backend.services.errors import NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.codes import ISSUER, CodeSigner
from backend.services.licenses.registry import (
    DEFAULT_DISCLOSURE, LicenseFieldData, effective_status, license_access, local_today, presentable_fields,
    verifier_label,
)

AUDIENCE = "license-verify"
LIVE_SECONDS = 60
OFFLINE_SECONDS = 24 * 3600
MAX_DISCLOSE = 50
R = VerificationReason
REASONS: dict[VerificationReason, str] = {
    R.VALID: "证照有效",
    R.MALFORMED: "无法识别的亮证码，请让持证人重新出示",
    R.TAMPERED: "亮证码签名无效：内容被篡改，或不是掌上办签发的",
    R.UNKNOWN_KEY: "亮证码的签名密钥未知：不是掌上办签发的，或密钥已停用",
    R.EXPIRED: "亮证码已过期，请让持证人刷新后重新出示",
    R.LICENSE_NOT_FOUND: "未找到该证照",
    R.LICENSE_SUSPENDED: "证照已暂扣（挂起），目前不能作为有效证照使用",
    R.LICENSE_REVOKED: "证照已被吊销（撤销），不是有效证照",
    R.LICENSE_CANCELLED: "证照已注销，不是有效证照",
    R.LICENSE_EXPIRED: "证照已超过有效期",
    R.LICENSE_VOIDED: "证照已作废，不是有效证照",
    R.LICENSE_NOT_YET_VALID: "证照尚未生效",
}
OFFLINE_VALID = "证照有效（离线亮证码：出示时手机未联网，证照状态以本次核验为准）"
_TOKEN_REASONS = {"malformed": R.MALFORMED, "claims": R.MALFORMED, "algorithm": R.TAMPERED,
                  "signature": R.TAMPERED, "unknown_key": R.UNKNOWN_KEY}
_STATUS_REASONS = {LicenseStatus.SUSPENDED: R.LICENSE_SUSPENDED, LicenseStatus.REVOKED: R.LICENSE_REVOKED,
                   LicenseStatus.CANCELLED: R.LICENSE_CANCELLED, LicenseStatus.EXPIRED: R.LICENSE_EXPIRED,
                   LicenseStatus.VOIDED: R.LICENSE_VOIDED}


# ---- presenting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    token: str
    qr_svg: str
    expires_at: datetime
    verify_url: str
    offline: bool


def qr_svg(data: str) -> str:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                     title="电子证照亮证码", nl=False)
    return out.getvalue().decode()


def _disclosed(row: ELicense, disclose: Sequence[str] | None) -> list[LicenseFieldData]:
    available = presentable_fields(row)
    keys = {field.key for field in available}
    if disclose is None:
        chosen = set(DEFAULT_DISCLOSURE)
    else:
        if len(disclose) > MAX_DISCLOSE:
            raise ValidationError(field="disclose", message=f"最多选择 {MAX_DISCLOSE} 项")
        chosen = set()
        for index, key in enumerate(disclose):
            if key not in keys:
                names = "、".join(f"{f.key}（{f.label}）" for f in available)
                raise ValidationError(field=f"disclose[{index}]",
                                      message=f"证照没有“{key}”这一项，可出示的有：{names}")
            chosen.add(key)
    return [field for field in available if field.key in chosen]  # in the license's own order


async def present(*, viewer: User, license_id: int, disclose: Sequence[str] | None, offline: bool,
                  signer: CodeSigner, origin: str, now: datetime | None = None) -> Presentation:
    """A presentation of one of the viewer's licenses (or their enterprise's). A license that is
    not valid may be shown too: the verifier will see its status."""
    row = await ELicense.get_or_none(id=license_id).select_related("license_type")
    access = await license_access(user=viewer)
    if row is None or not access.sees(row):
        raise NotFoundError("未找到该证照")
    if not access.holds(row):
        raise NotPermittedError("只有持证人可以出示证照")
    fields = _disclosed(row, disclose)
    issued = int((now or datetime.now(timezone.utc)).timestamp())
    expires = issued + (OFFLINE_SECONDS if offline else LIVE_SECONDS)
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": row.identifier,
        "lt": row.license_type.code, "ltn": row.license_type.name,
        "fields": [{"key": f.key, "label": f.label, "value": f.value} for f in fields],
        "iat": issued, "nbf": issued, "exp": expires, "jti": secrets.token_urlsafe(12),
    }
    if offline:
        claims["offline"] = True
    token = signer.sign(claims)
    url = f"{origin.rstrip('/')}/verify#{token}"
    return Presentation(token=token, qr_svg=qr_svg(url), expires_at=datetime.fromtimestamp(expires, timezone.utc),
                        verify_url=url, offline=offline)


# ---- verifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationOutcome:
    valid: bool
    reason_code: VerificationReason
    reason: str
    license: ELicense | None = None
    status: LicenseStatus | None = None
    disclosed: tuple[LicenseFieldData, ...] = ()
    presented_at: datetime | None = None
    expires_at: datetime | None = None
    offline: bool = False


def _fields_claim(value: Any) -> tuple[LicenseFieldData, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(LicenseFieldData(str(f.get("key", "")), str(f.get("label", "")), str(f.get("value", "")))
                 for f in value if isinstance(f, dict))


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if isinstance(value, int) else None


def _license_reason(row: ELicense, *, now: datetime) -> VerificationReason:
    today = local_today(now)
    status = effective_status(row, today=today)
    if status is not LicenseStatus.VALID:
        return _STATUS_REASONS[status]
    if row.valid_from > today:
        return R.LICENSE_NOT_YET_VALID
    return R.VALID


async def verify(*, token: str, verifier: User | None, keys: Sequence[Mapping[str, Any]],
                 now: datetime | None = None) -> VerificationOutcome:
    """The verdict on a presentation, recorded for the holder when the token is authentic."""
    moment = now or datetime.now(timezone.utc)
    token = token.strip().rsplit("#", 1)[-1]  # the scanned verify URL works as well as the bare token
    try:
        claims = verify_app_token(token, keys=keys, issuer=ISSUER, audience=AUDIENCE,
                                  now=int(moment.timestamp()))
        expired = False
    except ExpiredAppToken as error:
        claims, expired = error.claims, True  # authentic, only stale: still say which license
    except TokenError as error:
        reason = _TOKEN_REASONS.get(error.reason, R.MALFORMED)
        return VerificationOutcome(valid=False, reason_code=reason, reason=REASONS[reason])
    row = await ELicense.get_or_none(identifier=str(claims["sub"])).select_related("license_type")
    presented_at, expires_at = _moment(claims.get("iat")), _moment(claims.get("exp"))
    offline = claims.get("offline") is True
    if row is None:
        reason = R.LICENSE_NOT_FOUND
        return VerificationOutcome(valid=False, reason_code=reason, reason=REASONS[reason],
                                   presented_at=presented_at, expires_at=expires_at, offline=offline)
    reason = R.EXPIRED if expired else _license_reason(row, now=moment)
    valid = reason is R.VALID
    text = OFFLINE_VALID if valid and offline else REASONS[reason]
    token_id = str(claims.get("jti", ""))[:64]
    # The same code checked again by the same verifier with the same outcome is one record: a
    # leaked code (an offline one lives a day) cannot flood the holder's record.
    seen = LicenseVerification.filter(license_id=row.id, token_id=token_id, reason_code=reason)
    seen = seen.filter(verifier_id=verifier.id) if verifier else seen.filter(verifier_id__isnull=True)
    if not await seen.exists():
        await LicenseVerification.create(
            license=row, verifier=verifier, verifier_label=await verifier_label(verifier), valid=valid,
            reason_code=reason, reason=text, token_id=token_id, offline=offline, presented_at=presented_at,
        )
    if expired:  # authentic but stale: say when it was shown, not what the license is now
        return VerificationOutcome(valid=False, reason_code=reason, reason=text, presented_at=presented_at,
                                   expires_at=expires_at, offline=offline)
    return VerificationOutcome(
        valid=valid, reason_code=reason, reason=text, license=row,
        status=effective_status(row, today=local_today(moment)), disclosed=_fields_claim(claims.get("fields")),
        presented_at=presented_at, expires_at=expires_at, offline=offline,
    )


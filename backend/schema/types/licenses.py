"""GraphQL types of e-licenses, presentations and verifications. A License is built from a row
whose type and case were fetched with it (one query for a whole list)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from backend.models import ELicense, LicenseVerification as LicenseVerificationModel
from backend.models import licenses as m
from backend.schema.types.catalog import PageInfo
from backend.services.licenses import registry as service
from backend.services.licenses.presentation import Presentation, VerificationOutcome

LicenseStatus = strawberry.enum(
    m.LicenseStatus, description="证照状态; statusCode/statusLabel carry the code table (docs/LICENSES.md)")
LicenseHolderKind = strawberry.enum(m.HolderKind, name="LicenseHolderKind", description="持证主体: 个人 / 企业")
VerificationReason = strawberry.enum(m.VerificationReason, description="核验结果: VALID, or why not")


@strawberry.type(description="证照的一项信息; personal numbers are masked in value")
class LicenseField:
    key: str
    label: str
    value: str

    @classmethod
    def from_data(cls, field: service.LicenseFieldData) -> LicenseField:
        return cls(key=field.key, label=field.label, value=field.value)


@strawberry.type(description="电子证照")
class License:
    id: strawberry.ID
    identifier: str = strawberry.field(description="电子证照标识 (GB/T 36904), with its MOD 37,36 check character")
    type_code: str = strawberry.field(description="License type code, e.g. RESIDENT_ID")
    type_name: str
    holder_kind: LicenseHolderKind
    holder_name: str
    issuer_name: str
    issuer_uscc: str
    issued_on: date
    valid_from: date
    valid_until: date | None = strawberry.field(description="null: valid indefinitely (长期)")
    status: LicenseStatus = strawberry.field(description="As of today: a valid license past its last day is EXPIRED")
    status_code: str
    status_label: str
    status_reason: str | None = strawberry.field(description="Why the issuer changed the status, if it did")
    status_changed_at: datetime | None
    fields: list[LicenseField] = strawberry.field(
        description="Everything a presentation may disclose, in order; each key is a valid `disclose` value")
    default_disclose: list[str] = strawberry.field(description="The keys disclosed when `disclose` is null")
    template: str = strawberry.field(description="Card template the PWA renders the license with")
    case_number: str | None = strawberry.field(description="The case whose approval issued it")
    next_statuses: list[LicenseStatus] = strawberry.field(
        description="What the issuing department may change the status to (changeLicenseStatus)")

    @classmethod
    def from_model(cls, row: ELicense, *, today: date) -> License:
        status = service.effective_status(row, today=today)
        fields = [LicenseField.from_data(f) for f in service.presentable_fields(row)]
        return cls(
            id=strawberry.ID(str(row.id)), identifier=row.identifier, type_code=row.license_type.code,
            type_name=row.license_type.name, holder_kind=service.holder_kind(row), holder_name=row.holder_name,
            issuer_name=row.issuer_name, issuer_uscc=row.issuer_uscc, issued_on=row.issued_on or row.valid_from,
            valid_from=row.valid_from, valid_until=row.valid_until, status=status, status_code=status.code,
            status_label=status.label, status_reason=row.status_reason, status_changed_at=row.status_changed_at,
            fields=fields, default_disclose=[f.key for f in fields if f.key in service.DEFAULT_DISCLOSURE],
            template=row.template, case_number=row.case.number if row.case else None,
            next_statuses=[s for s in m.LicenseStatus if s in service.STATUS_CHANGES.get(status, frozenset())],
        )


@strawberry.type
class LicenseEdge:
    cursor: str
    node: License


@strawberry.type
class LicenseConnection:
    edges: list[LicenseEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="亮证码: a signed token, its QR code (of verifyUrl) and when it expires")
class LicensePresentation:
    token: str
    qr_svg: str
    expires_at: datetime
    verify_url: str
    offline: bool = strawberry.field(description="An offline code: valid about 24 h, marked as not live")

    @classmethod
    def from_data(cls, data: Presentation) -> LicensePresentation:
        return cls(token=data.token, qr_svg=data.qr_svg, expires_at=data.expires_at, verify_url=data.verify_url,
                   offline=data.offline)


@strawberry.type(description="核验结果. License details appear only when the token is authentic and current")
class VerificationResult:
    valid: bool
    reason: str
    reason_code: VerificationReason
    issued_by: str | None
    license_type: str | None
    identifier: str | None
    status: LicenseStatus | None
    status_label: str | None
    disclosed_fields: list[LicenseField]
    presented_at: datetime | None
    expires_at: datetime | None
    offline: bool

    @classmethod
    def from_data(cls, outcome: VerificationOutcome) -> VerificationResult:
        row = outcome.license
        return cls(
            valid=outcome.valid, reason=outcome.reason, reason_code=outcome.reason_code,
            issued_by=row.issuer_name if row else None, license_type=row.license_type.name if row else None,
            identifier=row.identifier if row else None, status=outcome.status,
            status_label=outcome.status.label if outcome.status else None,
            disclosed_fields=[LicenseField.from_data(f) for f in outcome.disclosed],
            presented_at=outcome.presented_at, expires_at=outcome.expires_at, offline=outcome.offline,
        )


@strawberry.type(description="一次核验记录")
class LicenseVerification:
    id: strawberry.ID
    license_id: strawberry.ID
    license_type_name: str
    verified_at: datetime
    verifier: str = strawberry.field(description="匿名核验, the staff member's department and name, or a masked name")
    valid: bool
    reason: str
    reason_code: VerificationReason
    offline: bool

    @classmethod
    def from_model(cls, row: LicenseVerificationModel) -> LicenseVerification:
        return cls(
            id=strawberry.ID(str(row.id)), license_id=strawberry.ID(str(row.license_id)),
            license_type_name=row.license.license_type.name, verified_at=row.verified_at,
            verifier=row.verifier_label, valid=row.valid, reason=row.reason, reason_code=row.reason_code,
            offline=row.offline,
        )


@strawberry.type
class LicenseVerificationEdge:
    cursor: str
    node: LicenseVerification


@strawberry.type
class LicenseVerificationConnection:
    edges: list[LicenseVerificationEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class LicenseStatusChanged:
    license: License


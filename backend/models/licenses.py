"""E-licenses (电子证照): the issued licenses, who issues them, which items issue which type, and
every verification of a presented license (亮证核验). See docs/LICENSES.md."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class LicenseStatus(StrEnum):
    """证照状态, with the two-digit status code carried in data exchange and its label.
    One table: `LICENSE_STATUS_TABLE` below (docs/LICENSES.md explains the choice of codes)."""

    VALID = "VALID"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    VOIDED = "VOIDED"  # 作废: issued in error, or replaced by a later version

    @property
    def code(self) -> str:
        return LICENSE_STATUS_TABLE[self][0]

    @property
    def label(self) -> str:
        return LICENSE_STATUS_TABLE[self][1]

    @property
    def is_final(self) -> bool:
        """No way back: a revoked, cancelled or voided license is never valid again."""
        return self in (LicenseStatus.REVOKED, LicenseStatus.CANCELLED, LicenseStatus.VOIDED)


LICENSE_STATUS_TABLE: dict[LicenseStatus, tuple[str, str]] = {
    LicenseStatus.VALID: ("01", "正常"),
    LicenseStatus.CANCELLED: ("02", "注销"),
    LicenseStatus.REVOKED: ("03", "吊销（撤销）"),
    LicenseStatus.SUSPENDED: ("04", "暂扣（挂起）"),
    LicenseStatus.EXPIRED: ("05", "过期"),
    LicenseStatus.VOIDED: ("07", "作废"),
}


class HolderKind(StrEnum):
    PERSON = "PERSON"
    ENTERPRISE = "ENTERPRISE"


class VerificationReason(StrEnum):
    """The outcome of verifying a presentation: VALID, or why not."""

    VALID = "VALID"
    MALFORMED = "MALFORMED"
    TAMPERED = "TAMPERED"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    EXPIRED = "EXPIRED"  # the presentation (the QR code), not the license
    LICENSE_NOT_FOUND = "LICENSE_NOT_FOUND"
    LICENSE_SUSPENDED = "LICENSE_SUSPENDED"
    LICENSE_REVOKED = "LICENSE_REVOKED"
    LICENSE_CANCELLED = "LICENSE_CANCELLED"
    LICENSE_EXPIRED = "LICENSE_EXPIRED"
    LICENSE_VOIDED = "LICENSE_VOIDED"
    LICENSE_NOT_YET_VALID = "LICENSE_NOT_YET_VALID"


class LicenseIssuer(Model):
    """A department as the issuer of e-licenses.

    Its official name is printed on its licenses, and its unified social credit code goes into
    every identifier it issues."""

    id = fields.IntField(primary_key=True)
    department: fields.OneToOneRelation = fields.OneToOneField(
        "models.Department", related_name="license_issuer", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    uscc = fields.CharField(max_length=18, unique=True)

    class Meta:
        table = "license_issuer"


class ItemLicense(Model):
    """A service item whose approval issues an e-license of this type (Art. 18)."""

    id = fields.IntField(primary_key=True)
    item: fields.OneToOneRelation = fields.OneToOneField(
        "models.ServiceItem", related_name="issued_license", on_delete=fields.CASCADE
    )
    license_type: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.LicenseType", related_name="issuing_items", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "item_license"


class ELicense(Model):
    """One issued e-license.

    Holder, issuer and fields are kept as printed when it was issued (a renamed department
    does not change licenses already out); personal numbers among the fields are stored
    masked — the full numbers live only encrypted on the person's row."""

    id = fields.IntField(primary_key=True)
    identifier = fields.CharField(max_length=128, unique=True)
    license_type: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.LicenseType", related_name="licenses", on_delete=fields.RESTRICT
    )
    holder_user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="licenses", null=True, on_delete=fields.CASCADE, db_index=True
    )
    holder_enterprise: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Enterprise", related_name="licenses", null=True, on_delete=fields.CASCADE, db_index=True
    )
    holder_name = fields.CharField(max_length=200, default="")
    issuer_department: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Department", related_name="issued_licenses", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    issuer_name = fields.CharField(max_length=100, default="")
    issuer_uscc = fields.CharField(max_length=18, default="")
    serial = fields.CharField(max_length=24, default="")
    version = fields.IntField(default=1)
    fields_json = fields.JSONField(default=list)  # [{"key", "label", "value"}] as printed
    template = fields.CharField(max_length=40, default="certificate")
    case: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Case", related_name="licenses", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    status = fields.CharEnumField(LicenseStatus, max_length=16, default=LicenseStatus.VALID)
    status_changed_at = fields.DatetimeField(null=True)
    status_reason = fields.CharField(max_length=200, null=True)
    status_changed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="license_status_changes", null=True, on_delete=fields.SET_NULL
    )
    issued_on = fields.DateField(null=True)  # as printed; None for rows made before it existed
    valid_from = fields.DateField()
    valid_until = fields.DateField(null=True)  # None: valid indefinitely (长期)
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "e_license"


class LicenseVerification(Model):
    """One verification of a presented e-license (亮证核验).

    Only presentations whose signature verified are recorded (then the license is known);
    garbage sent by anyone is answered, not stored."""

    id = fields.BigIntField(primary_key=True)
    license: fields.ForeignKeyRelation[ELicense] = fields.ForeignKeyField(
        "models.ELicense", related_name="verifications", on_delete=fields.CASCADE, db_index=True
    )
    verifier: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="license_verifications", null=True, on_delete=fields.SET_NULL
    )
    verifier_label = fields.CharField(max_length=100)
    valid = fields.BooleanField()
    reason_code = fields.CharEnumField(VerificationReason, max_length=32)
    reason = fields.CharField(max_length=200)
    token_id = fields.CharField(max_length=64)  # the presentation's jti
    offline = fields.BooleanField(default=False)
    presented_at = fields.DatetimeField(null=True)
    verified_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "license_verification"
        ordering = ["-verified_at", "-id"]

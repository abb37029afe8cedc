"""Issued e-licenses (电子证照), as far as applying needs them: whose, which type, and whether
they count today. The e-license issue adds identifiers' rendering, presentation and verification."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class LicenseStatus(StrEnum):
    VALID = "VALID"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class ELicense(Model):
    id = fields.IntField(primary_key=True)
    identifier = fields.CharField(max_length=128, unique=True)
    license_type: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.LicenseType", related_name="licenses", on_delete=fields.RESTRICT
    )
    holder_user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="licenses", null=True, on_delete=fields.CASCADE
    )
    holder_enterprise: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Enterprise", related_name="licenses", null=True, on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(LicenseStatus, max_length=16, default=LicenseStatus.VALID)
    valid_from = fields.DateField()
    valid_until = fields.DateField(null=True)  # None: valid indefinitely (长期)
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "e_license"

"""People, enterprises and who may act for whom (统一身份认证, 一人一档, 一企一档)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    STAFF = "STAFF"  # window staff of a department
    SUPERVISOR = "SUPERVISOR"  # electronic supervision (电子监察)


class MembershipRole(StrEnum):
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    AGENT = "AGENT"


class User(Model):
    """A person, keyed by the identity provider's `sub`. ID and phone numbers are stored only
    encrypted, with blind indexes for lookups (see backend/services/identity/privacy.py)."""

    id = fields.IntField(primary_key=True)
    sub = fields.CharField(max_length=255, unique=True)
    name = fields.CharField(max_length=100)
    id_number_enc = fields.TextField(null=True)
    id_number_index = fields.CharField(max_length=64, null=True, db_index=True)
    phone_enc = fields.TextField(null=True)
    phone_index = fields.CharField(max_length=64, null=True, db_index=True)
    roles = fields.JSONField(default=list)
    department: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Department", related_name="staff", null=True, on_delete=fields.SET_NULL
    )
    claims_hash = fields.CharField(max_length=64, default="")
    # 长辈模式 chosen on the account (None: never chosen; the device's choice stands).
    elder_mode = fields.BooleanField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "app_user"


class Enterprise(Model):
    id = fields.IntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "enterprise"


class Membership(Model):
    """A person's standing in an enterprise, as the identity provider asserts it."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "models.Enterprise", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(MembershipRole, max_length=24)

    class Meta:
        table = "membership"
        unique_together = (("user", "enterprise"),)


class AgentAuthority(Model):
    """What the legal representative lets an agent do for the enterprise, and until when."""

    id = fields.IntField(primary_key=True)
    membership: fields.ForeignKeyRelation[Membership] = fields.ForeignKeyField(
        "models.Membership", related_name="authorities", on_delete=fields.CASCADE
    )
    granted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="granted_authorities", on_delete=fields.RESTRICT
    )
    scope = fields.JSONField()  # item codes, or ["*"] for every item
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "agent_authority"


class DataAccessLog(Model):
    """Every read of someone's sensitive data: who, whose, what, when, and the outcome."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="data_reads", null=True, on_delete=fields.SET_NULL
    )
    subject: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="data_access_log", on_delete=fields.CASCADE
    )
    what = fields.CharField(max_length=40)
    purpose = fields.CharField(max_length=80)
    outcome = fields.CharField(max_length=16)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "data_access_log"
        ordering = ["-at", "-id"]

"""帮办代办: a person asks a hall to call them back (issue 14). The request waits in the hall
staff's queue until someone has called (已回电) or could not reach them (无法联系).

The phone to call is personal data: stored only sealed (backend/services/identity/privacy.py),
shown to the person masked and to the hall's staff whole, each staff read audited.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CallbackStatus(StrEnum):
    PENDING = "PENDING"
    CALLED = "CALLED"
    UNREACHABLE = "UNREACHABLE"

    @property
    def label(self) -> str:
        return CALLBACK_STATUS_LABELS[self]


CALLBACK_STATUS_LABELS = {
    CallbackStatus.PENDING: "待回电",
    CallbackStatus.CALLED: "已回电",
    CallbackStatus.UNREACHABLE: "无法联系",
}


class CallbackRequest(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="callback_requests", on_delete=fields.CASCADE
    )
    hall: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="callback_requests", on_delete=fields.CASCADE
    )
    item: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="callback_requests", null=True, on_delete=fields.SET_NULL
    )
    phone_enc = fields.TextField()  # PiiVault ciphertext, purpose "callback_phone"
    note = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(CallbackStatus, max_length=16, default=CallbackStatus.PENDING, db_index=True)
    # "user:hall" while PENDING, else NULL: the unique index is the one-open-request-per-hall rule.
    open_key = fields.CharField(max_length=32, null=True, unique=True)
    handled_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="callbacks_handled", null=True, on_delete=fields.SET_NULL
    )
    handled_at = fields.DatetimeField(null=True)
    outcome_note = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "callback_request"
        indexes = (("hall_id", "status"),)

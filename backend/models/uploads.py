"""Uploaded files: the bytes live on disk under their SHA-256, the row says whose they are."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Upload(Model):
    id = fields.UUIDField(primary_key=True)
    owner: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="uploads", on_delete=fields.CASCADE
    )
    case_material: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.CaseMaterial", related_name="files", null=True, on_delete=fields.SET_NULL
    )
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "upload"
        ordering = ["created_at", "id"]

"""Small key/value facts about the database itself (e.g. which seed version it holds)."""

from tortoise import fields
from tortoise.models import Model


class AppMeta(Model):
    key = fields.CharField(max_length=64, primary_key=True)
    value = fields.TextField()

    class Meta:
        table = "app_meta"

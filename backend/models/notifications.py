"""Notifications: the inbox every person has (站内信), their preferences, their devices' push
subscriptions, and the record of every push attempt.

The inbox row is the truth: it is written in the same transaction as the case event that
caused it, so it always arrives. Web push is the fast path on top (see the top-level `notifications` package).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NotificationKind(StrEnum):
    CASE_ACCEPTED = "CASE_ACCEPTED"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"
    CASE_APPROVED = "CASE_APPROVED"
    CASE_REJECTED = "CASE_REJECTED"
    CASE_DELIVERED = "CASE_DELIVERED"
    CASE_TERMINATED = "CASE_TERMINATED"
    CASE_OVERDUE = "CASE_OVERDUE"  # the department's apology that a case ran past its promise
    BOOKING_REMINDER = "BOOKING_REMINDER"
    RATING_INVITATION = "RATING_INVITATION"
    LICENSE_ISSUED = "LICENSE_ISSUED"
    CASE_SUBMITTED = "CASE_SUBMITTED"  # the applicant's own receipt: the application reached the department
    RECTIFICATION_PROGRESS = "RECTIFICATION_PROGRESS"  # 差评整改: each step of the ticket
    RATING_RETURN_VISIT = "RATING_RETURN_VISIT"  # 整改回访: asks the person again
    BOOKING_CHANGED = "BOOKING_CHANGED"  # a hall closure cancelled it, or booking was suspended
    CALLBACK_HANDLED = "CALLBACK_HANDLED"  # 帮办代办: the hall called back, or could not reach the person

    @property
    def label(self) -> str:
        return NOTIFICATION_KIND_LABELS[self]


NOTIFICATION_KIND_LABELS = {
    NotificationKind.CASE_ACCEPTED: "办件已受理",
    NotificationKind.SUPPLEMENT_REQUESTED: "需要补正材料",
    NotificationKind.CASE_APPROVED: "审批通过",
    NotificationKind.CASE_REJECTED: "不予批准",
    NotificationKind.CASE_DELIVERED: "结果已送达",
    NotificationKind.CASE_TERMINATED: "办件终止",
    NotificationKind.CASE_OVERDUE: "超期致歉",
    NotificationKind.BOOKING_REMINDER: "预约提醒",
    NotificationKind.RATING_INVITATION: "邀请评价",
    NotificationKind.LICENSE_ISSUED: "电子证照已签发",
    NotificationKind.CASE_SUBMITTED: "申请已提交",
    NotificationKind.RECTIFICATION_PROGRESS: "差评整改进展",
    NotificationKind.RATING_RETURN_VISIT: "整改回访",
    NotificationKind.BOOKING_CHANGED: "预约变更",
    NotificationKind.CALLBACK_HANDLED: "帮办回电",
}


class PushState(StrEnum):
    PENDING = "PENDING"  # created, not yet tried to the end
    SENT = "SENT"  # the push service accepted it (201)
    EXPIRED = "EXPIRED"  # the subscription is gone (404/410); it was deleted
    FAILED = "FAILED"  # retries exhausted, or an answer that retrying cannot fix


class Notification(Model):
    # BigInt, like case events: the id is the subscription cursor.
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    title = fields.CharField(max_length=64)
    body = fields.CharField(max_length=500)
    link = fields.CharField(max_length=200)  # a path inside the PWA, e.g. /cases/ZSB-20261122-000001
    case: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Case", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    # The cause, so a retried writer never notifies twice: e.g. "case-event:123".
    source = fields.CharField(max_length=64, unique=True)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Outbox for web push: a dispatcher claims the row once push_after has come (quiet hours
    # move it to their end) by writing its claim token; None: nothing left to push.
    push_after = fields.DatetimeField(null=True, db_index=True)
    push_claim = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "notification"
        indexes = (("user_id", "read_at"),)


class NotificationPreferences(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "models.User", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    push_kinds = fields.JSONField(default=list)  # NotificationKind values that go to push
    # Quiet hours as minutes after local (China) midnight; both set or neither. Minutes, not
    # TimeField: a wall-clock time has no time zone, and tortoise's TimeField wants one.
    quiet_start = fields.SmallIntField(null=True)
    quiet_end = fields.SmallIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_preferences"


class PushSubscription(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    endpoint = fields.CharField(max_length=1000)
    endpoint_hash = fields.CharField(max_length=64, unique=True)  # sha256 of the endpoint: indexable
    p256dh = fields.CharField(max_length=100)
    auth = fields.CharField(max_length=40)
    device_label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_success_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_subscription"


class PushDelivery(Model):
    """One notification to one device. Unique per pair: a job run twice sends once."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    # Kept after the subscription is deleted (404/410), so the record of EXPIRED stays.
    subscription: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.PushSubscription", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    subscription_key = fields.CharField(max_length=64)  # the endpoint hash: the pair's identity
    state = fields.CharEnumField(PushState, max_length=16, default=PushState.PENDING)
    attempts = fields.IntField(default=0)
    # Every attempt: [{"at": iso, "status": 201 | null, "outcome": "sent" | "retry" | ...}]
    log = fields.JSONField(default=list)
    # A job works on the delivery only while it holds the lease: a job kicked twice (or
    # re-kicked by the sweeper) never sends in parallel with itself.
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_delivery"
        unique_together = (("notification_id", "subscription_key"),)

"""Cases (办件): one application by one applicant for one item, its materials and its events.

The event table is the truth about progress: every state change writes its event in the same
transaction, and live delivery replays from it (see backend/services/cases/feed.py).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CaseStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"
    ACCEPTED = "ACCEPTED"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DELIVERED = "DELIVERED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"

    @property
    def label(self) -> str:
        return CASE_STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in (CaseStatus.REJECTED, CaseStatus.DELIVERED, CaseStatus.TERMINATED, CaseStatus.WITHDRAWN)


CASE_STATUS_LABELS = {
    CaseStatus.SUBMITTED: "已提交",
    CaseStatus.SUPPLEMENT_REQUESTED: "待补正",
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.UNDER_REVIEW: "审查中",
    CaseStatus.APPROVED: "已批准",
    CaseStatus.REJECTED: "不予批准",
    CaseStatus.DELIVERED: "已送达",
    CaseStatus.TERMINATED: "已终止",
    CaseStatus.WITHDRAWN: "已撤回",
}


class CaseEventKind(StrEnum):
    SUBMITTED = "SUBMITTED"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"
    SUPPLEMENTED = "SUPPLEMENTED"
    ACCEPTED = "ACCEPTED"
    REVIEW_STARTED = "REVIEW_STARTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DELIVERED = "DELIVERED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    DUE_SOON = "DUE_SOON"  # 电子监察 warning before the promised limit
    OVERDUE = "OVERDUE"
    OVERDUE_EXPLAINED = "OVERDUE_EXPLAINED"
    BOOKED = "BOOKED"  # a hall visit booked for the case (backend/services/bookings)
    BOOKING_CHECKED_IN = "BOOKING_CHECKED_IN"

    @property
    def label(self) -> str:
        return CASE_EVENT_LABELS[self]


CASE_EVENT_LABELS = {
    CaseEventKind.SUBMITTED: "提交申请",
    CaseEventKind.SUPPLEMENT_REQUESTED: "要求补正材料",
    CaseEventKind.SUPPLEMENTED: "已补正材料",
    CaseEventKind.ACCEPTED: "已受理",
    CaseEventKind.REVIEW_STARTED: "开始审查",
    CaseEventKind.APPROVED: "审批通过",
    CaseEventKind.REJECTED: "不予批准",
    CaseEventKind.DELIVERED: "结果已送达",
    CaseEventKind.TERMINATED: "办件终止",
    CaseEventKind.WITHDRAWN: "申请人撤回",
    CaseEventKind.DUE_SOON: "即将到期预警",
    CaseEventKind.OVERDUE: "已超期",
    CaseEventKind.OVERDUE_EXPLAINED: "超期原因说明",
    CaseEventKind.BOOKED: "已预约到厅办理",
    CaseEventKind.BOOKING_CHECKED_IN: "预约已签到",
}


class DeliveryMethod(StrEnum):
    WINDOW = "WINDOW"
    ELECTRONIC = "ELECTRONIC"
    MAIL = "MAIL"

    @property
    def label(self) -> str:
        return {DeliveryMethod.WINDOW: "窗口领取", DeliveryMethod.ELECTRONIC: "电子送达", DeliveryMethod.MAIL: "邮寄送达"}[self]


class MaterialProvision(StrEnum):
    UPLOAD = "UPLOAD"
    FIELDS = "FIELDS"
    LICENSE = "LICENSE"  # 免证办: proven by the applicant's e-license
    DEFERRED = "DEFERRED"  # 容缺: promised for later


class Case(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    applicant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="cases", on_delete=fields.RESTRICT
    )
    enterprise: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Enterprise", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    item: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="cases", on_delete=fields.RESTRICT
    )
    # Copied from the item when submitted: the staff queue and supervision filter on it.
    department: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Department", related_name="cases", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(CaseStatus, max_length=24, db_index=True)
    # Set when the supplement request was made: where a supplied case goes back to.
    resume_status = fields.CharEnumField(CaseStatus, max_length=24, null=True)
    idempotency_key = fields.CharField(max_length=64)
    deficiency_promise = fields.TextField(null=True)
    supplement_note = fields.TextField(null=True)
    supplement_deadline = fields.DateField(null=True)
    submitted_at = fields.DatetimeField(auto_now_add=True)
    accepted_at = fields.DatetimeField(null=True)
    accepted_on = fields.DateField(null=True)  # the working-day clock counts from this date
    promised_days = fields.IntField(default=0)
    statutory_days = fields.IntField(default=0)
    promised_due = fields.DateField(null=True, db_index=True)
    statutory_due = fields.DateField(null=True)
    paused_on = fields.DateField(null=True)  # clock stopped (supplement after acceptance)
    paused_working_days = fields.IntField(default=0)
    warned_at = fields.DatetimeField(null=True)
    overdue_at = fields.DatetimeField(null=True)
    overdue_reason = fields.TextField(null=True)
    decision_reason = fields.TextField(null=True)
    delivery_method = fields.CharEnumField(DeliveryMethod, max_length=16, null=True)
    tracking_number = fields.CharField(max_length=40, null=True)
    completed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "service_case"
        unique_together = (("applicant", "idempotency_key"),)


class CaseMaterial(Model):
    """How one material of the guide was provided for a case (or that it is still owed)."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="materials", on_delete=fields.CASCADE
    )
    material: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Material", related_name="case_materials", null=True, on_delete=fields.SET_NULL
    )
    position = fields.IntField()
    name = fields.CharField(max_length=200)  # as the guide named it when applied
    required = fields.BooleanField()
    provision = fields.CharEnumField(MaterialProvision, max_length=16, null=True)
    fields_json = fields.JSONField(default=list)  # [{"name", "value"}] for FIELDS
    license: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ELicense", related_name="case_materials", null=True, on_delete=fields.SET_NULL
    )
    outstanding = fields.BooleanField(default=False)  # owed: deferred, or asked for by staff
    supplied_at = fields.DatetimeField(null=True)

    class Meta:
        table = "case_material"
        ordering = ["position", "id"]


class CaseEvent(Model):
    """One step in a case's life. Ids are the feed's cursor: events are inserted under a lock
    (see backend/services/insert_order.py) so that they commit in id order and a reader never skips one."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="events", on_delete=fields.CASCADE
    )
    # Copied from the case: who may see the event, without a join.
    applicant_id = fields.IntField(db_index=True)
    enterprise_id = fields.IntField(null=True, db_index=True)
    department_id = fields.IntField(db_index=True)
    kind = fields.CharEnumField(CaseEventKind, max_length=24)
    status = fields.CharEnumField(CaseStatus, max_length=24)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="case_events", null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=100)
    note = fields.TextField(default="")
    data = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "case_event"
        ordering = ["id"]

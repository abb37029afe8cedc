"""好差评: ratings of services, the one-tap tokens that let a push notification record one, and
the rectification tickets (差评整改) every bad rating opens.

A rating targets one rated thing, named by `target_key` ("case:42", or "booking:7" for a hall
visit: a checked-in booking): the unique pair (rater, target_key) is the "one rating per rated
thing per person" rule, enforced by the database under concurrency. `case` and `booking_id` are
nullable so either kind of target fits the same table.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RatingLevel(StrEnum):
    """The national five-level scale (好差评), best first."""

    VERY_SATISFIED = "VERY_SATISFIED"
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    UNSATISFIED = "UNSATISFIED"
    VERY_UNSATISFIED = "VERY_UNSATISFIED"


class RatingTargetKind(StrEnum):
    CASE = "CASE"
    HALL_VISIT = "HALL_VISIT"  # a checked-in booking (services/ratings/visit.py)


class RatingChannel(StrEnum):
    APP = "APP"  # the rating sheet or the one-tap row in the PWA
    PUSH = "PUSH"  # an action button on the push notification (rating token)


class Rating(Model):
    id = fields.IntField(primary_key=True)
    rater: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="ratings", on_delete=fields.RESTRICT
    )
    target_kind = fields.CharEnumField(RatingTargetKind, max_length=16)
    target_key = fields.CharField(max_length=40)  # "case:<id>" | "booking:<id>"
    case: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Case", related_name="ratings", null=True, on_delete=fields.RESTRICT
    )
    # The booking of a HALL_VISIT rating. A plain column: a rating outlives a booking row, and
    # target_key, not this, carries the one-per-person rule.
    booking_id = fields.IntField(null=True)
    # Copied from the target when rated: reports group by them without joins.
    department: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Department", related_name="ratings", on_delete=fields.RESTRICT
    )
    item: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="ratings", null=True, on_delete=fields.RESTRICT
    )
    hall: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="ratings", null=True, on_delete=fields.RESTRICT
    )
    level = fields.CharEnumField(RatingLevel, max_length=24)
    reasons = fields.JSONField(default=list)  # reason chip codes, see services/ratings/levels.py
    comment = fields.TextField(default="")
    channel = fields.CharEnumField(RatingChannel, max_length=8)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "rating"
        unique_together = (("rater_id", "target_key"),)
        indexes = (("item_id", "created_at"),)


class RatingTokenPurpose(StrEnum):
    RATE = "RATE"  # the rating invitation: records the rating
    RETURN_VISIT = "RETURN_VISIT"  # the return visit after rectification: records the second answer


class RatingToken(Model):
    """A single-use, short-lived authorisation carried in one push. Only its SHA-256 is kept."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharEnumField(RatingTokenPurpose, max_length=16)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="rating_tokens", on_delete=fields.CASCADE
    )
    case: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Case", related_name="rating_tokens", on_delete=fields.CASCADE
    )
    ticket: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.RectificationTicket", related_name="tokens", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "rating_token"


class TicketState(StrEnum):
    OPEN = "OPEN"
    VERIFIED = "VERIFIED"
    RECTIFIED = "RECTIFIED"
    VISITED = "VISITED"
    CLOSED = "CLOSED"


class TicketStage(StrEnum):
    """The step whose deadline is running (电子监察 warns and flags per stage, once)."""

    VERIFY = "VERIFY"
    RECTIFY = "RECTIFY"
    VISIT = "VISIT"
    SUPERVISOR = "SUPERVISOR"  # waiting for the supervisor; no deadline
    NONE = "NONE"  # closed


class RectificationTicket(Model):
    id = fields.IntField(primary_key=True)
    rating: fields.OneToOneRelation = fields.OneToOneField(
        "models.Rating", related_name="ticket", on_delete=fields.RESTRICT
    )
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="rectification_tickets", on_delete=fields.RESTRICT
    )
    case: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Case", related_name="rectification_tickets", null=True, on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Department", related_name="rectification_tickets", on_delete=fields.RESTRICT
    )
    item: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="rectification_tickets", null=True, on_delete=fields.RESTRICT
    )
    hall: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="rectification_tickets", null=True, on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(TicketState, max_length=16, db_index=True)
    stage = fields.CharEnumField(TicketStage, max_length=16)
    awaiting_supervisor = fields.BooleanField(default=False)
    found_true = fields.BooleanField(null=True)
    finding = fields.TextField(default="")
    rectification = fields.TextField(default="")
    visit_level = fields.CharEnumField(RatingLevel, max_length=24, null=True)
    visit_note = fields.TextField(default="")
    opened_on = fields.DateField(db_index=True)  # local (China) date of the bad rating
    verify_due = fields.DateField()
    rectify_due = fields.DateField(null=True)
    visit_due = fields.DateField(null=True)
    verified_on = fields.DateField(null=True)
    rectified_on = fields.DateField(null=True)
    visited_on = fields.DateField(null=True)
    closed_on = fields.DateField(null=True)
    # 电子监察: the stage last warned about / flagged overdue, so each happens once per stage.
    warned_stage = fields.CharEnumField(TicketStage, max_length=16, null=True)
    overdue_stage = fields.CharEnumField(TicketStage, max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "rectification_ticket"


class TicketAction(StrEnum):
    OPENED = "OPENED"
    VERIFIED = "VERIFIED"
    CONFIRMED = "CONFIRMED"  # the supervisor agreed with "not true" (or closed after a bad visit)
    OVERRULED = "OVERRULED"  # the supervisor found it true after all: rectify
    RECTIFIED = "RECTIFIED"
    VISIT_REQUESTED = "VISIT_REQUESTED"
    VISITED = "VISITED"
    CLOSED = "CLOSED"
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"


class TicketEntry(Model):
    """The ticket's history. Append-only: nothing updates or deletes these rows."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[RectificationTicket] = fields.ForeignKeyField(
        "models.RectificationTicket", related_name="entries", on_delete=fields.RESTRICT
    )
    action = fields.CharEnumField(TicketAction, max_length=16)
    state = fields.CharEnumField(TicketState, max_length=16)  # the state after the entry
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="ticket_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=100)
    note = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ticket_entry"
        ordering = ["id"]

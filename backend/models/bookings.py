"""Booking (预约) at service halls (Art. 16, 21; 002 §25): each hall's schedule, the items it
takes bookings for, its slots with their capacity, and the bookings themselves.

A slot row carries `booked`: taking a place is one conditional UPDATE (`booked < capacity`),
so capacity holds under any concurrency (see backend/services/bookings/booking.py).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class BookingStatus(StrEnum):
    BOOKED = "BOOKED"
    CHECKED_IN = "CHECKED_IN"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"

    @property
    def label(self) -> str:
        return BOOKING_STATUS_LABELS[self]


BOOKING_STATUS_LABELS = {
    BookingStatus.BOOKED: "已预约",
    BookingStatus.CHECKED_IN: "已签到",
    BookingStatus.CANCELLED: "已取消",
    BookingStatus.NO_SHOW: "未到（爽约）",
}


class HallSchedule(Model):
    """A hall's opening hours (minutes after local midnight), its extended-hours evenings
    (延时服务) and its weekend service days (Art. 21). Working days come from the calendar."""

    id = fields.IntField(primary_key=True)
    hall: fields.OneToOneRelation = fields.OneToOneField(
        "models.ServiceHall", related_name="schedule", on_delete=fields.CASCADE
    )
    open_minute = fields.SmallIntField()
    close_minute = fields.SmallIntField()
    lunch_start = fields.SmallIntField(null=True)  # both set or neither
    lunch_end = fields.SmallIntField(null=True)
    evening_weekdays = fields.JSONField(default=list)  # date.weekday() values with extended hours
    evening_close = fields.SmallIntField(null=True)
    weekend_days = fields.JSONField(default=list)  # 5, 6: Saturday/Sunday service (not on holidays)
    weekend_open = fields.SmallIntField(null=True)
    weekend_close = fields.SmallIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "hall_schedule"


class HallClosure(Model):
    """A day the hall is closed although the calendar says open: a local holiday, or an
    emergency (which cancels the day's bookings and tells every holder)."""

    id = fields.IntField(primary_key=True)
    hall: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="closures", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    reason = fields.CharField(max_length=200)
    emergency = fields.BooleanField(default=False)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="hall_closures", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hall_closure"
        unique_together = (("hall", "day"),)


class BookableItem(Model):
    """An item a hall takes bookings for: where (window/zone) and how (slot length, places)."""

    id = fields.IntField(primary_key=True)
    hall: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="bookable_items", on_delete=fields.CASCADE
    )
    item: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="bookable_at", on_delete=fields.CASCADE
    )
    window = fields.CharField(max_length=80)
    slot_minutes = fields.SmallIntField()
    capacity = fields.SmallIntField()
    active = fields.BooleanField(default=True)

    class Meta:
        table = "bookable_item"
        unique_together = (("hall", "item"),)


class BookingSlot(Model):
    """One time slot of one item at one hall. Rows are written when first shown (from the
    schedule), so a slot's id is stable and its `booked` count is the truth."""

    id = fields.IntField(primary_key=True)
    hall: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="slots", on_delete=fields.CASCADE
    )
    item: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="slots", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    start_minute = fields.SmallIntField()
    end_minute = fields.SmallIntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    capacity = fields.SmallIntField()
    booked = fields.SmallIntField(default=0)

    class Meta:
        table = "booking_slot"
        unique_together = (("hall", "item", "day", "start_minute"),)


class Booking(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=24, unique=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="bookings", on_delete=fields.CASCADE
    )
    enterprise: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Enterprise", related_name="bookings", null=True, on_delete=fields.SET_NULL
    )
    slot: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BookingSlot", related_name="bookings", on_delete=fields.RESTRICT
    )
    # Copied from the slot: lists and rules filter on them without a join.
    hall: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceHall", related_name="bookings", on_delete=fields.RESTRICT
    )
    item: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.ServiceItem", related_name="bookings", on_delete=fields.RESTRICT
    )
    day = fields.DateField(db_index=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(BookingStatus, max_length=16, default=BookingStatus.BOOKED, db_index=True)
    # "user:item:day" while BOOKED, else NULL: the unique index is the one-per-item-per-day rule.
    active_key = fields.CharField(max_length=48, null=True, unique=True)
    case: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Case", related_name="bookings", null=True, on_delete=fields.SET_NULL
    )
    cancel_reason = fields.CharField(max_length=200, null=True)
    checked_in_at = fields.DatetimeField(null=True)
    checked_in_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="booking_check_ins", null=True, on_delete=fields.SET_NULL
    )
    check_in_token = fields.CharField(max_length=32, null=True)  # jti of the code used: a replay is told apart
    # Reminders claimed (and so sent once): the day before, and an hour before. Reset on reschedule.
    reminded_day_at = fields.DatetimeField(null=True)
    reminded_hour_at = fields.DatetimeField(null=True)
    # The visit's rating invitation, claimed (and so sent once) after a checked-in slot ends.
    rating_invited_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "booking"
        indexes = (("user_id", "status"),)


class BookingSuspension(Model):
    """Online booking suspended after repeated no-shows. The person is told why and until when."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="booking_suspensions", on_delete=fields.CASCADE
    )
    until = fields.DatetimeField()
    reason = fields.CharField(max_length=200)
    # The no-show that caused it: the job run twice suspends once.
    cause: fields.OneToOneRelation = fields.OneToOneField(
        "models.Booking", related_name="suspension", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_suspension"

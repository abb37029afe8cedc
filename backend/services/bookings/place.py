"""The two statements a booking costs besides its transaction and the person's row lock, in raw
SQL because the ORM would spend a round trip per table (docs/BOOKINGS.md, "How a place is taken").

- `read_slot`: the slot with its item and hall, the hall's bookable-item row, schedule and
  closure for the slot's day, and the person's latest suspension: one SELECT of LEFT JOINs
  instead of five. The rows come back as model instances, so the checks in booking.py are the
  same Python as before.
- `take_place` (PostgreSQL): the limits check, the conditional `UPDATE booking_slot … booked <
  capacity` and the INSERT of the booking in one statement of CTEs. It runs under the person's
  row lock taken by the statement before it, so its snapshot already sees every booking of the
  person's that committed earlier (READ COMMITTED takes a snapshot per statement); the slot row's
  lock is taken last and held only until the COMMIT that follows at once. SQLite, which
  serialises writers anyway, keeps the ORM path in booking.py.

Every value is a bind parameter ($n on PostgreSQL, ?n on SQLite).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from backend.models import (
    BookableItem, Booking, BookingSlot, BookingSuspension, HallClosure, HallSchedule, ServiceHall, ServiceItem,
    User,
)
from backend.models.bookings import BookingStatus

_TABLES: tuple[tuple[str, type[Model]], ...] = (
    ("s", BookingSlot), ("i", ServiceItem), ("h", ServiceHall), ("b", BookableItem), ("sc", HallSchedule),
    ("c", HallClosure), ("su", BookingSuspension),
)


def _columns(alias: str, model: type[Model]) -> list[str]:
    return [f'{alias}."{column}" AS "{alias}__{column}"' for column in model._meta.fields_db_projection.values()]


@functools.cache
def _read_slot_sql() -> str:
    # Built on first use: the models' FK columns (hall_id, …) exist only once Tortoise is initialised.
    return f"""
SELECT {", ".join(c for alias, model in _TABLES for c in _columns(alias, model))}
FROM "{BookingSlot._meta.db_table}" s
JOIN "{ServiceItem._meta.db_table}" i ON i.id = s.item_id
JOIN "{ServiceHall._meta.db_table}" h ON h.id = s.hall_id
LEFT JOIN "{BookableItem._meta.db_table}" b ON b.hall_id = s.hall_id AND b.item_id = s.item_id AND b.active
LEFT JOIN "{HallSchedule._meta.db_table}" sc ON sc.hall_id = s.hall_id
LEFT JOIN "{HallClosure._meta.db_table}" c ON c.hall_id = s.hall_id AND c.day = s.day
LEFT JOIN "{BookingSuspension._meta.db_table}" su ON su.id = (
    SELECT x.id FROM "{BookingSuspension._meta.db_table}" x WHERE x.user_id = $2 ORDER BY x.until DESC LIMIT 1)
WHERE s.id = $1
"""


@dataclass(frozen=True)
class SlotRead:
    slot: BookingSlot  # .item and .hall set
    bookable: BookableItem | None
    schedule: HallSchedule | None
    closure: HallClosure | None
    latest_suspension: BookingSuspension | None  # the one lasting longest; the caller compares with now


def _connection() -> BaseDBAsyncClient:
    return BookingSlot._meta.db  # the models' connection (or the current transaction's)


def _is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def _sql(conn: BaseDBAsyncClient, text: str) -> str:
    return text if _is_postgres(conn) else re.sub(r"\$(\d+)", r"?\1", text)


def _instance(model: type[Model], alias: str, row: dict) -> Model | None:
    values = {column: row[f"{alias}__{column}"] for column in model._meta.fields_db_projection.values()}
    if values[model._meta.db_pk_column] is None:
        return None
    return model._init_from_db(**values)


async def read_slot(*, slot_id: int, user_id: int) -> SlotRead | None:
    conn = _connection()
    _count, rows = await conn.execute_query(_sql(conn, _read_slot_sql()), [slot_id, user_id])
    if not rows:
        return None
    row = dict(rows[0])
    slot = _instance(BookingSlot, "s", row)
    assert isinstance(slot, BookingSlot)
    slot.item, slot.hall = _instance(ServiceItem, "i", row), _instance(ServiceHall, "h", row)
    return SlotRead(slot=slot, bookable=_instance(BookableItem, "b", row), schedule=_instance(HallSchedule, "sc", row),
                    closure=_instance(HallClosure, "c", row), latest_suspension=_instance(BookingSuspension, "su", row))


async def lock_person(conn: BaseDBAsyncClient, *, user_id: int) -> None:
    """PostgreSQL: the person's row lock, without reading the row into a model."""
    await conn.execute_query(f'SELECT 1 FROM "{User._meta.db_table}" WHERE id = $1 FOR UPDATE', [user_id])


def takes_place_in_one_statement(conn: BaseDBAsyncClient) -> bool:
    return _is_postgres(conn)


_TAKE_PLACE = f"""
WITH active AS (
    SELECT count(*) AS held, coalesce(bool_or(item_id = $4 AND day = $5), false) AS same_day
    FROM "{Booking._meta.db_table}" WHERE user_id = $2 AND status = '{BookingStatus.BOOKED.value}'
), taken AS (
    UPDATE "{BookingSlot._meta.db_table}" SET booked = booked + 1
    WHERE id = $1 AND booked < capacity
      AND (SELECT held < $13 AND NOT same_day FROM active)
    RETURNING id
), made AS (
    INSERT INTO "{Booking._meta.db_table}" (number, user_id, enterprise_id, slot_id, hall_id, item_id, day,
        starts_at, ends_at, status, active_key, case_id, created_at, updated_at)
    SELECT $6, $2, $7, taken.id, $3, $4, $5, $8, $9, '{BookingStatus.BOOKED.value}', $10, $11, $12, $12
    FROM taken
    RETURNING id
)
SELECT active.held, active.same_day, (SELECT id FROM made) AS booking_id FROM active
"""


@dataclass(frozen=True)
class Taken:
    held: int  # the person's active bookings before this one
    same_day: bool  # one of them is for this item on this day
    booking_id: int | None  # None: nothing written (a limit, or the slot is full)


async def take_place(conn: BaseDBAsyncClient, *, booking: Booking, max_active: int,
                     at: datetime) -> Taken:
    """PostgreSQL, in the caller's transaction, after the person's row lock."""
    day: date = booking.day
    _count, rows = await conn.execute_query(_TAKE_PLACE, [
        booking.slot_id, booking.user_id, booking.hall_id, booking.item_id, day, booking.number,
        booking.enterprise_id, booking.starts_at, booking.ends_at, booking.active_key, booking.case_id, at,
        max_active])
    row = rows[0]
    return Taken(held=row["held"], same_day=row["same_day"], booking_id=row["booking_id"])

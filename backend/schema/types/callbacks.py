"""GraphQL types of 帮办代办 call-back requests: the person's own, the hall staff's queue rows,
and the typed errors of the two mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Info

from backend.models import CallbackRequest as CallbackModel
from backend.models import callbacks as m
from backend.schema.context import Context
from backend.schema.types.catalog import ServiceHall
from backend.schema.types.errors import ErrorCode
from backend.services.callbacks import service
from backend.services.identity.identifiers import mask_name

CallbackStatus = strawberry.enum(m.CallbackStatus, description="回电状态: 待回电, 已回电, 无法联系")


@strawberry.enum(description="回电结果")
class CallbackOutcome(Enum):
    CALLED = "CALLED"
    UNREACHABLE = "UNREACHABLE"


@strawberry.type(description="我的帮办代办（请大厅回电）请求")
class CallbackRequest:
    id: strawberry.ID
    status: CallbackStatus
    status_label: str
    hall: ServiceHall
    item_code: str | None
    item_name: str | None
    phone_masked: str = strawberry.field(description="回电号码 (138****1234)")
    note: str
    outcome_note: str | None = strawberry.field(description="工作人员的说明")
    created_at: datetime
    handled_at: datetime | None

    @classmethod
    def from_model(cls, row: CallbackModel, *, phone_masked: str) -> CallbackRequest:
        return cls(id=strawberry.ID(str(row.id)), status=row.status, status_label=row.status.label,
                   hall=ServiceHall.from_model(row.hall), item_code=row.item.code if row.item else None,
                   item_name=row.item.name if row.item else None, phone_masked=phone_masked, note=row.note,
                   outcome_note=row.outcome_note, created_at=row.created_at, handled_at=row.handled_at)


@strawberry.type(description="大厅回电队列中的一条请求 (staff): the person's name masked")
class HallCallbackRequest:
    id: strawberry.ID
    status: CallbackStatus
    status_label: str
    person_name: str
    phone_masked: str
    item_code: str | None
    item_name: str | None
    note: str
    outcome_note: str | None
    handled_by_name: str | None
    created_at: datetime
    handled_at: datetime | None
    _row: strawberry.Private[CallbackModel]

    @classmethod
    def from_model(cls, row: CallbackModel, *, phone_masked: str) -> HallCallbackRequest:
        return cls(id=strawberry.ID(str(row.id)), status=row.status, status_label=row.status.label,
                   person_name=mask_name(row.user.name), phone_masked=phone_masked,
                   item_code=row.item.code if row.item else None, item_name=row.item.name if row.item else None,
                   note=row.note, outcome_note=row.outcome_note,
                   handled_by_name=row.handled_by.name if row.handled_by else None, created_at=row.created_at,
                   handled_at=row.handled_at, _row=row)

    @strawberry.field(description="完整回电号码, while 待回电 only; each read is in the person's data access log")
    async def phone(self, info: Info[Context, None]) -> str | None:
        viewer = info.context.viewer
        assert viewer is not None  # the row came from a staff-only field
        return await service.phone_for_staff(actor=viewer, row=self._row, vault=info.context.identity.vault)


# ---- mutation results ---------------------------------------------------------------------


@strawberry.type
class CallbackRequested:
    request: CallbackRequest


@strawberry.type
class CallbackMarked:
    request: HallCallbackRequest


@strawberry.type(description="已有待回电的请求: 同一大厅一次一个, 同时最多几个")
class CallbackPendingError:
    code: ErrorCode
    message: str
    request_id: strawberry.ID | None = strawberry.field(description="The open request at the same hall")


@strawberry.type(description="该请求已处理，不能再次标记")
class CallbackNotOpenError:
    code: ErrorCode
    message: str
    status: CallbackStatus

"""帮办代办 resolvers: check input, call one service, map the result."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import Info

from backend.models import CallbackRequest as CallbackModel
from backend.models import ServiceHall, ServiceItem, User
from backend.models.callbacks import CallbackStatus
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import plain_text, record_id, record_key
from backend.schema.context import Context
from backend.schema.types import callbacks as t
from backend.schema.types import errors as e
from backend.services.callbacks import service


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


def _hall_id(raw: strawberry.ID, *, field: str = "hallId") -> int:
    found = record_id(raw, model=ServiceHall, field=field, message="大厅编号格式不正确")
    return found if found is not None else 0  # no hall has id 0: the service answers not-found


def _mine(info: Info[Context, None], row: CallbackModel) -> t.CallbackRequest:
    return t.CallbackRequest.from_model(row, phone_masked=service.masked_phone(row, vault=info.context.identity.vault))


def _queued(info: Info[Context, None], row: CallbackModel) -> t.HallCallbackRequest:
    masked = service.masked_phone(row, vault=info.context.identity.vault)
    return t.HallCallbackRequest.from_model(row, phone_masked=masked)


# ---- queries ------------------------------------------------------------------------------


@user_errors
async def my_callback_requests(info: Info[Context, None]) -> list[t.CallbackRequest]:
    return [_mine(info, row) for row in await service.my_requests(user=_viewer(info))]


@user_errors
async def hall_callback_requests(info: Info[Context, None], hall_id: strawberry.ID,
                                 status: t.CallbackStatus | None = None) -> list[t.HallCallbackRequest]:
    rows = await service.hall_queue(actor=_viewer(info), hall_id=_hall_id(hall_id),
                                    status=CallbackStatus(status.value) if status is not None else None)
    return [_queued(info, row) for row in rows]


# ---- mutations ----------------------------------------------------------------------------


@strawberry.input(description="请大厅回电 (帮办代办)")
class RequestCallbackInput:
    hall_id: strawberry.ID | None = strawberry.field(default=None, description="null: the item's hall, else the city hall")
    item_code: str | None = strawberry.field(default=None, description="The item the person needs help with")
    phone: str | None = strawberry.field(default=None, description="null: the account's phone")
    note: str = strawberry.field(default="", description="简短说明, at most 200 characters")


RequestCallbackResult = Annotated[t.CallbackRequested | t.CallbackPendingError | e.InputError | e.NotFoundError,
                                  strawberry.union("RequestCallbackResult")]
MarkCallbackDoneResult = Annotated[t.CallbackMarked | t.CallbackNotOpenError | e.InputError | e.NotFoundError,
                                   strawberry.union("MarkCallbackDoneResult")]


async def request_callback(info: Info[Context, None], input: RequestCallbackInput) -> RequestCallbackResult:
    item_code = None
    if input.item_code is not None and input.item_code.strip():
        # An over-long code names no item: "-" is looked up and not found, as an unknown code is.
        item_code = record_key(input.item_code, model=ServiceItem, column="code", field="itemCode",
                               message="事项编码格式不正确") or "-"
    ask = service.CallbackAsk(
        hall_id=_hall_id(input.hall_id) if input.hall_id is not None else None, item_code=item_code,
        phone=plain_text(input.phone, field="phone"), note=plain_text(input.note, field="note"))
    row = await service.request_callback(user=_viewer(info), ask=ask, vault=info.context.identity.vault)
    return t.CallbackRequested(request=_mine(info, row))


async def mark_callback_done(info: Info[Context, None], id: strawberry.ID, outcome: t.CallbackOutcome,
                             note: str = "") -> MarkCallbackDoneResult:
    found = record_id(id, model=CallbackModel, field="id", message="请求编号格式不正确")
    row = await service.mark_done(actor=_viewer(info), request_id=found or 0, outcome=CallbackStatus(outcome.value),
                                  note=plain_text(note, field="note"), bus=info.context.bus)
    return t.CallbackMarked(request=_queued(info, row))

"""帮办代办 requests: a person asks a hall to call them back; the hall's staff call, then mark
the request 已回电 or 无法联系, and the person is told in the inbox.

Who is hall staff is decided as for the hall's bookings (backend/services/bookings/staff.py):
window staff of a department stationed at the hall. They see the hall's requests that name no
item and those for their own department's items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import CallbackRequest, ServiceHall, ServiceItem, User
from backend.models.callbacks import CallbackStatus
from backend.models.catalog import HallLevel
from backend.models.notifications import NotificationKind
from backend.services.bookings.staff import department_items_at, hall_of
from backend.services.callbacks.errors import CallbackNotOpenError, CallbackPendingError
from backend.services.errors import NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.accounts import PHONE, log_access
from backend.services.identity.identifiers import check_phone, mask_numbers, mask_phone
from backend.services.identity.privacy import PiiVault
from backend.services.notifications.inbox import announce_notifications, notify

CALLBACK_PHONE = "callback_phone"  # the purpose the phone is sealed with (privacy.py)
MAX_NOTE = 200
MAX_OPEN = 3  # open requests a person may have at once, across halls
MINE_LIMIT = 50
QUEUE_LIMIT = 200
OUTCOMES = (CallbackStatus.CALLED, CallbackStatus.UNREACHABLE)


@dataclass(frozen=True)
class CallbackAsk:
    hall_id: int | None  # None: the item's first hall, else the city hall
    item_code: str | None
    phone: str | None  # None or blank: the phone the identity provider gave for the account
    note: str = ""


def _note(raw: str | None, *, field: str) -> str:
    text = (raw or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(field=field, message=f"留言不超过 {MAX_NOTE} 字，现在是 {len(text)} 字")
    # Staff read it and the person's inbox repeats it: no number is kept whole in free text.
    return mask_numbers(text)


async def _item(code: str | None) -> ServiceItem | None:
    if code is None or not code.strip():
        return None
    item = await ServiceItem.get_or_none(code=code.strip())
    if item is None:
        raise NotFoundError("事项不存在或已下线")
    return item


async def _hall(hall_id: int | None, item: ServiceItem | None) -> ServiceHall:
    if hall_id is not None:
        hall = await hall_of(hall_id)
        if item is not None and not await item.halls.filter(id=hall.id).exists():
            raise ValidationError(field="hallId", message=f"{hall.name}不办理“{item.name}”，请选择办理该事项的大厅")
        return hall
    if item is not None:
        first = await item.halls.all().order_by("sort_order", "id").first()
        if first is not None:
            return first
    city = await ServiceHall.filter(level=HallLevel.CITY).order_by("sort_order", "id").first()
    if city is None:
        raise NotFoundError("没有可以受理回电请求的服务大厅")
    return city


def _phone(raw: str | None, *, user: User, vault: PiiVault) -> str:
    if raw is not None and raw.strip():
        return check_phone(raw, field="phone")
    if user.phone_enc:
        return vault.decrypt(user.phone_enc, purpose=PHONE)
    raise ValidationError(field="phone", message="请填写回电的手机号码")


async def request_callback(*, user: User, ask: CallbackAsk, vault: PiiVault) -> CallbackRequest:
    item = await _item(ask.item_code)
    hall = await _hall(ask.hall_id, item)
    phone = _phone(ask.phone, user=user, vault=vault)
    note = _note(ask.note, field="note")
    existing = await CallbackRequest.get_or_none(user_id=user.id, hall_id=hall.id, status=CallbackStatus.PENDING)
    if existing is not None:
        raise CallbackPendingError(f"你已请{hall.name}回电，工作人员会尽快联系你，请勿重复申请",
                                   request_id=existing.id)
    if await CallbackRequest.filter(user_id=user.id, status=CallbackStatus.PENDING).count() >= MAX_OPEN:
        raise CallbackPendingError(f"你已有 {MAX_OPEN} 个待回电的请求，请等大厅回电后再申请", request_id=None)
    try:
        row = await CallbackRequest.create(user_id=user.id, hall_id=hall.id, item_id=item.id if item else None,
                                           phone_enc=vault.encrypt(phone, purpose=CALLBACK_PHONE), note=note,
                                           open_key=f"{user.id}:{hall.id}")
    except IntegrityError:  # the same request, sent twice at once: the other one is in
        again = await CallbackRequest.get_or_none(user_id=user.id, hall_id=hall.id, status=CallbackStatus.PENDING)
        raise CallbackPendingError(f"你已请{hall.name}回电，工作人员会尽快联系你，请勿重复申请",
                                   request_id=again.id if again else None) from None
    return await CallbackRequest.get(id=row.id).select_related("hall", "item")


async def my_requests(*, user: User) -> list[CallbackRequest]:
    return list(await CallbackRequest.filter(user_id=user.id).order_by("-created_at", "-id").limit(MINE_LIMIT)
                .select_related("hall", "item"))


def _handled_by_department(item_ids: list[int]) -> Q:
    return Q(item_id__isnull=True) | Q(item_id__in=item_ids)


async def hall_queue(*, actor: User, hall_id: int, status: CallbackStatus | None) -> list[CallbackRequest]:
    """The hall's requests the actor's department answers: open ones oldest first (first asked,
    first called), handled ones newest first."""
    try:
        items = await department_items_at(actor=actor, hall_id=hall_id)
    except NotPermittedError:  # its words are about bookings
        raise NotPermittedError("你所在部门未在该大厅设窗口，不能查看该大厅的回电请求") from None
    query = CallbackRequest.filter(_handled_by_department([i.id for i in items]), hall_id=hall_id)
    if status is not None:
        query = query.filter(status=status)
    order = ("created_at", "id") if status is CallbackStatus.PENDING else ("-created_at", "-id")
    return list(await query.order_by(*order).limit(QUEUE_LIMIT).select_related("hall", "item", "user", "handled_by"))


async def _visible_to_staff(*, actor: User, row: CallbackRequest) -> bool:
    try:
        items = await department_items_at(actor=actor, hall_id=row.hall_id)
    except (NotPermittedError, NotFoundError):
        return False
    return row.item_id is None or row.item_id in {i.id for i in items}


def _told(row: CallbackRequest, outcome: CallbackStatus, note: str) -> tuple[str, str]:
    hall = row.hall
    about = f"（事项：{row.item.name}）" if row.item else ""
    said = f"工作人员说明：{note}" if note else ""
    if outcome is CallbackStatus.CALLED:
        return "大厅已回电", f"{hall.name}工作人员已按你的帮办代办请求回电{about}。{said}"
    return ("大厅未能联系上你", f"{hall.name}工作人员按你的帮办代办请求回电{about}，但未能接通。{said}{'。' if said else ''}"
            f"如仍需帮助，可再次申请回电，或拨打 {hall.phone}。")


async def mark_done(*, actor: User, request_id: int, outcome: CallbackStatus, note: str | None,
                    bus: Bus | None) -> CallbackRequest:
    if outcome not in OUTCOMES:
        raise ValidationError(field="outcome", message="请选择回电结果：已回电或无法联系")
    row = await CallbackRequest.get_or_none(id=request_id).select_related("hall", "item")
    # Someone else's hall or department: the same answer as no such request.
    if row is None or not await _visible_to_staff(actor=actor, row=row):
        raise NotFoundError("未找到该回电请求")
    text = _note(note, field="note")
    title, body = _told(row, outcome, text)
    async with in_transaction() as conn:
        done = await CallbackRequest.filter(id=row.id, status=CallbackStatus.PENDING).using_db(conn).update(
            status=outcome, open_key=None, handled_by_id=actor.id, handled_at=datetime.now(timezone.utc),
            outcome_note=text or None)
        if done:
            await notify(conn, user_id=row.user_id, kind=NotificationKind.CALLBACK_HANDLED, title=title, body=body,
                         link="/me/callbacks", source=f"callback:{row.id}")
    if not done:
        current = await CallbackRequest.get(id=row.id)
        raise CallbackNotOpenError(f"该请求已处理（{current.status.label}），不能再次标记", status=current.status)
    announce_notifications(bus)
    return await CallbackRequest.get(id=row.id).select_related("hall", "item", "user", "handled_by")


# ---- the phone ------------------------------------------------------------------------


def masked_phone(row: CallbackRequest, *, vault: PiiVault) -> str:
    return mask_phone(vault.decrypt(row.phone_enc, purpose=CALLBACK_PHONE))


async def phone_for_staff(*, actor: User, row: CallbackRequest, vault: PiiVault) -> str | None:
    """The whole number for the staff who call, while the request is open; every read is in
    the person's data access log. A handled request's number is not shown again."""
    if row.status is not CallbackStatus.PENDING:
        return None
    await log_access(actor=actor, subject=row.user, what=PHONE, purpose="帮办代办：大厅回电")
    return vault.decrypt(row.phone_enc, purpose=CALLBACK_PHONE)

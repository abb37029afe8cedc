"""Applying (Art. 13, 16, 17): the materials checklist, submitting, and supplying what is owed.

- A material proven by a valid e-license the applicant holds is never asked for (免证办).
- Everything missing is reported in one answer (一次性告知).
- Non-key materials may be promised for later (容缺受理) with a written promise.
- A retried submit with the same idempotency key returns the case the first one made.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Case, CaseMaterial, ELicense, Enterprise, Material, ServiceGuide, ServiceItem, Upload, User
from backend.models.cases import CaseEventKind, CaseStatus, MaterialProvision
from backend.models.catalog import Audience
from backend.models.licenses import LicenseStatus
from backend.services.cases.events import announce, record_event
from backend.services.cases.lifecycle import SUPPLEMENTABLE, Move, apply_move, as_applicant, case_number, now_utc
from backend.services.cases.deadlines import due_dates
from backend.services.workdays import local_date
from backend.services.errors import (
    InvalidTransitionError, ItemNotOnlineError, MaterialsMissingError, MissingMaterial, NotPermittedError,
    ValidationError,
)
from backend.services.identity.accounts import enterprise_access
from backend.services.cases.uploads import claim_uploads
from backend.services.workdays import working_calendar

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_FIELDS, MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_PROMISE = 30, 50, 1000, 1000


@dataclass(frozen=True)
class MaterialSubmission:
    material_id: int
    upload_ids: Sequence[str] = ()
    fields: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class FormMaterial:
    material: Material
    on_file: ELicense | None  # 免证办: the valid e-license that proves it


@dataclass(frozen=True)
class ApplicationForm:
    item: ServiceItem
    online: bool
    materials: list[FormMaterial] = field(default_factory=list)


def is_online(guide: ServiceGuide | None) -> bool:
    """An item can be applied for on the phone when its guide publishes an online address."""
    return guide is not None and bool(guide.online_address.strip())


async def licenses_on_file(*, user: User, enterprise: Enterprise | None, today: date) -> dict[int, ELicense]:
    """Valid e-licenses by type: the person's, and the enterprise's when applying for it.
    Suspended, revoked, cancelled, expired or not-yet-valid licenses do not count."""
    holder = Q(holder_user_id=user.id)
    if enterprise is not None:
        holder |= Q(holder_enterprise_id=enterprise.id)
    rows = await ELicense.filter(holder, status=LicenseStatus.VALID, valid_from__lte=today).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)).order_by("id").select_related("license_type")
    return {row.license_type_id: row for row in rows}


async def _applying_enterprise(*, user: User, uscc: str | None, item: ServiceItem) -> Enterprise | None:
    if not uscc:
        if item.audience is Audience.ENTERPRISE:
            raise ValidationError(field="enterpriseUscc", message="该事项须以企业名义申请，请选择企业")
        return None
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None:
        raise NotPermittedError("你不是该企业的法定代表人，或没有有效的经办授权")
    if "*" not in access.scope and item.code not in access.scope:
        raise NotPermittedError("你的经办授权不包含该事项，请联系企业法定代表人调整授权范围")
    if item.audience is Audience.PERSON:
        raise ValidationError(field="enterpriseUscc", message="该事项只面向个人办理，不能以企业名义申请")
    return access.enterprise


async def _item_and_guide(item_code: str) -> tuple[ServiceItem, ServiceGuide | None]:
    item = await ServiceItem.get_or_none(code=item_code.strip())
    if item is None:
        raise ValidationError(field="itemCode", message="事项不存在，请从事项目录重新进入")
    return item, await ServiceGuide.get_or_none(item=item)


async def application_form(*, user: User, item_code: str, enterprise_uscc: str | None = None,
                           today: date | None = None) -> ApplicationForm:
    item, guide = await _item_and_guide(item_code)
    enterprise = await _applying_enterprise(user=user, uscc=enterprise_uscc, item=item)
    if guide is None:
        return ApplicationForm(item=item, online=False)
    on_file = await licenses_on_file(user=user, enterprise=enterprise, today=today or local_date(now_utc()))
    materials = await Material.filter(guide=guide).order_by("position", "id")
    return ApplicationForm(item=item, online=is_online(guide), materials=[
        FormMaterial(material=m, on_file=on_file.get(m.license_type_id) if m.license_type_id else None)
        for m in materials
    ])


def _check_fields(entry: MaterialSubmission, material: Material, index: int) -> list[dict[str, str]]:
    where = f"materials[{index}].fields"
    if entry.fields and material.blank_form is None:
        raise ValidationError(field=where, message=f"“{material.name}”需上传文件，不能在线填写")
    if len(entry.fields) > MAX_FIELDS:
        raise ValidationError(field=where, message=f"“{material.name}”最多填写 {MAX_FIELDS} 项")
    rows = []
    for name, value in entry.fields:
        name, value = name.strip(), value.strip()
        if not name or not value:
            raise ValidationError(field=where, message=f"“{material.name}”有未填写完整的项目")
        if len(name) > MAX_FIELD_NAME or len(value) > MAX_FIELD_VALUE:
            raise ValidationError(field=where, message=f"“{material.name}”填写的内容过长")
        rows.append({"name": name, "value": value})
    return rows


@dataclass
class _Provided:
    material: Material
    uploads: list[Upload]
    fields: list[dict[str, str]]


async def _check_submissions(*, owner: User, materials: Sequence[Material],
                             submissions: Sequence[MaterialSubmission]) -> dict[int, _Provided]:
    by_id = {m.id: m for m in materials}
    provided: dict[int, _Provided] = {}
    for index, entry in enumerate(submissions):
        material = by_id.get(entry.material_id)
        if material is None:
            raise ValidationError(field=f"materials[{index}].materialId", message="该材料不在本事项的办事指南中")
        if entry.material_id in provided:
            raise ValidationError(field=f"materials[{index}].materialId", message=f"“{material.name}”重复提交")
        fields_ = _check_fields(entry, material, index)
        uploads = await claim_uploads(owner=owner, upload_ids=list(entry.upload_ids),
                                      field=f"materials[{index}].uploadIds") if entry.upload_ids else []
        if uploads or fields_:
            provided[material.id] = _Provided(material=material, uploads=uploads, fields=fields_)
    return provided


async def _attach(conn: BaseDBAsyncClient, row: CaseMaterial, given: _Provided) -> None:
    if given.uploads:
        await Upload.filter(id__in=[u.id for u in given.uploads]).using_db(conn).update(case_material_id=row.id)


async def submit_application(
    *, applicant: User, item_code: str, enterprise_uscc: str | None, materials: Sequence[MaterialSubmission],
    deficiency_promise: str | None, idempotency_key: str, bus: Bus | None,
) -> Case:
    key = idempotency_key.strip()
    if not _IDEMPOTENCY_KEY.match(key):
        raise ValidationError(field="idempotencyKey", message="提交编号格式不正确，请刷新页面后重试")
    existing = await Case.get_or_none(applicant=applicant, idempotency_key=key)
    if existing is not None:
        return existing  # the same draft sent again: one case
    item, guide = await _item_and_guide(item_code)
    if not is_online(guide):
        raise ItemNotOnlineError("该事项暂不支持网上申请，请预约到大厅窗口办理")
    assert guide is not None
    enterprise = await _applying_enterprise(user=applicant, uscc=enterprise_uscc, item=item)
    today = local_date(now_utc())
    on_file = await licenses_on_file(user=applicant, enterprise=enterprise, today=today)
    guide_materials = await Material.filter(guide=guide).order_by("position", "id")
    try:
        provided = await _check_submissions(owner=applicant, materials=guide_materials, submissions=materials)
    except ValidationError:
        # A double tap: the twin request may have just made the case with these very files.
        twin = await Case.get_or_none(applicant=applicant, idempotency_key=key)
        if twin is not None:
            return twin
        raise
    promise = (deficiency_promise or "").strip()
    if len(promise) > MAX_PROMISE:
        raise ValidationError(field="deficiencyPromise", message=f"承诺内容不能超过 {MAX_PROMISE} 字")
    missing = [m for m in guide_materials
               if m.required and m.id not in provided and not (m.license_type_id and m.license_type_id in on_file)]
    deferred = bool(missing) and bool(promise) and all(m.deficiency_allowed for m in missing)
    if missing and not deferred:
        raise MaterialsMissingError([MissingMaterial(material_id=m.id, name=m.name, deficiency_allowed=m.deficiency_allowed)
                                     for m in missing])
    try:
        case, event = await _create_case(applicant=applicant, enterprise=enterprise, item=item, guide=guide, key=key,
                                         materials=guide_materials, provided=provided, on_file=on_file,
                                         promise=promise if deferred else None, today=today)
    except IntegrityError:
        # The same draft raced itself: the other request made the case.
        return await Case.get(applicant=applicant, idempotency_key=key)
    announce(bus, event)
    return case


async def _create_case(*, applicant: User, enterprise: Enterprise | None, item: ServiceItem, guide: ServiceGuide,
                       key: str, materials: Sequence[Material], provided: dict[int, _Provided],
                       on_file: dict[int, ELicense], promise: str | None, today: date):  # type: ignore[no-untyped-def]
    async with in_transaction() as conn:
        case = await Case.create(
            # A unique placeholder number, replaced below once the id is known.
            number=uuid.uuid4().hex, applicant=applicant, enterprise=enterprise, item=item,
            department_id=item.department_id, status=CaseStatus.SUBMITTED, idempotency_key=key,
            deficiency_promise=promise, promised_days=guide.promised_days, statutory_days=guide.statutory_days,
            using_db=conn,
        )
        case.number = case_number(case_id=case.id, on=today)
        await case.save(update_fields=["number"], using_db=conn)
        deferred_names = []
        for material in materials:
            given = provided.get(material.id)
            license_ = on_file.get(material.license_type_id) if material.license_type_id else None
            if given is not None:
                provision = MaterialProvision.FIELDS if given.fields and not given.uploads else MaterialProvision.UPLOAD
            elif license_ is not None:
                provision = MaterialProvision.LICENSE
            elif material.required and promise:
                provision = MaterialProvision.DEFERRED
                deferred_names.append(material.name)
            else:
                provision = None
            row = await CaseMaterial.create(
                case=case, material=material, position=material.position, name=material.name,
                required=material.required, provision=provision, fields_json=given.fields if given else [],
                license=license_ if given is None else None, outstanding=provision is MaterialProvision.DEFERRED,
                supplied_at=now_utc() if given else None, using_db=conn,
            )
            if given is not None:
                await _attach(conn, row, given)
        note = "网上提交申请" + (f"；容缺：{'、'.join(deferred_names)}（申请人已书面承诺补齐）" if deferred_names else "")
        event = await record_event(conn, case=case, kind=CaseEventKind.SUBMITTED, actor=applicant,
                                   actor_label=f"申请人 · {applicant.name}", note=note)
    return case, event


async def supplement_materials(*, actor: User, number: str, materials: Sequence[MaterialSubmission],
                               bus: Bus | None, now: datetime | None = None) -> Case:
    """补正 / 补齐容缺材料: every owed material in one go; the clock resumes."""
    case = await as_applicant(number=number, actor=actor)
    if case.status not in SUPPLEMENTABLE:
        raise InvalidTransitionError(f"办件当前为“{case.status.label}”，无需补正材料", status=case.status.value)
    owed = await CaseMaterial.filter(case=case, outstanding=True).order_by("position", "id")
    if not owed:
        raise InvalidTransitionError("该办件没有需要补正的材料", status=case.status.value)
    guide_materials = await Material.filter(id__in=[row.material_id for row in owed if row.material_id])
    provided = await _check_submissions(owner=actor, materials=guide_materials, submissions=materials)
    still = [row for row in owed if row.material_id not in provided]
    if still:
        raise MaterialsMissingError([MissingMaterial(material_id=row.material_id or 0, name=row.name,
                                                     deficiency_allowed=False) for row in still])
    moment = now or now_utc()

    def resume(row: Case, today: date) -> None:
        if row.paused_on is not None and row.accepted_on is not None:
            row.paused_working_days += working_calendar().working_days_between(row.paused_on, today)
            row.paused_on = None
            row.promised_due, row.statutory_due = due_dates(
                accepted_on=row.accepted_on, promised_days=row.promised_days, statutory_days=row.statutory_days,
                paused_days=row.paused_working_days)
        row.supplement_deadline = None
        row.supplement_note = None
        row.resume_status = None

    async def store(conn: BaseDBAsyncClient) -> None:
        for row in owed:
            given = provided[row.material_id]  # type: ignore[index]
            row.provision = MaterialProvision.FIELDS if given.fields and not given.uploads else MaterialProvision.UPLOAD
            row.fields_json, row.outstanding, row.supplied_at = given.fields, False, moment
            await row.save(using_db=conn, update_fields=["provision", "fields_json", "outstanding", "supplied_at"])
            await _attach(conn, row, given)

    target = case.resume_status if case.status is CaseStatus.SUPPLEMENT_REQUESTED else None
    move = Move(CaseEventKind.SUPPLEMENTED, target, f"已补正：{'、'.join(row.name for row in owed)}",
                apply=resume, also=store)
    return await apply_move(case=case, move=move, actor=actor, actor_label=f"申请人 · {actor.name}", bus=bus,
                            now=moment, expect=(case.status,))

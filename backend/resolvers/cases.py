"""Case resolvers: check input, call one service, map the result."""

from __future__ import annotations

from functools import partial
from typing import Annotated, AsyncGenerator

import strawberry
from starlette.websockets import WebSocket
from strawberry import Info

from backend.models import Case as CaseModel
from backend.models import cases as m
from backend.models import Enterprise as EnterpriseModel
from backend.models import ServiceItem as ServiceItemModel
from backend.models import User
from backend.models.catalog import Material
from backend.models.cases import CaseStatus as DomainStatus
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import plain_text, record_id, record_key
from backend.schema.context import Context
from backend.schema.fanout import close_for_reconnect, shared_payload
from backend.schema.types import errors as e
from backend.schema.types.cases import (
    ApplicationForm, ApplicationSubmitted, Case, CaseConnection, CaseEvent, CaseStatus, CaseUpdated,
    DeliveryMethod, DepartmentSupervision, FormMaterial, InvalidTransitionError, ItemNotOnlineError, MaterialInput,
    MaterialsMissingError, SubmitApplicationInput, SupervisionReport,
)
from backend.schema.types.catalog import Department, ServiceItem
from backend.services.cases import applications, queries as case_queries, lifecycle as cases, supervision
from backend.services.cases.applications import MaterialSubmission
from backend.services.cases.feed import decode_event_cursor
from backend.services.errors import DomainError, NotFoundError, NotPermittedError, ValidationError
from backend.schema.errors import from_domain


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


# What the services answer for a row that does not exist, for input that cannot name one.
_NO_CASE = "未找到该办件"
_NO_ITEM = "事项不存在，请从事项目录重新进入"
_NO_ENTERPRISE = "你不是该企业的法定代表人，或没有有效的经办授权"


def _number(raw: str, *, field: str = "number") -> str:
    number = record_key(raw, model=CaseModel, column="number", field=field, message="办件编号格式不正确")
    if number is None:
        raise NotFoundError(_NO_CASE)
    return number


def _item_code(raw: str) -> str:
    code = record_key(raw, model=ServiceItemModel, column="code", field="itemCode", message="事项编码格式不正确")
    if code is None:
        raise ValidationError(field="itemCode", message=_NO_ITEM)
    return code


def _uscc(raw: str | None) -> str | None:
    if not raw:
        return raw
    uscc = record_key(raw, model=EnterpriseModel, column="uscc", field="enterpriseUscc",
                      message="统一社会信用代码格式不正确")
    if uscc is None:
        raise NotPermittedError(_NO_ENTERPRISE)
    return uscc


def _material_id(raw: strawberry.ID, *, field: str, unknown: str) -> int:
    value = record_id(raw, model=Material, field=field)
    if value is None:
        raise ValidationError(field=field, message=unknown)
    return value


def _submissions(materials: list[MaterialInput]) -> list[MaterialSubmission]:
    return [
        MaterialSubmission(material_id=_material_id(entry.material_id, field=f"materials[{i}].materialId",
                                                    unknown="该材料不在本事项的办事指南中"),
                           upload_ids=[str(u) for u in entry.upload_ids],
                           fields=[(plain_text(f.name, field=f"materials[{i}].fields"),
                                    plain_text(f.value, field=f"materials[{i}].fields")) for f in entry.fields])
        for i, entry in enumerate(materials)
    ]


# ---- queries ---------------------------------------------------------------------------


@user_errors
async def application_form(info: Info[Context, None], item_code: str,
                           enterprise_uscc: str | None = None) -> ApplicationForm | None:
    form = await applications.application_form(user=_viewer(info), item_code=_item_code(item_code),
                                               enterprise_uscc=_uscc(enterprise_uscc))
    return ApplicationForm(item=ServiceItem.from_model(form.item), online=form.online, materials=[
        FormMaterial(
            material_id=strawberry.ID(str(entry.material.id)), name=entry.material.name,
            required=entry.material.required, deficiency_allowed=entry.material.deficiency_allowed,
            on_file=entry.on_file is not None,
            license_name=entry.on_file.license_type.name if entry.on_file else None,
            accepts_fields=entry.material.blank_form is not None, specification=entry.material.specification,
            copies=entry.material.copies, sample_text=entry.material.sample_text,
        ) for entry in form.materials
    ])


@user_errors
async def my_cases(info: Info[Context, None], first: int = 20, after: str | None = None,
                   status: list[CaseStatus] | None = None) -> CaseConnection:
    statuses = [DomainStatus(s.value) for s in status or []]
    return CaseConnection.from_page(await case_queries.my_cases(user=_viewer(info), first=first, after=after, statuses=statuses))


@user_errors
async def staff_cases(info: Info[Context, None], first: int = 20, after: str | None = None,
                      status: list[CaseStatus] | None = None) -> CaseConnection:
    statuses = [DomainStatus(s.value) for s in status or []]
    return CaseConnection.from_page(await case_queries.staff_cases(user=_viewer(info), first=first, after=after, statuses=statuses))


@user_errors
async def case(info: Info[Context, None], number: str) -> Case | None:
    key = record_key(number, model=CaseModel, column="number", field="number", message="办件编号格式不正确")
    found = await case_queries.get_case(viewer=_viewer(info), number=key) if key else None
    return Case.from_model(found[0]) if found else None


@user_errors
async def supervision_report(info: Info[Context, None]) -> SupervisionReport:
    reports = await supervision.report(viewer=_viewer(info), warn_percent=info.context.settings.supervision_warn_percent)
    departments = [
        DepartmentSupervision(department=Department.from_model(r.department), due_soon=len(r.due_soon),
                              overdue=len(r.overdue), cases=[Case.from_model(c) for c in r.overdue + r.due_soon],
                              tickets_open=r.tickets_open, tickets_overdue=r.tickets_overdue)
        for r in reports
    ]
    return SupervisionReport(due_soon=sum(d.due_soon for d in departments), overdue=sum(d.overdue for d in departments),
                             departments=departments, tickets_open=sum(d.tickets_open for d in departments),
                             tickets_overdue=sum(d.tickets_overdue for d in departments))


# ---- mutations -------------------------------------------------------------------------

Common = e.InputError | e.NotPermittedError | e.NotFoundError
SubmitResult = Annotated[ApplicationSubmitted | MaterialsMissingError | ItemNotOnlineError | Common,
                         strawberry.union("SubmitApplicationResult")]
_Transition = CaseUpdated | InvalidTransitionError | Common
SupplementResult = Annotated[CaseUpdated | MaterialsMissingError | InvalidTransitionError | Common,
                             strawberry.union("SupplementMaterialsResult")]
WithdrawResult = Annotated[_Transition, strawberry.union("WithdrawCaseResult")]
AcceptResult = Annotated[_Transition, strawberry.union("AcceptCaseResult")]
RequestSupplementResult = Annotated[_Transition, strawberry.union("RequestSupplementResult")]
StartReviewResult = Annotated[_Transition, strawberry.union("StartReviewResult")]
ApproveResult = Annotated[_Transition, strawberry.union("ApproveCaseResult")]
RejectResult = Annotated[_Transition, strawberry.union("RejectCaseResult")]
DeliverResult = Annotated[_Transition, strawberry.union("DeliverCaseResult")]
ExplainOverdueResult = Annotated[_Transition, strawberry.union("ExplainOverdueResult")]


async def submit_application(info: Info[Context, None], input: SubmitApplicationInput) -> SubmitResult:
    row = await applications.submit_application(
        applicant=_viewer(info), item_code=_item_code(input.item_code), enterprise_uscc=_uscc(input.enterprise_uscc),
        materials=_submissions(input.materials),
        deficiency_promise=plain_text(input.deficiency_promise, field="deficiencyPromise"),
        idempotency_key=input.idempotency_key, bus=info.context.bus,
    )
    return ApplicationSubmitted(case=Case.from_model(row))


async def supplement_materials(info: Info[Context, None], number: str, materials: list[MaterialInput]) -> SupplementResult:
    row = await applications.supplement_materials(actor=_viewer(info), number=_number(number),
                                                  materials=_submissions(materials), bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def withdraw_case(info: Info[Context, None], number: str, reason: str | None = None) -> WithdrawResult:
    row = await cases.withdraw(number=_number(number), actor=_viewer(info), reason=plain_text(reason, field="reason"),
                               bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def accept_case(info: Info[Context, None], number: str, note: str | None = None) -> AcceptResult:
    row = await cases.accept(number=_number(number), actor=_viewer(info), note=plain_text(note, field="note"),
                             bus=info.context.bus,
                             deficiency_days=info.context.settings.deficiency_supplement_days)
    return CaseUpdated(case=Case.from_model(row))


async def request_supplement(info: Info[Context, None], number: str, material_ids: list[strawberry.ID],
                             note: str) -> RequestSupplementResult:
    ids = [_material_id(raw, field="materialIds", unknown="所选材料不属于该办件的办事指南") for raw in material_ids]
    row = await cases.request_supplement(number=_number(number), actor=_viewer(info), material_ids=ids,
                                         note=plain_text(note, field="note"),
                                         bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def start_review(info: Info[Context, None], number: str) -> StartReviewResult:
    row = await cases.start_review(number=_number(number), actor=_viewer(info), bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def approve_case(info: Info[Context, None], number: str, note: str | None = None) -> ApproveResult:
    row = await cases.approve(number=_number(number), actor=_viewer(info), note=plain_text(note, field="note"),
                              bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def reject_case(info: Info[Context, None], number: str, reason: str) -> RejectResult:
    row = await cases.reject(number=_number(number), actor=_viewer(info), reason=plain_text(reason, field="reason"),
                             bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def deliver_case(info: Info[Context, None], number: str, method: DeliveryMethod,
                       tracking_number: str | None = None) -> DeliverResult:
    row = await cases.deliver(number=_number(number), actor=_viewer(info), method=method,
                              tracking_number=plain_text(tracking_number, field="trackingNumber"),
                              bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def explain_overdue(info: Info[Context, None], number: str, reason: str) -> ExplainOverdueResult:
    row = await cases.explain_overdue(number=_number(number), actor=_viewer(info),
                                      reason=plain_text(reason, field="reason"), bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


# ---- subscription ----------------------------------------------------------------------


async def case_progress(info: Info[Context, None], after: str | None = None,
                        case_number: str | None = None) -> AsyncGenerator[CaseEvent, None]:
    viewer = _viewer(info)
    try:
        cursor = decode_event_cursor(after) if after else None
        case_id = None
        if case_number:
            found = await case_queries.get_case(viewer=viewer, number=_number(case_number, field="caseNumber"))
            if found is None:
                raise NotFoundError("未找到该办件")
            case_id = found[0].id
    except DomainError as error:
        raise from_domain(error) from error
    feed = info.context.feed
    assert feed is not None  # started in the app's lifespan
    scope = await info.context.case_scope()
    assert scope is not None
    websocket = info.context.request
    on_overflow = partial(close_for_reconnect, websocket) if isinstance(websocket, WebSocket) else None
    async for event in feed.follow(scope=scope, after=cursor, case_id=case_id,
                                   queue_size=info.context.settings.ws_send_queue, on_overflow=on_overflow):
        # The same payload object for every subscriber of this row: executed once per group.
        yield shared_payload(event, _event_payload)


def _event_payload(event: m.CaseEvent) -> CaseEvent:
    return CaseEvent.from_model(event, case=event.case)

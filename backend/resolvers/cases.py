"""Case resolvers: check input, call one service, map the result."""

from __future__ import annotations

from typing import Annotated, AsyncGenerator

import strawberry
from strawberry import Info

from backend.models import User
from backend.models.cases import CaseStatus as DomainStatus
from backend.resolvers.errors import user_errors
from backend.schema.context import Context
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
from backend.services.errors import DomainError, NotFoundError, ValidationError
from backend.schema.errors import from_domain


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


def _id(raw: strawberry.ID, *, field: str) -> int:
    if not str(raw).isdigit():
        raise ValidationError(field=field, message="编号格式不正确")
    return int(raw)


def _submissions(materials: list[MaterialInput]) -> list[MaterialSubmission]:
    return [
        MaterialSubmission(material_id=_id(entry.material_id, field=f"materials[{i}].materialId"),
                           upload_ids=[str(u) for u in entry.upload_ids],
                           fields=[(f.name, f.value) for f in entry.fields])
        for i, entry in enumerate(materials)
    ]


# ---- queries ---------------------------------------------------------------------------


@user_errors
async def application_form(info: Info[Context, None], item_code: str,
                           enterprise_uscc: str | None = None) -> ApplicationForm | None:
    form = await applications.application_form(user=_viewer(info), item_code=item_code, enterprise_uscc=enterprise_uscc)
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


async def case(info: Info[Context, None], number: str) -> Case | None:
    found = await case_queries.get_case(viewer=_viewer(info), number=number)
    return Case.from_model(found[0]) if found else None


@user_errors
async def supervision_report(info: Info[Context, None]) -> SupervisionReport:
    reports = await supervision.report(viewer=_viewer(info), warn_percent=info.context.settings.supervision_warn_percent)
    departments = [
        DepartmentSupervision(department=Department.from_model(r.department), due_soon=len(r.due_soon),
                              overdue=len(r.overdue), cases=[Case.from_model(c) for c in r.overdue + r.due_soon])
        for r in reports
    ]
    return SupervisionReport(due_soon=sum(d.due_soon for d in departments), overdue=sum(d.overdue for d in departments),
                             departments=departments)


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
        applicant=_viewer(info), item_code=input.item_code, enterprise_uscc=input.enterprise_uscc,
        materials=_submissions(input.materials), deficiency_promise=input.deficiency_promise,
        idempotency_key=input.idempotency_key, bus=info.context.bus,
    )
    return ApplicationSubmitted(case=Case.from_model(row))


async def supplement_materials(info: Info[Context, None], number: str, materials: list[MaterialInput]) -> SupplementResult:
    row = await applications.supplement_materials(actor=_viewer(info), number=number,
                                                  materials=_submissions(materials), bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def withdraw_case(info: Info[Context, None], number: str, reason: str | None = None) -> WithdrawResult:
    row = await cases.withdraw(number=number, actor=_viewer(info), reason=reason, bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def accept_case(info: Info[Context, None], number: str, note: str | None = None) -> AcceptResult:
    row = await cases.accept(number=number, actor=_viewer(info), note=note, bus=info.context.bus,
                             deficiency_days=info.context.settings.deficiency_supplement_days)
    return CaseUpdated(case=Case.from_model(row))


async def request_supplement(info: Info[Context, None], number: str, material_ids: list[strawberry.ID],
                             note: str) -> RequestSupplementResult:
    ids = [_id(raw, field="materialIds") for raw in material_ids]
    row = await cases.request_supplement(number=number, actor=_viewer(info), material_ids=ids, note=note,
                                         bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def start_review(info: Info[Context, None], number: str) -> StartReviewResult:
    row = await cases.start_review(number=number, actor=_viewer(info), bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def approve_case(info: Info[Context, None], number: str, note: str | None = None) -> ApproveResult:
    row = await cases.approve(number=number, actor=_viewer(info), note=note, bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def reject_case(info: Info[Context, None], number: str, reason: str) -> RejectResult:
    row = await cases.reject(number=number, actor=_viewer(info), reason=reason, bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def deliver_case(info: Info[Context, None], number: str, method: DeliveryMethod,
                       tracking_number: str | None = None) -> DeliverResult:
    row = await cases.deliver(number=number, actor=_viewer(info), method=method, tracking_number=tracking_number,
                              bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


async def explain_overdue(info: Info[Context, None], number: str, reason: str) -> ExplainOverdueResult:
    row = await cases.explain_overdue(number=number, actor=_viewer(info), reason=reason, bus=info.context.bus)
    return CaseUpdated(case=Case.from_model(row))


# ---- subscription ----------------------------------------------------------------------


async def case_progress(info: Info[Context, None], after: str | None = None,
                        case_number: str | None = None) -> AsyncGenerator[CaseEvent, None]:
    viewer = _viewer(info)
    try:
        cursor = decode_event_cursor(after) if after else None
        case_id = None
        if case_number:
            found = await case_queries.get_case(viewer=viewer, number=case_number)
            if found is None:
                raise NotFoundError("未找到该办件")
            case_id = found[0].id
    except DomainError as error:
        raise from_domain(error) from error
    feed = info.context.feed
    assert feed is not None  # started in the app's lifespan
    scope = await info.context.case_scope()
    assert scope is not None
    async for event in feed.follow(scope=scope, after=cursor, case_id=case_id):
        yield CaseEvent.from_model(event, case=event.case)

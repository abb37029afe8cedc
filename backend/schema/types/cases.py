"""GraphQL types of cases. Nested fields load through the request's DataLoaders."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Info

from backend.models import cases as m
from backend.schema.context import Context
from backend.schema.types.catalog import Department, PageInfo, ServiceItem
from backend.schema.types.errors import ErrorCode
from backend.services.cases import queries as case_queries
from backend.services.cases.feed import encode_event_cursor
from backend.services.cases.deadlines import deadline_of
from backend.services.workdays import local_date
from backend.services.cases.lifecycle import now_utc
from backend.services.pagination import Page

CaseStatus = strawberry.enum(m.CaseStatus, description="办件状态")
CaseEventKind = strawberry.enum(m.CaseEventKind, description="办件事件")
DeliveryMethod = strawberry.enum(m.DeliveryMethod, description="送达方式 (Art. 20)")
MaterialProvision = strawberry.enum(m.MaterialProvision, description="材料提供方式: 上传, 在线填写, 电子证照, 容缺后补")


@strawberry.enum(description="当前查看者可对办件进行的操作")
class CaseAction(Enum):
    WITHDRAW = "WITHDRAW"
    SUPPLEMENT = "SUPPLEMENT"
    ACCEPT = "ACCEPT"
    REQUEST_SUPPLEMENT = "REQUEST_SUPPLEMENT"
    START_REVIEW = "START_REVIEW"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    DELIVER = "DELIVER"
    EXPLAIN_OVERDUE = "EXPLAIN_OVERDUE"


@strawberry.type
class UploadedFile:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str


@strawberry.type
class MaterialField:
    name: str
    value: str


@strawberry.type
class CaseMaterial:
    material_id: strawberry.ID | None
    name: str
    required: bool
    provision: MaterialProvision | None
    fields: list[MaterialField]
    outstanding: bool
    row_id: strawberry.Private[int]
    license_id: strawberry.Private[int | None]

    @strawberry.field
    async def files(self, info: Info[Context, None]) -> list[UploadedFile]:
        rows = await info.context.loaders.case_material_files.load(self.row_id)
        return [UploadedFile(id=strawberry.ID(str(f.id)), filename=f.filename, content_type=f.content_type,
                             size=f.size, sha256=f.sha256, url=f"/uploads/{f.id}") for f in rows]

    @strawberry.field(description="免证办: the e-license that proved this material")
    async def license_name(self, info: Info[Context, None]) -> str | None:
        if self.license_id is None:
            return None
        return await info.context.loaders.license_type_name.load(self.license_id)

    @classmethod
    def from_model(cls, row: m.CaseMaterial) -> CaseMaterial:
        return cls(
            material_id=strawberry.ID(str(row.material_id)) if row.material_id else None, name=row.name,
            required=row.required, provision=row.provision, outstanding=row.outstanding,
            fields=[MaterialField(name=f["name"], value=f["value"]) for f in row.fields_json],
            row_id=row.id, license_id=row.license_id,
        )


@strawberry.type
class CaseEvent:
    id: strawberry.ID
    cursor: str = strawberry.field(description="Resume caseProgress after this event")
    case_number: str
    kind: CaseEventKind
    kind_label: str
    status: CaseStatus
    status_label: str
    at: datetime
    note: str
    actor_label: str
    item_id: strawberry.Private[int]
    # No field depends on the viewer: one execution serves every subscriber (schema/fanout.py).
    fanout_results: strawberry.Private[dict[object, object]] = dataclasses.field(default_factory=dict)

    @strawberry.field
    async def item_name(self, info: Info[Context, None]) -> str:
        item = await info.context.loaders.item.load(self.item_id)
        return item.name if item else ""

    @classmethod
    def from_model(cls, row: m.CaseEvent, *, case: m.Case) -> CaseEvent:
        return cls(id=strawberry.ID(str(row.id)), cursor=encode_event_cursor(row.id), case_number=case.number,
                   kind=row.kind, kind_label=row.kind.label, status=row.status, status_label=row.status.label,
                   at=row.at, note=row.note, actor_label=row.actor_label, item_id=case.item_id)


@strawberry.type(description="办理时限 (工作日)")
class CaseDeadline:
    promised_days: int
    statutory_days: int
    promised_due: date
    statutory_due: date
    working_days_used: int
    working_days_left: int
    paused: bool = strawberry.field(description="补正期间停止计时")
    due_soon: bool
    overdue: bool


@strawberry.type(description="受理通知书")
class AcceptanceNotice:
    number: str
    case_number: str
    item_name: str
    applicant_name: str
    department: str
    accepted_on: date
    promised_days: int
    promised_due: date


@strawberry.type
class CaseDelivery:
    method: DeliveryMethod
    method_label: str
    tracking_number: str | None
    delivered_at: datetime


@strawberry.type
class CaseEnterprise:
    uscc: str
    name: str


@strawberry.type(name="Case")
class Case:
    id: strawberry.ID
    number: str
    status: CaseStatus
    status_label: str
    submitted_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None
    supplement_deadline: date | None
    deficiency_promise: str | None
    supplement_note: str | None
    decision_reason: str | None
    overdue_reason: str | None
    row: strawberry.Private[m.Case]

    @strawberry.field
    async def item(self, info: Info[Context, None]) -> ServiceItem:
        row = await info.context.loaders.item.load(self.row.item_id)
        assert row is not None  # foreign key
        return ServiceItem.from_model(row)

    @strawberry.field
    async def applicant_name(self, info: Info[Context, None]) -> str:
        user = await info.context.loaders.user.load(self.row.applicant_id)
        return user.name if user else ""

    @strawberry.field
    async def enterprise(self, info: Info[Context, None]) -> CaseEnterprise | None:
        if self.row.enterprise_id is None:
            return None
        row = await info.context.loaders.enterprise.load(self.row.enterprise_id)
        return CaseEnterprise(uscc=row.uscc, name=row.name) if row else None

    @strawberry.field
    async def department(self, info: Info[Context, None]) -> Department:
        row = await info.context.loaders.department.load(self.row.department_id)
        assert row is not None
        return Department.from_model(row)

    @strawberry.field(description="办事指南中的全部材料及提供情况")
    async def materials(self, info: Info[Context, None]) -> list[CaseMaterial]:
        return [CaseMaterial.from_model(r) for r in await info.context.loaders.case_materials.load(self.row.id)]

    @strawberry.field(description="尚需提供的材料: 容缺承诺的, 或要求补正的")
    async def outstanding_materials(self, info: Info[Context, None]) -> list[CaseMaterial]:
        rows = await info.context.loaders.case_materials.load(self.row.id)
        return [CaseMaterial.from_model(r) for r in rows if r.outstanding]

    @strawberry.field(description="办件进度, oldest first")
    async def events(self, info: Info[Context, None]) -> list[CaseEvent]:
        return [CaseEvent.from_model(e, case=self.row) for e in await info.context.loaders.case_events.load(self.row.id)]

    @strawberry.field
    def deadline(self, info: Info[Context, None]) -> CaseDeadline | None:
        found = deadline_of(self.row, today=local_date(now_utc()), warn_percent=info.context.settings.supervision_warn_percent)
        return CaseDeadline(**vars(found)) if found else None

    @strawberry.field
    async def acceptance_notice(self, info: Info[Context, None]) -> AcceptanceNotice | None:
        row = self.row
        if row.accepted_on is None or row.promised_due is None:
            return None
        item = await info.context.loaders.item.load(row.item_id)
        user = await info.context.loaders.user.load(row.applicant_id)
        department = await info.context.loaders.department.load(row.department_id)
        return AcceptanceNotice(
            number=f"受字〔{row.accepted_on.year}〕{row.id:06d}号", case_number=row.number,
            item_name=item.name if item else "", applicant_name=user.name if user else "",
            department=department.name if department else "", accepted_on=row.accepted_on,
            promised_days=row.promised_days, promised_due=row.promised_due,
        )

    @strawberry.field
    async def delivery(self, info: Info[Context, None]) -> CaseDelivery | None:
        row = self.row
        if row.delivery_method is None or row.status is not m.CaseStatus.DELIVERED:
            return None
        events = await info.context.loaders.case_events.load(row.id)
        delivered = next(e.at for e in reversed(events) if e.kind is m.CaseEventKind.DELIVERED)
        return CaseDelivery(method=row.delivery_method, method_label=row.delivery_method.label,
                            tracking_number=row.tracking_number, delivered_at=delivered)

    @strawberry.field
    async def allowed_actions(self, info: Info[Context, None]) -> list[CaseAction]:
        scope = await info.context.case_scope()
        if scope is None:
            return []
        materials = await info.context.loaders.case_materials.load(self.row.id)
        item = await info.context.loaders.item.load(self.row.item_id)
        names = case_queries.allowed_actions(self.row, scope, owed=any(r.outstanding for r in materials),
                                             item_code=item.code if item else "")
        return [CaseAction[name] for name in names]

    @classmethod
    def from_model(cls, row: m.Case) -> Case:
        return cls(
            id=strawberry.ID(str(row.id)), number=row.number, status=row.status, status_label=row.status.label,
            submitted_at=row.submitted_at, accepted_at=row.accepted_at, completed_at=row.completed_at,
            supplement_deadline=row.supplement_deadline, deficiency_promise=row.deficiency_promise,
            supplement_note=row.supplement_note, decision_reason=row.decision_reason,
            overdue_reason=row.overdue_reason, row=row,
        )


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[m.Case]) -> CaseConnection:
        count = len(page.nodes)
        return cls(
            edges=[CaseEdge(cursor=page.cursor_at(i), node=Case.from_model(row)) for i, row in enumerate(page.nodes)],
            page_info=PageInfo(has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
                               start_cursor=page.cursor_at(0) if count else None,
                               end_cursor=page.cursor_at(count - 1) if count else None),
            total_count=page.total_count,
        )


@strawberry.type
class FormMaterial:
    material_id: strawberry.ID
    name: str
    required: bool
    deficiency_allowed: bool = strawberry.field(description="可容缺受理")
    on_file: bool = strawberry.field(description="免证办: 已有有效电子证照，无需提交")
    license_name: str | None
    accepts_fields: bool = strawberry.field(description="可在线填写")
    specification: str
    copies: int
    sample_text: str


@strawberry.type(description="在线申请表: 事项及其材料清单")
class ApplicationForm:
    item: ServiceItem
    online: bool
    materials: list[FormMaterial]


@strawberry.type
class DepartmentSupervision:
    department: Department
    due_soon: int
    overdue: int
    cases: list[Case]
    tickets_open: int = strawberry.field(description="差评整改工单 not yet closed")
    tickets_overdue: int = strawberry.field(description="差评整改工单 past the running step's limit")


@strawberry.type(description="电子监察")
class SupervisionReport:
    due_soon: int
    overdue: int
    departments: list[DepartmentSupervision]
    tickets_open: int = strawberry.field(description="差评整改工单 not yet closed")
    tickets_overdue: int = strawberry.field(description="差评整改工单 past the running step's limit")


# ---- mutation results ----------------------------------------------------------------


@strawberry.type
class ApplicationSubmitted:
    case: Case


@strawberry.type
class CaseUpdated:
    case: Case


@strawberry.type
class MissingMaterial:
    material_id: strawberry.ID
    name: str
    deficiency_allowed: bool


@strawberry.type(description="一次性告知: 缺少的全部材料")
class MaterialsMissingError:
    code: ErrorCode
    message: str
    missing: list[MissingMaterial]


@strawberry.type(description="该事项暂不支持网上申请")
class ItemNotOnlineError:
    code: ErrorCode
    message: str


@strawberry.type(description="办件当前状态不允许此操作")
class InvalidTransitionError:
    code: ErrorCode
    message: str
    status: CaseStatus


@strawberry.input
class MaterialFieldInput:
    name: str
    value: str


@strawberry.input
class MaterialInput:
    material_id: strawberry.ID
    upload_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    fields: list[MaterialFieldInput] = strawberry.field(default_factory=list)


@strawberry.input
class SubmitApplicationInput:
    item_code: str
    enterprise_uscc: str | None = None
    materials: list[MaterialInput]
    deficiency_promise: str | None = strawberry.field(default=None, description="容缺受理: 书面承诺")
    idempotency_key: str = strawberry.field(description="One per draft: a repeated submit returns the same case")

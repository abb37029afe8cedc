"""GraphQL types of the catalog. Nested fields load through the request's DataLoaders."""

from __future__ import annotations

import strawberry
from strawberry import Info

from backend.models import catalog as m
from backend.schema.context import Context
from backend.schema.types.ratings import ItemSatisfaction

ItemType = strawberry.enum(m.ItemType, description="事项类型 (Art. 5)")
Audience = strawberry.enum(m.Audience, description="服务对象: 个人, 企业, 或两者")
CaseKind = strawberry.enum(m.CaseKind, description="办件类型: 即办件 / 承诺件")
MaterialType = strawberry.enum(m.MaterialType, description="材料类型")
HallLevel = strawberry.enum(m.HallLevel, description="大厅层级 (Art. 22)")


@strawberry.type
class Department:
    id: strawberry.ID
    code: str
    name: str

    @strawberry.field(description="本部门进驻的事项数")
    async def item_count(self, info: Info[Context, None]) -> int:
        return await info.context.loaders.department_item_count.load(int(self.id))

    @classmethod
    def from_model(cls, row: m.Department) -> Department:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, name=row.name)


@strawberry.type
class LicenseType:
    code: str
    name: str


@strawberry.type
class Material:
    id: strawberry.ID
    name: str
    material_type: MaterialType
    material_type_label: str
    sample_text: str
    copies: int
    specification: str
    electronic_required: bool
    blank_form: str | None
    required: bool
    deficiency_allowed: bool = strawberry.field(description="可容缺受理 (Art. 17)")
    license_type_id: strawberry.Private[int | None]

    @strawberry.field(description="能证明本材料的电子证照类型 (免证办)")
    async def license_type(self, info: Info[Context, None]) -> LicenseType | None:
        if self.license_type_id is None:
            return None
        row = await info.context.loaders.license_type.load(self.license_type_id)
        return LicenseType(code=row.code, name=row.name) if row else None

    @classmethod
    def from_model(cls, row: m.Material) -> Material:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, material_type=row.material_type,
            material_type_label=row.material_type.label, sample_text=row.sample_text,
            copies=row.copies, specification=row.specification,
            electronic_required=row.electronic_required, blank_form=row.blank_form,
            required=row.required, deficiency_allowed=row.deficiency_allowed,
            license_type_id=row.license_type_id,
        )


@strawberry.type
class ProcessStep:
    order: int
    title: str
    description: str


@strawberry.type
class Faq:
    question: str
    answer: str


@strawberry.type
class SampleForm:
    name: str
    url: str | None


@strawberry.type
class ServiceHall:
    id: strawberry.ID
    name: str
    level: HallLevel
    district: str
    address: str
    opening_hours: str
    phone: str

    @classmethod
    def from_model(cls, row: m.ServiceHall) -> ServiceHall:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, level=row.level, district=row.district,
            address=row.address, opening_hours=row.opening_hours, phone=row.phone,
        )


@strawberry.type(description="办事指南: every field of Art. 12, plus 002 §4's online address and forms")
class ServiceGuide:
    basic_code: str
    source_of_power: str
    case_kind: CaseKind
    case_kind_label: str
    level_exercised: str
    implementing_body: str
    service_object: str
    intermediary_service: str
    fees: str
    on_site_visits: int = strawberry.field(description="到办事现场次数; 0 means fully online")
    promised_days: int = strawberry.field(description="承诺办结时限, working days")
    statutory_days: int = strawberry.field(description="法定办结时限, working days")
    result_sample: str
    office_hours: str
    consultation: str
    location: str
    complaint_channel: str
    acceptance_conditions: str
    legal_basis: str
    online_address: str
    sample_forms: list[SampleForm]
    is_demo: bool
    guide_id: strawberry.Private[int]

    @strawberry.field
    async def materials(self, info: Info[Context, None]) -> list[Material]:
        return [Material.from_model(row) for row in await info.context.loaders.materials.load(self.guide_id)]

    @strawberry.field
    async def process(self, info: Info[Context, None]) -> list[ProcessStep]:
        rows = await info.context.loaders.process.load(self.guide_id)
        return [ProcessStep(order=row.position, title=row.title, description=row.description) for row in rows]

    @strawberry.field
    async def faq(self, info: Info[Context, None]) -> list[Faq]:
        rows = await info.context.loaders.faq.load(self.guide_id)
        return [Faq(question=row.question, answer=row.answer) for row in rows]

    @classmethod
    def from_model(cls, row: m.ServiceGuide) -> ServiceGuide:
        return cls(
            guide_id=row.id, basic_code=row.basic_code, source_of_power=row.source_of_power,
            case_kind=row.case_kind, case_kind_label=row.case_kind.label,
            level_exercised=row.level_exercised, implementing_body=row.implementing_body,
            service_object=row.service_object, intermediary_service=row.intermediary_service,
            fees=row.fees, on_site_visits=row.on_site_visits, promised_days=row.promised_days,
            statutory_days=row.statutory_days, result_sample=row.result_sample,
            office_hours=row.office_hours, consultation=row.consultation, location=row.location,
            complaint_channel=row.complaint_channel,
            acceptance_conditions=row.acceptance_conditions, legal_basis=row.legal_basis,
            online_address=row.online_address,
            sample_forms=[SampleForm(name=f["name"], url=f.get("url")) for f in row.sample_forms],
            is_demo=row.is_demo,
        )


@strawberry.type
class ServiceItem:
    id: strawberry.ID
    code: str
    name: str
    item_type: ItemType
    item_type_label: str
    audience: Audience
    high_frequency: bool
    is_bundle: bool = strawberry.field(description="一件事一次办 bundle")
    is_demo: bool
    remark: str
    item_id: strawberry.Private[int]
    department_id: strawberry.Private[int]

    @strawberry.field
    async def department(self, info: Info[Context, None]) -> Department:
        row = await info.context.loaders.department.load(self.department_id)
        assert row is not None  # foreign key guarantees it
        return Department.from_model(row)

    @strawberry.field
    async def guide(self, info: Info[Context, None]) -> ServiceGuide | None:
        row = await info.context.loaders.guide.load(self.item_id)
        return ServiceGuide.from_model(row) if row else None

    @strawberry.field(description="可办理本事项的政务大厅")
    async def halls(self, info: Info[Context, None]) -> list[ServiceHall]:
        return [ServiceHall.from_model(row) for row in await info.context.loaders.halls.load(self.item_id)]

    @strawberry.field(description="好差评: 近 12 个月满意度 (one query for a whole list)")
    async def satisfaction(self, info: Info[Context, None]) -> ItemSatisfaction:
        return ItemSatisfaction.from_domain(await info.context.loaders.item_satisfaction.load(self.item_id))

    @classmethod
    def from_model(cls, row: m.ServiceItem) -> ServiceItem:
        return cls(
            id=strawberry.ID(str(row.id)), item_id=row.id, code=row.code, name=row.name,
            item_type=row.item_type, item_type_label=row.item_type.label, audience=row.audience,
            high_frequency=row.high_frequency, is_bundle=row.is_bundle, is_demo=row.is_demo,
            remark=row.remark, department_id=row.department_id,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ServiceItemEdge:
    cursor: str
    node: ServiceItem


@strawberry.type
class ServiceItemConnection:
    edges: list[ServiceItemEdge]
    page_info: PageInfo
    total_count: int


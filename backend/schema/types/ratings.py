"""GraphQL types of 好差评 and 差评整改. Nested fields load through the request's DataLoaders."""

from __future__ import annotations

from datetime import date, datetime
import strawberry
from strawberry import Info

from backend.models import ratings as m
from backend.schema.context import Context
from backend.schema.types.errors import ErrorCode
from backend.services.cases.lifecycle import now_utc
from backend.services.workdays import local_date
from backend.services.ratings import levels, report, tickets

RatingLevel = strawberry.enum(m.RatingLevel, description="好差评五级: 非常满意 … 非常不满意")
RatingChannel = strawberry.enum(m.RatingChannel, description="评价渠道")
TicketState = strawberry.enum(m.TicketState, description="差评整改工单状态")
TicketAction = strawberry.enum(m.TicketAction, description="整改工单记录")


@strawberry.type(description="评价理由标签")
class RatingReason:
    code: str
    label: str


@strawberry.type(description="一个评价等级及其可选理由")
class RatingLevelOption:
    level: RatingLevel
    label: str
    reasons: list[RatingReason]


def level_options() -> list[RatingLevelOption]:
    return [RatingLevelOption(level=level, label=levels.label(level),
                              reasons=[RatingReason(code=c, label=t) for c, t in levels.REASONS[level].items()])
            for level in m.RatingLevel]


@strawberry.type(description="事项满意度: 近 12 个月 满意+非常满意 的占比")
class ItemSatisfaction:
    ratings: int
    satisfied: int
    rate: float | None = strawberry.field(description="0–1; null when nobody has rated yet")

    @classmethod
    def from_domain(cls, found: report.Satisfaction) -> ItemSatisfaction:
        return cls(ratings=found.ratings, satisfied=found.satisfied, rate=found.rate)


@strawberry.type
class TicketEntry:
    action: TicketAction
    action_label: str
    state: TicketState
    actor_label: str
    note: str
    at: datetime

    @classmethod
    def from_model(cls, row: m.TicketEntry) -> TicketEntry:
        return cls(action=row.action, action_label=tickets.ACTION_LABELS[row.action], state=row.state,
                   actor_label=row.actor_label, note=row.note, at=row.at)


@strawberry.type(description="差评整改工单")
class RectificationTicket:
    id: strawberry.ID
    state: TicketState
    state_label: str
    found_true: bool | None = strawberry.field(description="核实结果: 属实 / 不属实; null before verification")
    finding: str
    rectification: str
    visit_level: RatingLevel | None
    visit_note: str
    awaiting_supervisor: bool = strawberry.field(description="等待电子监察人员确认")
    opened_on: date
    verify_due: date
    rectify_due: date | None
    visit_due: date | None
    verified_on: date | None
    rectified_on: date | None
    visited_on: date | None
    closed_on: date | None
    row: strawberry.Private[m.RectificationTicket]

    @strawberry.field(description="当前步骤的期限")
    def due_on(self) -> date | None:
        return tickets.due_of(self.row)

    @strawberry.field(description="当前步骤已超期")
    def overdue(self) -> bool:
        return tickets.is_overdue(self.row, today=local_date(now_utc()))

    @strawberry.field
    async def case_number(self, info: Info[Context, None]) -> str | None:
        if self.row.case_id is None:
            return None
        case = await info.context.loaders.case.load(self.row.case_id)
        return case.number if case else None

    @strawberry.field(description="到厅服务评价的预约号; null for a case's ticket")
    async def booking_number(self, info: Info[Context, None]) -> str | None:
        if self.row.case_id is not None:
            return None
        rating = await info.context.loaders.rating.load(self.row.rating_id)
        if rating is None or rating.booking_id is None:
            return None
        return await info.context.loaders.booking_number.load(rating.booking_id)

    @strawberry.field
    async def item_name(self, info: Info[Context, None]) -> str | None:
        if self.row.item_id is None:
            return None
        item = await info.context.loaders.item.load(self.row.item_id)
        return item.name if item else None

    @strawberry.field
    async def department_name(self, info: Info[Context, None]) -> str:
        department = await info.context.loaders.department.load(self.row.department_id)
        return department.name if department else ""

    @strawberry.field(description="评价人姓名 (工作人员回访用)")
    async def person_name(self, info: Info[Context, None]) -> str:
        user = await info.context.loaders.user.load(self.row.person_id)
        return user.name if user else ""

    @strawberry.field(description="引起工单的评价")
    async def rating(self, info: Info[Context, None]) -> Rating:
        row = await info.context.loaders.rating.load(self.row.rating_id)
        assert row is not None  # the foreign key guarantees it
        return Rating.from_model(row)

    @strawberry.field(description="工单记录, oldest first (append-only)")
    async def history(self, info: Info[Context, None]) -> list[TicketEntry]:
        return [TicketEntry.from_model(r) for r in await info.context.loaders.ticket_entries.load(self.row.id)]

    @classmethod
    def from_model(cls, row: m.RectificationTicket) -> RectificationTicket:
        return cls(id=strawberry.ID(str(row.id)), state=row.state, state_label=tickets.STATE_LABELS[row.state],
                   found_true=row.found_true, finding=row.finding, rectification=row.rectification,
                   visit_level=row.visit_level, visit_note=row.visit_note, awaiting_supervisor=row.awaiting_supervisor,
                   opened_on=row.opened_on, verify_due=row.verify_due, rectify_due=row.rectify_due,
                   visit_due=row.visit_due, verified_on=row.verified_on, rectified_on=row.rectified_on,
                   visited_on=row.visited_on, closed_on=row.closed_on, row=row)


@strawberry.type(description="一条好差评")
class Rating:
    id: strawberry.ID
    level: RatingLevel
    level_label: str
    reasons: list[RatingReason]
    comment: str = strawberry.field(description="Plain text: show it as text, never as HTML")
    channel: RatingChannel
    created_at: datetime
    row: strawberry.Private[m.Rating]

    @strawberry.field
    async def case_number(self, info: Info[Context, None]) -> str | None:
        if self.row.case_id is None:
            return None
        case = await info.context.loaders.case.load(self.row.case_id)
        return case.number if case else None

    @strawberry.field(description="到厅服务评价: the booking rated; null for a case's rating")
    async def booking_number(self, info: Info[Context, None]) -> str | None:
        if self.row.booking_id is None:
            return None
        return await info.context.loaders.booking_number.load(self.row.booking_id)

    @strawberry.field(description="差评整改工单 (不满意 / 非常不满意)")
    async def ticket(self, info: Info[Context, None]) -> RectificationTicket | None:
        row = await info.context.loaders.rating_ticket.load(self.row.id)
        return RectificationTicket.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: m.Rating) -> Rating:
        return cls(id=strawberry.ID(str(row.id)), level=row.level, level_label=levels.label(row.level),
                   reasons=[RatingReason(code=c, label=levels.reason_label(c)) for c in row.reasons],
                   comment=row.comment, channel=row.channel, created_at=row.created_at, row=row)


@strawberry.input
class RateCaseInput:
    case_number: str
    level: RatingLevel
    reasons: list[str] = strawberry.field(default_factory=list)
    comment: str | None = None


@strawberry.input(description="Filter of rectificationTickets; all optional")
class TicketFilterInput:
    states: list[TicketState] | None = None
    department_code: str | None = None
    item_code: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    overdue_only: bool = False
    awaiting_supervisor: bool | None = None


@strawberry.type(description="比率: numerator / denominator, exact")
class RatingRate:
    numerator: int
    denominator: int
    rate: float | None = strawberry.field(description="0–1; null when the denominator is 0")

    @classmethod
    def from_domain(cls, value: report.Fraction) -> RatingRate:
        return cls(numerator=value.numerator, denominator=value.denominator, rate=value.rate)


@strawberry.type
class RatingReportRow:
    kind: str = strawberry.field(description="TOTAL | DEPARTMENT | ITEM | HALL")
    code: str
    name: str
    department_code: str
    ratings: int
    satisfied: int
    bad: int
    tickets: int
    satisfaction: RatingRate = strawberry.field(description="(非常满意+满意) / ratings")
    verified_on_time: RatingRate
    rectified_on_time: RatingRate
    visited_on_time: RatingRate

    @classmethod
    def from_domain(cls, row: report.ReportRow) -> RatingReportRow:
        return cls(kind=row.kind, code=row.code, name=row.name, department_code=row.department_code,
                   ratings=row.ratings, satisfied=row.satisfied, bad=row.bad, tickets=row.tickets,
                   satisfaction=RatingRate.from_domain(row.satisfaction),
                   verified_on_time=RatingRate.from_domain(row.verified_on_time),
                   rectified_on_time=RatingRate.from_domain(row.rectified_on_time),
                   visited_on_time=RatingRate.from_domain(row.visited_on_time))


@strawberry.type(description="好差评统计")
class RatingReport:
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
    total: RatingReportRow
    departments: list[RatingReportRow]
    items: list[RatingReportRow]
    halls: list[RatingReportRow]

    @classmethod
    def from_domain(cls, found: report.RatingReport) -> RatingReport:
        return cls(start=found.start, end=found.end, total=RatingReportRow.from_domain(found.total),
                   departments=[RatingReportRow.from_domain(r) for r in found.departments],
                   items=[RatingReportRow.from_domain(r) for r in found.items],
                   halls=[RatingReportRow.from_domain(r) for r in found.halls])


# ---- mutation results ----------------------------------------------------------------


@strawberry.type
class CaseRated:
    rating: Rating


@strawberry.input(description="到厅服务评价: a checked-in booking, by the person who came")
class RateVisitInput:
    booking_number: str
    level: RatingLevel
    reasons: list[str] = strawberry.field(default_factory=list)
    comment: str | None = None


@strawberry.type
class VisitRated:
    rating: Rating


@strawberry.type
class RatedByToken:
    case_number: str
    rating: Rating | None = strawberry.field(description="The rating recorded (rating invitation)")
    ticket: RectificationTicket | None = strawberry.field(description="The ticket answered (return visit)")


@strawberry.type
class TicketUpdated:
    ticket: RectificationTicket


@strawberry.type(description="已评价过: 每人每件只评一次")
class AlreadyRatedError:
    code: ErrorCode
    message: str


@strawberry.type(description="一键评价凭证无效: 不认识、已用过、已过期，或不属于此办件/此人")
class RatingTokenError:
    code: ErrorCode
    message: str
    reason: str = strawberry.field(description="unknown | used | expired | foreign")


@strawberry.type(description="整改工单当前状态不允许此操作")
class TicketTransitionError:
    code: ErrorCode
    message: str
    state: TicketState

"""好差评 and 差评整改 resolvers: check input, call one service, map the result."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import Info

from backend.models import Booking, Case, ServiceItem, User
from backend.models.ratings import RatingLevel as DomainLevel
from backend.models.ratings import RectificationTicket as TicketRow
from backend.models.ratings import TicketState as DomainState
from backend.resolvers.inputs import record_id, record_key
from backend.resolvers.errors import user_errors
from backend.schema.context import Context
from backend.schema.types import errors as e
from backend.schema.types.bookings import BookingNotActiveError
from backend.schema.types.cases import InvalidTransitionError
from backend.schema.types.ratings import (
    AlreadyRatedError, CaseRated, ItemSatisfaction, RatedByToken, RateCaseInput, RateVisitInput, Rating, RatingLevel,
    RatingLevelOption, RatingReport, RatingTokenError, RectificationTicket, TicketFilterInput, TicketTransitionError,
    TicketUpdated, VisitRated,
    level_options,
)
from backend.services.errors import ValidationError
from backend.services.ratings import rating as ratings, report, tickets, visit


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


def _ticket_id(raw: strawberry.ID) -> int:
    found = record_id(raw, model=TicketRow, field="ticketId", message="工单编号格式不正确")
    return found if found is not None else 0  # no ticket has id 0: the service answers not-found


# ---- queries ---------------------------------------------------------------------------


def rating_levels() -> list[RatingLevelOption]:
    return level_options()


@user_errors
async def my_rating(info: Info[Context, None], case_number: str) -> Rating | None:
    number = record_key(case_number, model=Case, column="number", field="caseNumber", message="办件编号格式不正确")
    row = await ratings.my_rating(user=_viewer(info), number=number) if number else None
    return Rating.from_model(row) if row else None


@user_errors
async def my_visit_rating(info: Info[Context, None], booking_number: str) -> Rating | None:
    number = record_key(booking_number, model=Booking, column="number", field="bookingNumber",
                        message="预约号格式不正确")
    row = await visit.my_visit_rating(user=_viewer(info), number=number) if number else None
    return Rating.from_model(row) if row else None


@user_errors
async def item_satisfaction(info: Info[Context, None], item_code: str) -> ItemSatisfaction | None:
    code = record_key(item_code, model=ServiceItem, column="code", field="itemCode", message="事项编码格式不正确")
    found = await report.item_satisfaction(item_code=code) if code else None
    return ItemSatisfaction.from_domain(found) if found else None


@user_errors
async def rectification_tickets(info: Info[Context, None], filter: TicketFilterInput | None = None,
                                first: int = 50) -> list[RectificationTicket]:
    f = filter or TicketFilterInput()
    where = tickets.TicketFilter(
        states=tuple(DomainState(s.value) for s in f.states or []), department_code=f.department_code,
        item_code=f.item_code, opened_from=f.opened_from, opened_to=f.opened_to, overdue_only=f.overdue_only,
        awaiting_supervisor=f.awaiting_supervisor)
    rows = await tickets.list_tickets(viewer=_viewer(info), where=where, first=first)
    return [RectificationTicket.from_model(row) for row in rows]


async def rectification_ticket(info: Info[Context, None], id: strawberry.ID) -> RectificationTicket | None:
    text = str(id).strip()
    ticket_id = record_id(text, model=TicketRow, field="id") if text.isascii() and text.isdigit() else None
    if ticket_id is None:  # no ticket can have that id
        return None
    row = await tickets.get_ticket(viewer=_viewer(info), ticket_id=ticket_id)
    return RectificationTicket.from_model(row) if row else None


@user_errors
async def rating_report(info: Info[Context, None], from_: Annotated[date, strawberry.argument(name="from")],
                        to: date, department_code: str | None = None) -> RatingReport:
    found = await report.rating_report(viewer=_viewer(info), start=from_, end=to, department_code=department_code)
    return RatingReport.from_domain(found)


# ---- mutations -------------------------------------------------------------------------

Common = e.InputError | e.NotPermittedError | e.NotFoundError
RateCaseResult = Annotated[CaseRated | AlreadyRatedError | InvalidTransitionError | Common,
                           strawberry.union("RateCaseResult")]
RateVisitResult = Annotated[VisitRated | AlreadyRatedError | BookingNotActiveError | Common,
                            strawberry.union("RateVisitResult")]
RateByTokenResult = Annotated[RatedByToken | RatingTokenError | AlreadyRatedError | InvalidTransitionError
                              | TicketTransitionError | Common,
                              strawberry.union("RateByTokenResult")]
_TicketResult = TicketUpdated | TicketTransitionError | Common
VerifyRatingResult = Annotated[_TicketResult, strawberry.union("VerifyRatingResult")]
RecordRectificationResult = Annotated[_TicketResult, strawberry.union("RecordRectificationResult")]
RecordReturnVisitResult = Annotated[_TicketResult, strawberry.union("RecordReturnVisitResult")]
AnswerReturnVisitResult = Annotated[_TicketResult, strawberry.union("AnswerReturnVisitResult")]
ConfirmRatingTicketResult = Annotated[_TicketResult, strawberry.union("ConfirmRatingTicketResult")]


async def rate_case(info: Info[Context, None], input: RateCaseInput) -> RateCaseResult:
    row = await ratings.rate_case(
        user=_viewer(info), number=input.case_number, days=tickets.TicketDays.from_settings(info.context.settings), bus=info.context.bus,
        rating=ratings.RatingInput(level=DomainLevel(input.level.value), reasons=list(input.reasons),
                                   comment=input.comment))
    return CaseRated(rating=Rating.from_model(row))


async def rate_visit(info: Info[Context, None], input: RateVisitInput) -> RateVisitResult:
    row = await visit.rate_visit(
        user=_viewer(info), number=input.booking_number, days=tickets.TicketDays.from_settings(info.context.settings),
        bus=info.context.bus, rating=ratings.RatingInput(level=DomainLevel(input.level.value),
                                                        reasons=list(input.reasons), comment=input.comment))
    return VisitRated(rating=Rating.from_model(row))


async def rate_by_token(info: Info[Context, None], token: str, level: RatingLevel,
                        case_number: str | None = None) -> RateByTokenResult:
    """Authorised by the token alone (the service worker has no access token); when a person is
    signed in, the token must be theirs."""
    answer = await ratings.rate_by_token(raw=token, level=DomainLevel(level.value), case_number=case_number,
                                         viewer=info.context.viewer, days=tickets.TicketDays.from_settings(info.context.settings),
                                         bus=info.context.bus)
    return RatedByToken(case_number=answer.case.number,
                        rating=Rating.from_model(answer.rating) if answer.rating else None,
                        ticket=RectificationTicket.from_model(answer.ticket) if answer.ticket else None)


async def verify_rating(info: Info[Context, None], ticket_id: strawberry.ID, found_true: bool,
                        finding: str) -> VerifyRatingResult:
    row = await tickets.verify(actor=_viewer(info), ticket_id=_ticket_id(ticket_id), found_true=found_true,
                               finding=finding, days=tickets.TicketDays.from_settings(info.context.settings), bus=info.context.bus)
    return TicketUpdated(ticket=RectificationTicket.from_model(row))


async def record_rectification(info: Info[Context, None], ticket_id: strawberry.ID,
                               rectification: str) -> RecordRectificationResult:
    row = await tickets.record_rectification(actor=_viewer(info), ticket_id=_ticket_id(ticket_id),
                                             rectification=rectification, days=tickets.TicketDays.from_settings(info.context.settings),
                                             bus=info.context.bus)
    return TicketUpdated(ticket=RectificationTicket.from_model(row))


async def record_return_visit(info: Info[Context, None], ticket_id: strawberry.ID, level: RatingLevel,
                              note: str | None = None) -> RecordReturnVisitResult:
    row = await tickets.record_return_visit(actor=_viewer(info), ticket_id=_ticket_id(ticket_id),
                                            level=DomainLevel(level.value), note=note, bus=info.context.bus)
    return TicketUpdated(ticket=RectificationTicket.from_model(row))


async def answer_return_visit(info: Info[Context, None], ticket_id: strawberry.ID, level: RatingLevel,
                              note: str | None = None) -> AnswerReturnVisitResult:
    row = await tickets.answer_visit(person=_viewer(info), ticket_id=_ticket_id(ticket_id),
                                     level=DomainLevel(level.value), note=note, bus=info.context.bus)
    return TicketUpdated(ticket=RectificationTicket.from_model(row))


async def confirm_rating_ticket(info: Info[Context, None], ticket_id: strawberry.ID, agree: bool,
                                note: str | None = None) -> ConfirmRatingTicketResult:
    row = await tickets.confirm(actor=_viewer(info), ticket_id=_ticket_id(ticket_id), agree=agree, note=note,
                                days=tickets.TicketDays.from_settings(info.context.settings), bus=info.context.bus)
    return TicketUpdated(ticket=RectificationTicket.from_model(row))

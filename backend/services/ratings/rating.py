"""Rating a case: who may, when, and what one rating records.

Only the applicant, or for an enterprise case its legal representative, may rate; to anyone
else the case does not exist (NOT_FOUND), staff of the case's department included. A case is
rateable once it has a decision or result. One rating per case per person: checked first for a
clear answer, and enforced by the unique (rater, target_key) pair when two taps race. A bad
rating opens its rectification ticket in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.bus import Bus
from backend.models import Case, Membership, Rating, RectificationTicket, User
from backend.models.cases import CaseStatus
from backend.models.identity import MembershipRole
from backend.models.ratings import RatingChannel, RatingLevel, RatingTargetKind, RatingTokenPurpose
from backend.services.cases.access import staff_department
from backend.services.errors import AlreadyRatedError, InvalidTransitionError, NotFoundError
from backend.services.notifications.inbox import announce_notifications
from backend.services.ratings import levels, tickets, tokens

RATEABLE = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.DELIVERED, CaseStatus.TERMINATED)


def case_key(case_id: int) -> str:
    return f"case:{case_id}"


async def may_rate(case: Case, user: User) -> bool:
    if staff_department(user) == case.department_id:
        return False  # a department never rates its own service
    if case.applicant_id == user.id:
        return True
    if case.enterprise_id is None:
        return False
    return await Membership.filter(user_id=user.id, enterprise_id=case.enterprise_id,
                                   role=MembershipRole.LEGAL_REPRESENTATIVE).exists()


async def rateable_case(*, number: str, user: User) -> Case:
    case = await Case.get_or_none(number=(number or "").strip())
    if case is None or not await may_rate(case, user):
        raise NotFoundError("未找到该办件")
    return case


@dataclass(frozen=True)
class RatingInput:
    level: RatingLevel
    reasons: list[str]
    comment: str | None


async def rate_case(*, user: User, number: str, rating: RatingInput, days: tickets.TicketDays, bus: Bus | None,
                    channel: RatingChannel = RatingChannel.APP, now: datetime | None = None) -> Rating:
    now = now or datetime.now(timezone.utc)
    case = await rateable_case(number=number, user=user)
    reasons = levels.check_reasons(rating.level, rating.reasons)
    comment = levels.check_comment(rating.comment)
    return await record_once(lambda conn: _record(conn, case=case, user=user, level=rating.level, reasons=reasons,
                                                  comment=comment, channel=channel, days=days, now=now),
                             already="您已评价过该办件", bus=bus)


async def record_once(record: Callable[[BaseDBAsyncClient], Awaitable[Rating]], *, already: str,
                      bus: Bus | None) -> Rating:
    """Record a rating (and its ticket) in one transaction. Two racing taps are settled by the
    unique (rater, target_key): the loser is told it is already rated, in `already`'s words."""
    try:
        async with in_transaction() as conn:
            row = await record(conn)
    except IntegrityError:
        raise AlreadyRatedError(already) from None
    announce_notifications(bus)
    return row


async def _record(conn: BaseDBAsyncClient, *, case: Case, user: User, level: RatingLevel, reasons: list[str],
                  comment: str, channel: RatingChannel, days: tickets.TicketDays, now: datetime) -> Rating:
    status = await Case.filter(id=case.id).using_db(conn).first().values_list("status", flat=True)
    if status not in RATEABLE:
        raise InvalidTransitionError("办件有审批结果或已办结后才能评价", status=str(status))
    if await Rating.filter(rater_id=user.id, target_key=case_key(case.id)).using_db(conn).exists():
        raise AlreadyRatedError("您已评价过该办件")
    row = Rating(rater_id=user.id, target_kind=RatingTargetKind.CASE, target_key=case_key(case.id), case_id=case.id,
                 department_id=case.department_id, item_id=case.item_id, level=level, reasons=reasons,
                 comment=comment, channel=channel)
    await row.save(using_db=conn)
    if level in levels.BAD:
        await tickets.open_ticket(conn, rating=row, days=days, now=now)
    return row


async def my_rating(*, user: User, number: str) -> Rating | None:
    case = await rateable_case(number=number, user=user)
    return await Rating.get_or_none(rater_id=user.id, target_key=case_key(case.id))


@dataclass(frozen=True)
class TokenAnswer:
    case: Case
    rating: Rating | None  # the rating recorded (RATE)
    ticket: RectificationTicket | None  # the ticket whose return visit was answered (RETURN_VISIT)


async def rate_by_token(*, raw: object, level: RatingLevel, days: tickets.TicketDays, bus: Bus | None,
                        case_number: str | None = None, viewer: User | None = None,
                        now: datetime | None = None) -> TokenAnswer:
    """One tap from the push. Everything runs in one transaction with the token's use, so a
    refusal of any kind (foreign, already rated, not rateable) leaves the token and the data
    as they were."""
    now = now or datetime.now(timezone.utc)
    try:
        async with in_transaction() as conn:
            token = await tokens.redeem(conn, raw=raw, now=now)
            case = await Case.get(id=token.case_id).using_db(conn)
            user = await User.get(id=token.user_id).using_db(conn)
            if (case_number is not None and case_number.strip() != case.number) or (
                    viewer is not None and viewer.id != user.id):
                raise tokens.foreign()
            if token.purpose is RatingTokenPurpose.RETURN_VISIT:
                if token.ticket_id is None:
                    raise tokens.foreign()
                ticket = await tickets.answer_visit_in(conn, ticket_id=token.ticket_id, person=user, level=level,
                                                       now=now)
                answer = TokenAnswer(case=case, rating=None, ticket=ticket)
            else:
                if not await may_rate(case, user):
                    raise tokens.foreign()
                rating = await _record(conn, case=case, user=user, level=level, reasons=[], comment="",
                                       channel=RatingChannel.PUSH, days=days, now=now)
                answer = TokenAnswer(case=case, rating=rating, ticket=None)
    except IntegrityError:
        raise AlreadyRatedError("您已评价过该办件") from None
    announce_notifications(bus)
    return answer

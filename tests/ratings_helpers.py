"""Reaching a rateable case and rating it through the API, as the PWA does."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cases_helpers import ACCEPT, APPROVE, DELIVER, call, move, submitted_case

RATING_FIELDS = """id level levelLabel reasons { code label } comment channel caseNumber
  ticket { id state stateLabel foundTrue finding rectification visitLevel awaitingSupervisor openedOn verifyDue
           rectifyDue visitDue dueOn overdue caseNumber history { action state actorLabel note } }"""
RATE = """mutation($input: RateCaseInput!) { rateCase(input: $input) { __typename
  ... on CaseRated { rating { %s } }
  ... on AlreadyRatedError { code message } ... on InvalidTransitionError { code message status }
  ... on InputError { code field message } ... on NotPermittedError { code message } ... on NotFoundError { code message }
} }""" % RATING_FIELDS
MY_RATING = "query($n: String!) { myRating(caseNumber: $n) { %s } }" % RATING_FIELDS
BY_TOKEN = """mutation($t: String!, $l: RatingLevel!, $n: String) { rateByToken(token: $t, level: $l, caseNumber: $n) {
  __typename ... on RatedByToken { caseNumber rating { id level channel } ticket { id state } }
  ... on RatingTokenError { code message reason } ... on AlreadyRatedError { code message }
  ... on InvalidTransitionError { code message status } ... on InputError { code field message }
  ... on NotFoundError { code message } ... on NotPermittedError { code message } } }"""
TICKET_FIELDS = """id state foundTrue finding rectification visitLevel awaitingSupervisor openedOn verifyDue rectifyDue
  visitDue verifiedOn rectifiedOn visitedOn closedOn dueOn overdue caseNumber itemName departmentName personName
  rating { level reasons { label } comment } history { action actionLabel state actorLabel note }"""
TICKETS = "query($f: TicketFilterInput) { rectificationTickets(filter: $f) { %s } }" % TICKET_FIELDS


def ticket_mutation(name: str, args: str, params: str) -> str:
    return """mutation($id: ID!%s) { %s(ticketId: $id%s) { __typename ... on TicketUpdated { ticket { %s } }
  ... on TicketTransitionError { code message state } ... on InputError { code field message }
  ... on NotPermittedError { code message } ... on NotFoundError { code message } } }""" % (
        params, name, args, TICKET_FIELDS)


VERIFY = ticket_mutation("verifyRating", ", foundTrue: $true, finding: $finding", ", $true: Boolean!, $finding: String!")
RECTIFY = ticket_mutation("recordRectification", ", rectification: $text", ", $text: String!")
VISIT = ticket_mutation("recordReturnVisit", ", level: $level, note: $note", ", $level: RatingLevel!, $note: String")
ANSWER = ticket_mutation("answerReturnVisit", ", level: $level", ", $level: RatingLevel!")
CONFIRM = ticket_mutation("confirmRatingTicket", ", agree: $agree, note: $note", ", $agree: Boolean!, $note: String")


async def delivered_case(client: httpx.AsyncClient, applicant: str, staff: str, **kwargs: Any) -> dict[str, Any]:
    case = await submitted_case(client, applicant, **kwargs)
    await move(client, staff, ACCEPT, case["number"])
    await move(client, staff, APPROVE, case["number"])
    delivered = await move(client, staff, DELIVER, case["number"], method="WINDOW")
    assert delivered["__typename"] == "CaseUpdated", delivered
    return delivered["case"]


async def rate(client: httpx.AsyncClient, token: str | None, number: str, level: str, *,
               reasons: list[str] | None = None, comment: str | None = None) -> dict[str, Any]:
    data = await call(client, token, RATE, {"input": {"caseNumber": number, "level": level,
                                                      "reasons": reasons or [], "comment": comment}})
    return data["rateCase"]


async def ticket_move(client: httpx.AsyncClient, token: str, mutation: str, ticket_id: str, **variables: Any) -> Any:
    data = await call(client, token, mutation, {"id": ticket_id, **variables})
    return next(iter(data.values()))


VISIT_RATING_FIELDS = """id level levelLabel reasons { code label } comment bookingNumber caseNumber
  ticket { id state caseNumber bookingNumber itemName departmentName history { action note } }"""
RATE_VISIT = """mutation($input: RateVisitInput!) { rateVisit(input: $input) { __typename
  ... on VisitRated { rating { %s } }
  ... on AlreadyRatedError { code message } ... on BookingNotActiveError { code message status }
  ... on InputError { code field message } ... on NotPermittedError { code message } ... on NotFoundError { code message }
} }""" % VISIT_RATING_FIELDS
MY_VISIT_RATING = "query($n: String!) { myVisitRating(bookingNumber: $n) { %s } }" % VISIT_RATING_FIELDS


async def rate_visit(client: httpx.AsyncClient, token: str | None, number: str, level: str, *,
                     reasons: list[str] | None = None, comment: str | None = None) -> dict[str, Any]:
    data = await call(client, token, RATE_VISIT, {"input": {"bookingNumber": number, "level": level,
                                                            "reasons": reasons or [], "comment": comment}})
    return data["rateVisit"]

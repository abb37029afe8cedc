"""差评整改: a bad rating opens a ticket for the department; verify → rectify → return visit →
closed, on the working-day calendar; "not true" goes to the supervisor; the history is
append-only; the person is told at each step; 电子监察 warns and flags overdue steps once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

import httpx

from backend.models import Notification, RectificationTicket, TicketEntry
from backend.models.ratings import RatingLevel, TicketStage, TicketState
from backend.services.workdays import CHINA
from backend.services.ratings import tickets
from backend.services.cases.supervision import supervise
from backend.services.workdays import working_calendar
from tests.cases_helpers import call
from tests.ratings_helpers import (
    ANSWER, CONFIRM, MY_RATING, RECTIFY, TICKETS, VERIFY, VISIT, delivered_case, rate, ticket_move,
)


def _today() -> date:
    return datetime.now(CHINA).date()


async def test_a_bad_rating_is_verified_rectified_and_visited_on_the_calendar(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff, supervisor = token("citizen"), token("staff"), token("supervisor")
    number = (await delivered_case(client, citizen, staff))["number"]
    rated = await rate(client, citizen, number, "VERY_UNSATISFIED", reasons=["SLOW", "UNCLEAR_GUIDE"],
                       comment="跑了三次")
    ticket = rated["rating"]["ticket"]
    calendar = working_calendar()
    assert ticket["state"] == "OPEN" and ticket["caseNumber"] == number
    assert ticket["verifyDue"] == calendar.add_working_days(_today(), 1).isoformat() == ticket["dueOn"]
    assert [h["action"] for h in ticket["history"]] == ["OPENED"]
    assert ticket["history"][0]["note"] == "非常不满意：办理慢、指引不清"

    listed = (await call(client, staff, TICKETS, {"f": {"states": ["OPEN"]}}))["rectificationTickets"]
    mine = next(t for t in listed if t["id"] == ticket["id"])
    assert (mine["departmentName"], mine["personName"], mine["rating"]["comment"]) == ("市教育局", "王晓明", "跑了三次")
    assert not [t for t in (await call(client, supervisor, TICKETS, {"f": {"departmentCode": "D01"}}))[
        "rectificationTickets"] if t["id"] == ticket["id"]]

    # Only the department's staff work it; the person and others cannot.
    for persona, code in (("citizen", "NOT_FOUND"), ("citizen2", "NOT_FOUND"), ("supervisor", "NOT_PERMITTED")):
        denied = await ticket_move(client, token(persona), VERIFY, ticket["id"], true=True, finding="x")
        assert denied["code"] == code, persona
    assert (await ticket_move(client, staff, VERIFY, ticket["id"], true=True, finding="  "))["field"] == "finding"
    assert await TicketEntry.filter(ticket_id=int(ticket["id"])).count() == 1

    verified = (await ticket_move(client, staff, VERIFY, ticket["id"], true=True,
                                  finding="窗口指引确有遗漏"))["ticket"]
    assert (verified["state"], verified["foundTrue"], verified["verifiedOn"]) == ("VERIFIED", True, _today().isoformat())
    assert verified["rectifyDue"] == calendar.add_working_days(_today(), 15).isoformat()
    again = await ticket_move(client, staff, VERIFY, ticket["id"], true=False, finding="再核实")
    assert (again["__typename"], again["state"]) == ("TicketTransitionError", "VERIFIED")
    early = await ticket_move(client, staff, VISIT, ticket["id"], level="SATISFIED", note=None)
    assert early["__typename"] == "TicketTransitionError"

    rectified = (await ticket_move(client, staff, RECTIFY, ticket["id"], text="一次性告知单已补全"))["ticket"]
    assert rectified["state"] == "RECTIFIED"
    assert rectified["visitDue"] == calendar.add_working_days(_today(), 3).isoformat()
    visit = await Notification.get(case__number=number, kind="RATING_RETURN_VISIT")
    assert visit.link == f"/cases/{number}?visit=1" and "一次性告知单已补全" in visit.body

    # The person sees the ticket on the case page, and answers the return visit.
    seen = (await call(client, citizen, MY_RATING, {"n": number}))["myRating"]["ticket"]
    assert seen["state"] == "RECTIFIED"
    assert (await ticket_move(client, token("citizen2"), ANSWER, ticket["id"], level="SATISFIED"))["code"] == "NOT_FOUND"
    answered = (await ticket_move(client, citizen, ANSWER, ticket["id"], level="SATISFIED"))["ticket"]
    assert (answered["state"], answered["visitLevel"], answered["closedOn"]) == ("CLOSED", "SATISFIED",
                                                                               _today().isoformat())
    assert [h["action"] for h in answered["history"]] == ["OPENED", "VERIFIED", "RECTIFIED", "VISIT_REQUESTED",
                                                          "VISITED", "CLOSED"]
    steps = await Notification.filter(case__number=number, kind__in=["RECTIFICATION_PROGRESS", "RATING_RETURN_VISIT"]
                                      ).order_by("id").values_list("source", flat=True)
    assert [s.split(":")[-1] for s in steps] == ["opened", "verified", "visit", "visited"]


async def test_not_true_goes_to_the_supervisor_who_confirms_or_overrules(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff, supervisor = token("citizen"), token("staff"), token("supervisor")
    ids = []
    for _ in range(2):
        number = (await delivered_case(client, citizen, staff))["number"]
        ids.append((await rate(client, citizen, number, "UNSATISFIED"))["rating"]["ticket"]["id"])
        verified = (await ticket_move(client, staff, VERIFY, ids[-1], true=False, finding="经调取录像，态度无问题"))
        assert (verified["ticket"]["state"], verified["ticket"]["awaitingSupervisor"]) == ("VERIFIED", True)
        assert (await ticket_move(client, staff, RECTIFY, ids[-1], text="x"))["__typename"] == "TicketTransitionError"
    waiting = (await call(client, supervisor, TICKETS, {"f": {"awaitingSupervisor": True}}))["rectificationTickets"]
    assert set(ids) <= {t["id"] for t in waiting}
    assert (await ticket_move(client, staff, CONFIRM, ids[0], agree=True, note=None))["code"] == "NOT_PERMITTED"

    closed = (await ticket_move(client, supervisor, CONFIRM, ids[0], agree=True, note="同意不属实"))["ticket"]
    assert (closed["state"], closed["awaitingSupervisor"]) == ("CLOSED", False)
    assert [h["action"] for h in closed["history"]][-2:] == ["CONFIRMED", "CLOSED"]

    overruled = (await ticket_move(client, supervisor, CONFIRM, ids[1], agree=False, note="录像显示未一次告知"))["ticket"]
    assert (overruled["state"], overruled["foundTrue"], overruled["awaitingSupervisor"]) == ("VERIFIED", True, False)
    assert overruled["rectifyDue"] == working_calendar().add_working_days(_today(), 15).isoformat()
    rectified = (await ticket_move(client, staff, RECTIFY, ids[1], text="已培训"))["ticket"]
    still_bad = (await ticket_move(client, staff, VISIT, ids[1], level="UNSATISFIED", note="电话回访"))["ticket"]
    assert rectified["state"] == "RECTIFIED"
    assert (still_bad["state"], still_bad["awaitingSupervisor"]) == ("VISITED", True)
    done = (await ticket_move(client, supervisor, CONFIRM, ids[1], agree=True, note="已督办"))["ticket"]
    assert done["state"] == "CLOSED"


async def test_deadlines_follow_the_working_day_calendar() -> None:
    """Rated on the eve of the National Day holiday: verification is due after it."""
    days = tickets.TicketDays()
    calendar = working_calendar()
    assert calendar.add_working_days(date(2026, 9, 30), days.verify) == date(2026, 10, 8)
    # 15 working days from Friday 9 October count Saturday 10 October (a make-up working day).
    assert calendar.add_working_days(date(2026, 10, 9), days.rectify) == date(2026, 10, 29)
    assert calendar.add_working_days(date(2026, 9, 29), days.visit) == date(2026, 10, 9)


async def test_supervision_warns_on_the_last_day_and_flags_overdue_once(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    number = (await delivered_case(client, citizen, staff))["number"]
    ticket_id = int((await rate(client, citizen, number, "UNSATISFIED"))["rating"]["ticket"]["id"])
    # Move the ticket into a known week: opened Tuesday 3 November 2026, due Wednesday 4 November.
    await RectificationTicket.filter(id=ticket_id).update(opened_on=date(2026, 11, 3), verify_due=date(2026, 11, 4))

    def at(day: int) -> datetime:
        return datetime.combine(date(2026, 11, day), time(10), CHINA)

    await supervise(warn_percent=80, bus=None, now=at(3))
    assert not await TicketEntry.filter(ticket_id=ticket_id, action__in=["DUE_SOON", "OVERDUE"]).exists()
    first = await supervise(warn_percent=80, bus=None, now=at(4))
    await supervise(warn_percent=80, bus=None, now=at(4))
    assert first.tickets_warned >= 1
    late = await supervise(warn_percent=80, bus=None, now=at(5))
    await supervise(warn_percent=80, bus=None, now=at(6))
    assert late.tickets_overdue >= 1
    flagged = await TicketEntry.filter(ticket_id=ticket_id, action__in=["DUE_SOON", "OVERDUE"]).order_by("id")
    assert [(e.action.value, e.note) for e in flagged] == [("DUE_SOON", "核实将于 2026年11月04日 到期"),
                                                           ("OVERDUE", "核实已超过期限（2026年11月04日）")]
    row = await RectificationTicket.get(id=ticket_id)
    assert (row.warned_stage, row.overdue_stage) == (TicketStage.VERIFY, TicketStage.VERIFY)
    overdue = (await call(client, staff, TICKETS, {"f": {"overdueOnly": True}}))["rectificationTickets"]
    assert str(ticket_id) in {t["id"] for t in overdue}
    assert next(t for t in overdue if t["id"] == str(ticket_id))["overdue"] is True
    # The 电子监察 report counts the department's open and overdue tickets with its cases.
    report = (await call(client, token("supervisor"), """{ supervision { ticketsOpen ticketsOverdue
        departments { department { code } ticketsOpen ticketsOverdue } } }"""))["supervision"]
    education = next(d for d in report["departments"] if d["department"]["code"] == "D02")
    assert education["ticketsOpen"] >= education["ticketsOverdue"] >= 1
    assert report["ticketsOpen"] >= education["ticketsOpen"] and report["ticketsOverdue"] >= education["ticketsOverdue"]
    own = (await call(client, staff, "{ supervision { ticketsOpen departments { department { code } } } }"))[
        "supervision"]
    assert {d["department"]["code"] for d in own["departments"]} == {"D02"} and own["ticketsOpen"] >= 1
    # The next step has its own deadline, warned and flagged once again.
    await RectificationTicket.filter(id=ticket_id).update(state=TicketState.VERIFIED, stage=TicketStage.RECTIFY,
                                                          found_true=True, rectify_due=date(2026, 11, 6))
    await supervise(warn_percent=80, bus=None, now=at(9))
    assert await TicketEntry.filter(ticket_id=ticket_id, action="OVERDUE").count() == 2


async def test_the_return_visit_push_answers_once_with_its_own_token(
        client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    from datetime import timedelta

    from backend.models import Case
    from backend.services.ratings.tokens import mint_for_push

    citizen, staff = token("citizen"), token("staff")
    number = (await delivered_case(client, citizen, staff))["number"]
    ticket_id = (await rate(client, citizen, number, "UNSATISFIED"))["rating"]["ticket"]["id"]
    case = await Case.get(number=number)
    ttl = timedelta(hours=1)
    assert await mint_for_push(kind="RATING_RETURN_VISIT", user_id=case.applicant_id, case_id=case.id, ttl=ttl) is None
    await ticket_move(client, staff, VERIFY, ticket_id, true=True, finding="属实")
    await ticket_move(client, staff, RECTIFY, ticket_id, text="已整改")
    raw = await mint_for_push(kind="RATING_RETURN_VISIT", user_id=case.applicant_id, case_id=case.id, ttl=ttl)
    assert raw is not None
    answered = await client.post("/ratings/quick", json={"token": raw, "level": "satisfied", "caseNumber": number})
    assert answered.json() == {"ok": True, "caseNumber": number, "level": "SATISFIED", "levelLabel": "满意",
                               "returnVisit": True}
    row = await RectificationTicket.get(id=int(ticket_id))
    assert (row.state, row.visit_level) == (TicketState.CLOSED, RatingLevel.SATISFIED)
    replayed = await client.post("/ratings/quick", json={"token": raw, "level": "unsatisfied"})
    assert (replayed.status_code, replayed.json()["error"]["reason"]) == (403, "used")
    assert (await RectificationTicket.get(id=int(ticket_id))).visit_level is RatingLevel.SATISFIED
    # The first rating is what it was: the return visit is recorded on the ticket.
    assert (await call(client, citizen, MY_RATING, {"n": number}))["myRating"]["level"] == "UNSATISFIED"

"""好差评统计: the exact rates on a seeded set with known answers, per department and item."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta

import httpx
import pytest

from backend.models import Case, Department, Rating, RectificationTicket, TicketEntry, User
from backend.models.cases import CaseStatus
from backend.models.ratings import RatingLevel
from backend.services.workdays import CHINA
from backend.services.errors import NotPermittedError, ValidationError
from backend.services.ratings import rating, report, tickets
from backend.services.workdays import working_calendar
from tests.cases_helpers import call
from tests.factories import delete_department, make_cases, make_department, make_items

L = RatingLevel
DAYS = tickets.TicketDays()


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA)


@pytest.fixture
async def department() -> AsyncIterator[Department]:
    """A department of its own, removed afterwards with everything rated in it (other tests
    count the catalog's departments)."""
    made = await make_department(name="好差评测试局")
    yield made
    await TicketEntry.filter(ticket__department=made).delete()
    await RectificationTicket.filter(department=made).delete()
    await Rating.filter(department=made).delete()
    await Case.filter(department=made).delete()
    await delete_department(made)


async def test_the_rates_are_exact_on_a_seeded_set(client: httpx.AsyncClient, token: Callable[..., str],
                                                   department: Department) -> None:
    first, second = await make_items(department=department, count=2, prefix=f"RT{department.id:04d}")
    person = await User.create(sub=f"rating-person-{department.id}", name="评价人")
    staff = await User.create(sub=f"rating-staff-{department.id}", name="核实员", roles=["STAFF"],
                              department_id=department.id)
    supervisor = await User.create(sub=f"rating-supervisor-{department.id}", name="监察员", roles=["SUPERVISOR"])
    levels_by_item = {first.id: [L.VERY_SATISFIED, L.SATISFIED, L.BASICALLY_SATISFIED, L.UNSATISFIED,
                                 L.VERY_UNSATISFIED],
                      second.id: [L.SATISFIED, L.UNSATISFIED, L.UNSATISFIED]}
    now = datetime.now(CHINA)
    today = now.date()
    calendar = working_calendar()
    bad: list[int] = []
    for item in (first, second):
        cases = await make_cases(applicant=person, item=item, count=len(levels_by_item[item.id]))
        await Case.filter(id__in=[c.id for c in cases]).update(status=CaseStatus.DELIVERED)
        for case, level in zip(cases, levels_by_item[item.id]):
            row = await rating.rate_case(user=person, number=case.number, days=DAYS, bus=None, now=now,
                                         rating=rating.RatingInput(level=level, reasons=[], comment=None))
            if level in (L.UNSATISFIED, L.VERY_UNSATISFIED):
                bad.append((await tickets.tickets_by_rating_id([row.id]))[0].id)
    a, b, c, d = bad  # a, b: the first item's; c, d: the second's
    # A: verified, rectified and visited on time.
    await tickets.verify(actor=staff, ticket_id=a, found_true=True, finding="属实", days=DAYS, bus=None, now=now)
    await tickets.record_rectification(actor=staff, ticket_id=a, rectification="已改", days=DAYS, bus=None, now=now)
    await tickets.answer_visit(person=person, ticket_id=a, level=L.SATISFIED, note=None, bus=None, now=now)
    # B: verified 3 working days late, rectified a working day after its deadline, never visited.
    late_verify = calendar.add_working_days(today, 3)
    await tickets.verify(actor=staff, ticket_id=b, found_true=True, finding="属实", days=DAYS, bus=None,
                         now=at(late_verify))
    late_rectify = calendar.add_working_days(calendar.add_working_days(late_verify, DAYS.rectify), 1)
    await tickets.record_rectification(actor=staff, ticket_id=b, rectification="已改", days=DAYS, bus=None,
                                       now=at(late_rectify))
    # C: never verified. D: verified on time, not true (no rectification or visit to judge).
    await tickets.verify(actor=staff, ticket_id=d, found_true=False, finding="不属实", days=DAYS, bus=None, now=now)

    judged_on = today + timedelta(days=90)  # every deadline above has passed
    found = await report.rating_report(viewer=supervisor, start=today, end=today, department_code=department.code,
                                       today=judged_on)

    def figures(row: report.ReportRow) -> tuple:  # type: ignore[type-arg]
        return (row.ratings, row.satisfied, row.bad, row.tickets, (row.satisfaction.numerator, row.satisfaction.denominator),
                *((f.numerator, f.denominator) for f in (row.verified_on_time, row.rectified_on_time, row.visited_on_time)))

    [dept] = found.departments
    assert (dept.code, dept.name) == (department.code, "好差评测试局")
    assert figures(dept) == (8, 3, 4, 4, (3, 8), (2, 4), (1, 2), (1, 2))
    assert dept.satisfaction.rate == 0.375 and dept.verified_on_time.rate == 0.5
    assert [i.code for i in found.items] == [first.code, second.code]
    assert figures(found.items[0]) == (5, 2, 2, 2, (2, 5), (1, 2), (1, 2), (1, 2))
    assert figures(found.items[1]) == (3, 1, 2, 2, (1, 3), (1, 2), (0, 0), (0, 0))
    assert found.items[1].rectified_on_time.rate is None  # nothing to judge is not 0 %
    assert figures(found.total) == figures(dept)
    assert found.halls == []  # case ratings name no hall; hall visits will (docs/RATINGS.md)

    # Judged on the day itself, C's verification (due tomorrow) is not yet judged, nor B's late steps
    # (done in the future of that day they are already recorded, so they count as done).
    early = await report.rating_report(viewer=supervisor, start=today, end=today, department_code=department.code,
                                       today=today)
    assert (early.departments[0].verified_on_time.numerator, early.departments[0].verified_on_time.denominator) == (2, 3)
    # A period without them, and who may ask.
    empty = await report.rating_report(viewer=supervisor, start=today - timedelta(days=30),
                                       end=today - timedelta(days=1), department_code=department.code)
    assert empty.departments == [] and empty.total.ratings == 0 and empty.total.satisfaction.rate is None
    with pytest.raises(NotPermittedError):
        await report.rating_report(viewer=person, start=today, end=today)
    with pytest.raises(ValidationError) as reversed_period:
        await report.rating_report(viewer=supervisor, start=today, end=today - timedelta(days=1))
    assert reversed_period.value.field == "to"
    own = await report.rating_report(viewer=staff, start=today, end=today)
    assert [r.code for r in own.departments] == [department.code]

    # Through the API, as the dashboard asks.
    query = """query($f: Date!, $t: Date!, $d: String) { ratingReport(from: $f, to: $t, departmentCode: $d) {
      from total { ratings bad satisfaction { numerator denominator rate } } items { code } } }"""
    data = (await call(client, token("supervisor"), query, {"f": today.isoformat(), "t": today.isoformat(),
                                                            "d": department.code}))["ratingReport"]
    assert data["from"] == today.isoformat()
    assert data["total"] == {"ratings": 8, "bad": 4, "satisfaction": {"numerator": 3, "denominator": 8, "rate": 0.375}}
    response = await client.post("/graphql", json={"query": query, "variables": {
        "f": today.isoformat(), "t": today.isoformat(), "d": None}}, headers={"authorization": f"Bearer {token('citizen')}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_PERMITTED"

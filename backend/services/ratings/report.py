"""Satisfaction figures: an item's public satisfaction (guide page), and the supervisor's
dashboard per department, item and hall for a period.

Rates are fractions of whole counts, returned with their numerator and denominator so that
nothing is lost to rounding. Definitions (docs/RATINGS.md):
- satisfaction rate: (非常满意 + 满意) / ratings;
- a step is "on time" when done on or before its due date; its rate counts the tickets whose
  step is due, i.e. done, or still open past its deadline (a step not yet due is not judged).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from tortoise.functions import Count

from backend.models import Department, Rating, RectificationTicket, ServiceHall, ServiceItem, User
from backend.models.ratings import RatingLevel
from backend.services.cases.access import staff_department
from backend.services.workdays import CHINA, local_date
from backend.services.errors import NotPermittedError, ValidationError
from backend.services.ratings import levels
from backend.services.ratings.tickets import is_supervisor

MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True)
class Satisfaction:
    ratings: int
    satisfied: int

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None


def year_before(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


async def satisfaction_by_item_id(item_ids: list[int], *, now: datetime | None = None) -> list[Satisfaction]:
    """Last 12 months, one grouped query for any number of items (the DataLoader's batch)."""
    since = year_before(now or datetime.now(timezone.utc)).astimezone(CHINA)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await Rating.filter(item_id__in=item_ids, created_at__gte=since).annotate(n=Count("id")).group_by(
        "item_id", "level").values("item_id", "level", "n")
    for row in rows:
        counts[row["item_id"]][str(row["level"])] = row["n"]
    good = {level.value for level in levels.GOOD}
    return [Satisfaction(ratings=sum(counts[i].values()), satisfied=sum(n for lv, n in counts[i].items() if lv in good))
            for i in item_ids]


async def item_satisfaction(*, item_code: str, now: datetime | None = None) -> Satisfaction | None:
    item_id = await ServiceItem.filter(code=(item_code or "").strip()).first().values_list("id", flat=True)
    if item_id is None:
        return None
    return (await satisfaction_by_item_id([int(item_id)], now=now))[0]


@dataclass(frozen=True)
class Fraction:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class _Tally:
    ratings: int = 0
    satisfied: int = 0
    bad: int = 0
    tickets: int = 0
    verified: list[int] = field(default_factory=lambda: [0, 0])
    rectified: list[int] = field(default_factory=lambda: [0, 0])
    visited: list[int] = field(default_factory=lambda: [0, 0])


@dataclass(frozen=True)
class ReportRow:
    kind: str  # DEPARTMENT | ITEM | HALL
    code: str
    name: str
    department_code: str
    ratings: int
    satisfied: int
    bad: int
    tickets: int
    verified_on_time: Fraction
    rectified_on_time: Fraction
    visited_on_time: Fraction

    @property
    def satisfaction(self) -> Fraction:
        return Fraction(self.satisfied, self.ratings)


@dataclass(frozen=True)
class RatingReport:
    start: date
    end: date
    total: ReportRow
    departments: list[ReportRow]
    items: list[ReportRow]
    halls: list[ReportRow]


def _step(tally: list[int], *, done_on: date | None, due: date | None, today: date) -> None:
    if due is None:
        return
    if done_on is not None:
        tally[1] += 1
        tally[0] += done_on <= due
    elif today > due:
        tally[1] += 1


def _count_ticket(tally: _Tally, ticket: RectificationTicket, today: date) -> None:
    tally.tickets += 1
    _step(tally.verified, done_on=ticket.verified_on, due=ticket.verify_due, today=today)
    if ticket.found_true:
        _step(tally.rectified, done_on=ticket.rectified_on, due=ticket.rectify_due, today=today)
        _step(tally.visited, done_on=ticket.visited_on, due=ticket.visit_due, today=today)


def _row(kind: str, code: str, name: str, department_code: str, t: _Tally) -> ReportRow:
    return ReportRow(kind=kind, code=code, name=name, department_code=department_code, ratings=t.ratings,
                     satisfied=t.satisfied, bad=t.bad, tickets=t.tickets, verified_on_time=Fraction(*t.verified),
                     rectified_on_time=Fraction(*t.rectified), visited_on_time=Fraction(*t.visited))


async def rating_report(*, viewer: User, start: date, end: date, department_code: str | None = None,
                        today: date | None = None) -> RatingReport:
    """Ratings given in [start, end] (local dates) and the tickets opened in it."""
    if end < start:
        raise ValidationError(field="to", message="结束日期不能早于开始日期")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(field="from", message="统计期间最长三年")
    today = today or local_date(datetime.now(timezone.utc))
    ratings = Rating.filter(created_at__gte=datetime.combine(start, time(), CHINA),
                            created_at__lt=datetime.combine(end + timedelta(days=1), time(), CHINA))
    tickets = RectificationTicket.filter(opened_on__gte=start, opened_on__lte=end)
    if not is_supervisor(viewer):
        own = staff_department(viewer)
        if own is None:
            raise NotPermittedError("只有电子监察人员或窗口工作人员可以查看好差评统计")
        ratings, tickets = ratings.filter(department_id=own), tickets.filter(department_id=own)
    if department_code:
        department = await Department.get_or_none(code=department_code.strip())
        if department is None:
            raise ValidationError(field="departmentCode", message="没有这个部门")
        ratings, tickets = ratings.filter(department_id=department.id), tickets.filter(department_id=department.id)
    groups: dict[tuple[str, int], _Tally] = defaultdict(_Tally)
    total = _Tally()
    good = levels.GOOD
    for row in await ratings.values("department_id", "item_id", "hall_id", "level"):
        level = RatingLevel(row["level"])
        for tally in _tallies(groups, total, row):
            tally.ratings += 1
            tally.satisfied += level in good
            tally.bad += level in levels.BAD
    for ticket in await tickets:
        keyed = {"department_id": ticket.department_id, "item_id": ticket.item_id, "hall_id": ticket.hall_id}
        for tally in _tallies(groups, total, keyed):
            _count_ticket(tally, ticket, today)
    return await _named(groups, total, start=start, end=end)


def _tallies(groups: dict[tuple[str, int], _Tally], total: _Tally, row: dict) -> list[_Tally]:  # type: ignore[type-arg]
    found = [total, groups[("DEPARTMENT", row["department_id"])]]
    if row["item_id"] is not None:
        found.append(groups[("ITEM", row["item_id"])])
    if row["hall_id"] is not None:
        found.append(groups[("HALL", row["hall_id"])])
    return found


async def _named(groups: dict[tuple[str, int], _Tally], total: _Tally, *, start: date, end: date) -> RatingReport:
    ids = defaultdict(list)
    for kind, key in groups:
        ids[kind].append(key)
    departments = {d.id: d for d in await Department.filter(id__in=ids["DEPARTMENT"])}
    items = {i.id: i for i in await ServiceItem.filter(id__in=ids["ITEM"])}
    halls = {h.id: h for h in await ServiceHall.filter(id__in=ids["HALL"])}
    codes = {d.id: d.code for d in await Department.filter(id__in=[i.department_id for i in items.values()])}
    codes.update({d.id: d.code for d in departments.values()})
    rows: dict[str, list[tuple[tuple[int, int], ReportRow]]] = defaultdict(list)
    for (kind, key), tally in groups.items():
        if kind == "DEPARTMENT":
            d = departments[key]
            rows[kind].append(((d.sort_order, d.id), _row(kind, d.code, d.name, d.code, tally)))
        elif kind == "ITEM":
            i = items[key]
            rows[kind].append(((i.sort_order, i.id), _row(kind, i.code, i.name, codes.get(i.department_id, ""), tally)))
        else:
            h = halls[key]
            rows[kind].append(((h.id, h.id), _row(kind, str(h.id), h.name, "", tally)))
    ordered = {kind: [row for _key, row in sorted(entries, key=lambda e: e[0])] for kind, entries in rows.items()}
    return RatingReport(start=start, end=end, total=_row("TOTAL", "", "合计", "", total),
                        departments=ordered.get("DEPARTMENT", []), items=ordered.get("ITEM", []),
                        halls=ordered.get("HALL", []))

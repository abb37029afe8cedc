"""The working-day clock of a case (Art. 17, 33): promised and statutory due dates counted in
working days from acceptance, stopped while the applicant supplements materials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.models import Case
from backend.models.cases import CaseStatus
from backend.services.workdays import local_date, working_calendar

# The clock runs in these states; APPROVED has issued its result (Art. 18: completion).
RUNNING = (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW, CaseStatus.SUPPLEMENT_REQUESTED)


def due_dates(*, accepted_on: date, promised_days: int, statutory_days: int, paused_days: int) -> tuple[date, date]:
    calendar = working_calendar()
    return (calendar.add_working_days(accepted_on, promised_days + paused_days),
            calendar.add_working_days(accepted_on, statutory_days + paused_days))


@dataclass(frozen=True)
class Deadline:
    promised_days: int
    statutory_days: int
    promised_due: date
    statutory_due: date
    working_days_used: int
    working_days_left: int
    paused: bool
    due_soon: bool
    overdue: bool


def deadline_of(case: Case, *, today: date, warn_percent: int) -> Deadline | None:
    if case.accepted_on is None or case.promised_due is None or case.statutory_due is None:
        return None
    calendar = working_calendar()
    running = case.status in RUNNING
    end = today
    if case.paused_on is not None:
        end = case.paused_on
    elif not running and case.completed_at is not None:
        end = local_date(case.completed_at)
    used = max(0, calendar.working_days_between(case.accepted_on, end) - case.paused_working_days)
    paused = running and case.paused_on is not None
    overdue = end > case.promised_due if (running or case.completed_at is not None) else False
    due_soon = (running and not paused and not overdue and case.promised_days > 0
                and used * 100 >= warn_percent * case.promised_days)
    return Deadline(
        promised_days=case.promised_days, statutory_days=case.statutory_days,
        promised_due=case.promised_due, statutory_due=case.statutory_due,
        working_days_used=used, working_days_left=case.promised_days - used,
        paused=paused, due_soon=due_soon, overdue=overdue,
    )

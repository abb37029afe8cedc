"""The working-day clock and 电子监察: due dates on the holiday calendar, supplement time not
counted, warnings and overdue flags written once, 容缺 cases ended when the promise is broken."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time

import httpx

from backend.models import Case, CaseEvent, User
from backend.services.cases import applications, lifecycle as cases, supervision
from backend.services.cases.applications import MaterialSubmission
from backend.services.cases.deadlines import deadline_of
from backend.services.workdays import CHINA
from tests.cases_helpers import EXPLAIN, call, move, submitted_case, upload


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA)


async def user(client: httpx.AsyncClient, token: Callable[..., str], persona: str) -> User:
    await call(client, token(persona), "{ me { name } }")  # signs in: the user row exists
    return await User.get(sub=f"dev-{persona}")


async def test_due_dates_follow_the_holiday_calendar_and_skip_supplement_time(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = await user(client, token, "staff")
    citizen = await user(client, token, "citizen")
    number = (await submitted_case(client, token("citizen")))["number"]
    # Accepted Monday 2026-09-21: 20 working days skip 中秋 (9-25..27) and 国庆 (10-1..7) and
    # count the adjusted working Saturday 10-10.
    case = await cases.accept(number=number, actor=staff, note=None, bus=None, deficiency_days=10,
                              now=at(date(2026, 9, 21)))
    assert (case.promised_due, case.statutory_due) == (date(2026, 10, 26), date(2026, 11, 9))
    photo = await case.materials.filter(name="近期免冠照片").first()
    assert photo is not None
    await cases.request_supplement(number=number, actor=staff, material_ids=[photo.material_id], note="照片不清晰",
                                   bus=None, now=at(date(2026, 9, 28)))
    paused = await Case.get(number=number)
    stopped = deadline_of(paused, today=date(2026, 10, 20), warn_percent=80)
    assert stopped is not None and stopped.paused and stopped.working_days_used == 4  # 9-22, 23, 24, 28
    await applications.supplement_materials(
        actor=citizen, number=number, bus=None, now=at(date(2026, 10, 12)),
        materials=[MaterialSubmission(material_id=photo.material_id, upload_ids=[await upload(client, token("citizen"))])])
    resumed = await Case.get(number=number)
    # 6 working days stopped (9-29, 9-30, 10-8, 10-9, 10-10, 10-12): due 6 working days later.
    assert (resumed.status, resumed.paused_working_days, resumed.promised_due) == ("UNDER_REVIEW", 6, date(2026, 11, 3))
    running = deadline_of(resumed, today=date(2026, 10, 13), warn_percent=80)
    assert running is not None and (running.working_days_used, running.working_days_left, running.paused) == (5, 15, False)


async def test_supervision_warns_then_flags_overdue_once_and_staff_explain(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = await user(client, token, "staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    await cases.accept(number=number, actor=staff, note=None, bus=None, deficiency_days=10, now=at(date(2026, 9, 21)))

    await supervision.supervise(warn_percent=80, bus=None, now=at(date(2026, 10, 16)))  # 14 of 20 used
    assert await CaseEvent.filter(case__number=number, kind="DUE_SOON").count() == 0
    # 16 of 20 working days used: a warning, once, however many runs (and instances) there are.
    await asyncio.gather(*[supervision.supervise(warn_percent=80, bus=None, now=at(date(2026, 10, 20)))
                           for _ in range(3)])
    assert await CaseEvent.filter(case__number=number, kind="DUE_SOON").count() == 1
    await asyncio.gather(*[supervision.supervise(warn_percent=80, bus=None, now=at(date(2026, 10, 27)))
                           for _ in range(3)])
    overdue = await CaseEvent.filter(case__number=number, kind="OVERDUE")
    assert len(overdue) == 1
    assert overdue[0].note == "已超过承诺办结期限（2026年10月26日），请承办部门说明原因"
    assert overdue[0].actor_label == "电子监察系统"
    explained = await move(client, token("staff"), EXPLAIN, number, reason="需现场核验学历，申请人未按时到场")
    assert explained["case"]["overdueReason"] == "需现场核验学历，申请人未按时到场"
    assert explained["case"]["events"][-1]["kind"] == "OVERDUE_EXPLAINED"
    assert explained["case"]["status"] == "ACCEPTED"  # a note, not a move
    assert "EXPLAIN_OVERDUE" in explained["case"]["allowedActions"]


async def test_explaining_a_case_that_is_not_overdue_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    number = (await submitted_case(client, token("citizen")))["number"]
    result = await move(client, token("staff"), EXPLAIN, number, reason="原因")
    assert (result["__typename"], result["message"]) == ("InvalidTransitionError", "办件未超期，无需说明超期原因")


async def test_a_broken_deficiency_promise_terminates_the_case(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = await user(client, token, "staff")
    number = (await submitted_case(client, token("citizen"), defer=True))["number"]
    case = await cases.accept(number=number, actor=staff, note=None, bus=None, deficiency_days=10,
                              now=at(date(2026, 9, 21)))
    assert case.supplement_deadline == date(2026, 10, 12)
    await supervision.supervise(warn_percent=80, bus=None, now=at(date(2026, 10, 12)))
    assert (await Case.get(number=number)).status == "ACCEPTED"  # the last day still counts
    runs = await asyncio.gather(*[supervision.supervise(warn_percent=80, bus=None, now=at(date(2026, 10, 13)))
                                  for _ in range(2)])
    ended = await Case.get(number=number)
    assert ended.status == "TERMINATED"
    assert ended.decision_reason == "容缺材料未在承诺期限（2026年10月12日）内补齐：近期免冠照片"
    assert await CaseEvent.filter(case__number=number, kind="TERMINATED").count() == 1
    assert sum(run.terminated for run in runs) >= 1


async def test_the_supervision_report_is_per_department(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    staff = await user(client, token, "staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    await cases.accept(number=number, actor=staff, note=None, bus=None, deficiency_days=10, now=at(date(2025, 1, 6)))
    report = (await call(client, token("supervisor"), """{ supervision { overdue departments {
        department { code } overdue dueSoon cases { number } } } }"""))["supervision"]
    education = next(d for d in report["departments"] if d["department"]["code"] == "D02")
    assert number in [c["number"] for c in education["cases"]]
    assert report["overdue"] >= education["overdue"] >= 1
    own = (await call(client, token("staff"), "{ supervision { departments { department { code } } } }"))["supervision"]
    assert {d["department"]["code"] for d in own["departments"]} == {"D02"}
    refused = await client.post("/graphql", json={"query": "{ supervision { overdue } }"},
                                headers={"authorization": f"Bearer {token('citizen')}"})
    assert refused.json()["errors"][0]["message"] == "只有电子监察人员或窗口工作人员可以查看"

"""批准即发证 (Art. 18) and 免证办 (Art. 13; 002 §19): approving a case of an item that issues a
license issues exactly one, in the approval's transaction, and tells the holder; a license
on file — seeded or issued — is not asked for again while it is valid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest

from backend.auth.personas import DEMO_ENTERPRISE_USCC
from backend.models import Case, CaseMaterial, Department, ELicense, LicenseIssuer, Notification, User
from backend.models.cases import CaseStatus
from backend.models.licenses import LicenseStatus
from backend.models.notifications import NotificationKind
from backend.services.cases import lifecycle as cases
from backend.services.errors import InvalidTransitionError
from backend.services.licenses.identifiers import parse_identifier
from tests.cases_helpers import ACCEPT, APPROVE, TEACHER, call, form, move, submitted_case
from tests.licenses_helpers import LICENSE, change_status, persona_user, seeded

APPEAL = "61010902007"  # 对教师申诉的处理 (市教育局): asks for the 教师资格证书, issues nothing
TRAVEL_AGENCY = "61010113049"  # 旅行社设立许可 (市文化旅游局): issues the 旅行社业务经营许可证


async def _accepted(client: httpx.AsyncClient, token: Callable[..., str], code: str = TEACHER) -> str:
    number = (await submitted_case(client, token("citizen"), code=code))["number"]
    assert (await move(client, token("staff"), ACCEPT, number))["case"]["status"] == "ACCEPTED"
    return number


async def test_approving_a_licensing_items_case_issues_exactly_one_license_and_tells_the_holder(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    number = await _accepted(client, token)
    approved = await move(client, token("staff"), APPROVE, number)
    assert approved["case"]["status"] == "APPROVED"
    case = await Case.get(number=number)
    [issued] = await ELicense.filter(case=case).prefetch_related("license_type")
    holder = await User.get(sub="dev-citizen")
    assert (issued.holder_user_id, issued.holder_enterprise_id, issued.license_type.code) == (
        holder.id, None, "TEACHER_QUALIFICATION")
    assert (issued.issuer_name, issued.status, issued.valid_until, issued.template) == (
        "西安市教育局", LicenseStatus.VALID, None, "teacher-qualification")
    assert issued.serial == f"{issued.issued_on:%Y}{issued.id:08d}"
    parts = parse_identifier(issued.identifier)
    assert parts is not None and (parts.type_code, parts.issuer_uscc, parts.serial) == (
        "0106", issued.issuer_uscc, issued.serial)
    assert issued.fields_json == [{"key": "approvedItem", "label": "批准事项", "value": "教师资格认定"},
                                  {"key": "caseNumber", "label": "办件编号", "value": number}]
    shown = (await call(client, token("citizen"), LICENSE, {"id": str(issued.id)}))["license"]
    assert (shown["caseNumber"], shown["typeName"], shown["status"]) == (number, "教师资格证书", "VALID")
    [told] = await Notification.filter(source=f"license:{issued.id}")
    assert (told.user_id, told.kind, told.title, told.link, told.case_id) == (
        holder.id, NotificationKind.LICENSE_ISSUED, "电子证照已签发", f"/licenses/{issued.id}", case.id)
    assert told.body == "您申请的「教师资格认定」已批准，教师资格证书已签发，可在“我的证照”中查看和亮证。"
    # Delivered afterwards: still the one license.
    await move(client, token("staff"), """mutation($number: String!) { deliverCase(number: $number, method: ELECTRONIC)
        { __typename } }""", number)
    assert await ELicense.filter(case=case).count() == 1


async def test_a_failed_approval_issues_nothing(
    client: httpx.AsyncClient, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = await _accepted(client, token)
    case = await Case.get(number=number)
    staff = await persona_user(client, token("staff"), "dev-staff")

    async def broken_event(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the event could not be written")  # after the license was inserted

    with monkeypatch.context() as patched:
        patched.setattr(cases, "record_event", broken_event)
        with pytest.raises(RuntimeError):
            await cases.approve(number=number, actor=staff, note=None, bus=None)
    assert await ELicense.filter(case=case).count() == 0
    assert await Notification.filter(case=case, kind=NotificationKind.LICENSE_ISSUED).count() == 0
    assert (await Case.get(id=case.id)).status is CaseStatus.ACCEPTED

    # A department that cannot sign refuses the approval, with a reason, and writes nothing.
    issuer = await LicenseIssuer.get(department_id=case.department_id)
    saved = {"department_id": issuer.department_id, "name": issuer.name, "uscc": issuer.uscc}
    await issuer.delete()
    try:
        with pytest.raises(InvalidTransitionError) as refused:
            await cases.approve(number=number, actor=staff, note=None, bus=None)
        assert refused.value.message == "“教师资格证书”的发证机关统一社会信用代码尚未登记，无法签发电子证照，请联系管理员"
    finally:
        await LicenseIssuer.create(**saved)
    assert (await ELicense.filter(case=case).count(), (await Case.get(id=case.id)).status) == (0, CaseStatus.ACCEPTED)

    assert (await move(client, token("staff"), APPROVE, number))["case"]["status"] == "APPROVED"
    assert await ELicense.filter(case=case).count() == 1


async def test_an_item_that_issues_no_license_issues_none(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number = await _accepted(client, token, code=APPEAL)
    assert (await move(client, token("staff"), APPROVE, number))["case"]["status"] == "APPROVED"
    assert await ELicense.filter(case__number=number).count() == 0


async def test_the_seeded_id_card_means_it_is_not_asked_for_while_valid(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    id_card = await seeded(await persona_user(client, citizen, "dev-citizen"), "RESIDENT_ID")

    async def on_file() -> tuple[bool, str | None]:
        entry = next(m for m in (await form(client, citizen))["materials"] if m["name"] == "居民身份证")
        return entry["onFile"], entry["licenseName"]

    assert await on_file() == (True, "居民身份证")
    try:
        for status, until in ((LicenseStatus.SUSPENDED, id_card.valid_until), (LicenseStatus.REVOKED, id_card.valid_until),
                              (LicenseStatus.VALID, date.today() - timedelta(days=2))):
            await ELicense.filter(id=id_card.id).update(status=status, valid_until=until)
            assert await on_file() == (False, None), status
    finally:
        await ELicense.filter(id=id_card.id).update(status=LicenseStatus.VALID, valid_until=id_card.valid_until)
    assert await on_file() == (True, "居民身份证")


async def test_an_issued_license_is_used_for_the_next_application_until_it_is_revoked(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    # Teacher qualifications that earlier tests issued to 王晓明 would prove it too: start without.
    await ELicense.filter(holder_user=holder, license_type__code="TEACHER_QUALIFICATION").delete()

    async def qualification() -> dict[str, object]:
        return next(m for m in (await form(client, token("citizen"), APPEAL))["materials"] if m["name"] == "教师资格证书")

    assert (await qualification())["onFile"] is False
    number = await _accepted(client, token)
    await move(client, token("staff"), APPROVE, number)
    issued = await ELicense.get(case__number=number)
    assert ((await qualification())["onFile"], (await qualification())["licenseName"]) == (True, "教师资格证书")
    appeal = await submitted_case(client, token("citizen"), code=APPEAL)  # 教师资格证书 is not sent
    material = next(m for m in appeal["materials"] if m["name"] == "教师资格证书")
    assert (material["provision"], material["licenseName"], material["files"]) == ("LICENSE", "教师资格证书", [])
    assert (await CaseMaterial.get(case__number=appeal["number"], name="教师资格证书")).license_id == issued.id

    revoked = await change_status(client, token("staff"), issued.id, "REVOKED", "以欺骗手段取得")
    assert revoked["license"]["status"] == "REVOKED"
    assert (await qualification())["onFile"] is False


async def test_a_case_applied_for_an_enterprise_issues_the_enterprises_license(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    legal = token("enterprise-legal")
    applicant = await persona_user(client, legal, "dev-enterprise-legal")
    # 免证办 for the enterprise too: its business licence and the representative's ID card are on file.
    materials = {m["name"]: m for m in (await form(client, legal, TRAVEL_AGENCY, DEMO_ENTERPRISE_USCC))["materials"]}
    assert (materials["营业执照"]["onFile"], materials["法定代表人居民身份证"]["onFile"]) == (True, True)
    number = (await submitted_case(client, legal, code=TRAVEL_AGENCY, uscc=DEMO_ENTERPRISE_USCC))["number"]
    case = await Case.get(number=number)
    department = await Department.get(id=case.department_id)
    staff = await User.create(sub=f"test-staff-{department.code}", name="文旅窗口", roles=["STAFF"], department=department)
    try:
        await cases.accept(number=number, actor=staff, note=None, bus=None, deficiency_days=10)
        await cases.approve(number=number, actor=staff, note=None, bus=None)
        [issued] = await ELicense.filter(case=case).prefetch_related("license_type")
        assert (issued.holder_user_id, issued.holder_enterprise_id, issued.holder_name, issued.license_type.code) == (
            None, case.enterprise_id, "西安秦创数字科技有限公司（演示）", "TRAVEL_AGENCY_LICENSE")
        assert issued.issuer_name == "西安市文化和旅游局"
        [told] = await Notification.filter(source=f"license:{issued.id}")
        assert told.user_id == applicant.id  # the person who applied for the enterprise hears of it
        space = """query($uscc: String!) { enterprise(uscc: $uscc) { licenses { id holderKind typeName } } }"""
        listed = (await call(client, legal, space, {"uscc": DEMO_ENTERPRISE_USCC}))["enterprise"]["licenses"]
        assert {"id": str(issued.id), "holderKind": "ENTERPRISE", "typeName": "旅行社业务经营许可证"} in listed
    finally:
        await ELicense.filter(case=case).delete()
        await User.filter(id=staff.id).delete()

"""Showing e-licenses: the seeded demo licenses, masked numbers, who sees which license (IDOR,
一企一档 within scope), status changes by the issuing department, and the cost of myLicenses."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
from cryptography.hazmat.primitives import serialization
from tortoise import connections

from backend.auth.identity import DEV_IDP_KID, Identity
from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from backend.models import AgentAuthority, ELicense, LicenseVerification, User
from backend.models.licenses import LicenseStatus
from backend.seed import seed_demo_data
from backend.settings import Settings
from tests.cases_helpers import bearer, call
from tests.conftest import TEST_ISSUER
from tests.factories import make_licenses
from tests.helpers import count_queries
from tests.jwt_tools import sign
from tests.licenses_helpers import (
    LICENSE, LICENSE_FIELDS, MY_LICENSES, VERIFICATIONS, change_status, persona_user, present, seeded, verify,
)

ENTERPRISE_LICENSES = "query($uscc: String!) { enterprise(uscc: $uscc) { licenses { %s } } }" % LICENSE_FIELDS


async def test_my_licenses_show_the_seeded_demo_licenses_with_numbers_masked(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = PERSONAS["citizen"]
    mine = (await call(client, token("citizen"), MY_LICENSES))["myLicenses"]
    by_type = {row["typeCode"]: row for row in mine}
    assert {"RESIDENT_ID", "DRIVING_LICENSE", "MARRIAGE_CERT"} <= set(by_type)
    card = by_type["RESIDENT_ID"]
    assert {k: card[k] for k in ("typeName", "holderKind", "holderName", "issuerName", "validFrom", "validUntil",
                                 "status", "statusCode", "statusLabel", "template", "caseNumber")} == {
        "typeName": "居民身份证", "holderKind": "PERSON", "holderName": "王晓明", "issuerName": "西安市公安局",
        "validFrom": "2016-05-10", "validUntil": "2036-05-10", "status": "VALID", "statusCode": "01",
        "statusLabel": "正常", "template": "resident-id", "caseNumber": None}
    fields = {f["key"]: f["value"] for f in card["fields"]}
    assert fields["holderName"] == "王*明"
    assert fields["validity"] == "2016-05-10 至 2036-05-10"
    assert fields["idNumber"] == citizen.id_number[:6] + "********" + citizen.id_number[-4:]
    assert card["defaultDisclose"] == ["holderName", "validity"]
    assert card["identifier"].startswith("1.2.156.3005.2.0101." + card["issuerUscc"] + ".DEMO")
    assert citizen.id_number not in str(mine)


async def test_personal_numbers_are_never_stored_in_license_rows(app: object) -> None:
    _, rows = await connections.get("default").execute_query("SELECT * FROM e_license")
    text = repr([dict(row) for row in rows])
    assert "王晓明" in text  # the dump did read the rows
    for persona in PERSONAS.values():
        assert persona.id_number not in text


async def test_someone_elses_license_is_null_and_cannot_be_presented(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    theirs = await seeded(holder, "RESIDENT_ID")
    other = token("citizen2")
    assert (await call(client, other, LICENSE, {"id": str(theirs.id)}))["license"] is None
    assert (await call(client, other, LICENSE, {"id": "99999999"}))["license"] is None
    assert (await call(client, other, LICENSE, {"id": "abc"}))["license"] is None
    before = await LicenseVerification.all().count()
    refused = await present(client, other, theirs.id)
    assert refused == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该证照"}
    assert "token" not in refused
    assert await LicenseVerification.all().count() == before
    bad_id = await present(client, other, "x1")
    assert (bad_id["__typename"], bad_id["field"], bad_id["message"]) == ("InputError", "licenseId", "证照编号格式不正确")
    anonymous = await client.post("/graphql", json={"query": MY_LICENSES})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"


async def test_enterprise_licenses_are_visible_to_members_within_scope_only(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    legal, agent, citizen = token("enterprise-legal"), token("enterprise-agent"), token("citizen")
    await persona_user(client, agent, "dev-enterprise-agent")
    listed = (await call(client, legal, ENTERPRISE_LICENSES, {"uscc": DEMO_ENTERPRISE_USCC}))["enterprise"]["licenses"]
    business = next(row for row in listed if row["typeCode"] == "BUSINESS_LICENSE")
    assert (business["holderKind"], business["holderName"], business["issuerName"], business["template"]) == (
        "ENTERPRISE", "西安秦创数字科技有限公司（演示）", "西安市市场监督管理局", "business-license")
    fields = {f["key"]: f["value"] for f in business["fields"]}
    assert fields["holderName"] == "西安秦创数字科技有限公司（演示）" and fields["uscc"] == DEMO_ENTERPRISE_USCC
    # An agent without a live authority, and a stranger, see nothing of it.
    await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))
    for outsider in (agent, citizen):
        assert (await call(client, outsider, ENTERPRISE_LICENSES, {"uscc": DEMO_ENTERPRISE_USCC}))["enterprise"] is None
        assert (await call(client, outsider, LICENSE, {"id": business["id"]}))["license"] is None
        assert (await present(client, outsider, business["id"]))["__typename"] == "NotFoundError"
    # With an authority (for any item) the agent sees it, and may show it.
    grant = """mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) { __typename } }"""
    expires = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()
    await call(client, legal, grant, {"input": {"uscc": DEMO_ENTERPRISE_USCC, "scope": ["61010102006"],
                                                "expiresAt": expires,
                                                "agentIdNumber": PERSONAS["enterprise-agent"].id_number}})
    try:
        seen = (await call(client, agent, ENTERPRISE_LICENSES, {"uscc": DEMO_ENTERPRISE_USCC}))["enterprise"]["licenses"]
        assert business["id"] in [row["id"] for row in seen]
        assert (await call(client, agent, LICENSE, {"id": business["id"]}))["license"]["typeCode"] == "BUSINESS_LICENSE"
        shown = await present(client, agent, business["id"])
        assert shown["__typename"] == "LicensePresentation"
        assert (await verify(client, shown["token"]))["valid"] is True
        # Members within scope see who verified the enterprise's licenses; an outsider does not.
        for member in (legal, agent):
            page = (await call(client, member, VERIFICATIONS, {"first": 1}))["myLicenseVerifications"]
            assert page["edges"][0]["node"]["licenseId"] == business["id"]
        theirs = (await call(client, citizen, VERIFICATIONS, {"first": 1000}))["myLicenseVerifications"]["edges"]
        assert business["id"] not in [e["node"]["licenseId"] for e in theirs]
        # Enterprise licenses are the enterprise's, not the member's own.
        mine = (await call(client, agent, MY_LICENSES))["myLicenses"]
        assert business["id"] not in [row["id"] for row in mine]
    finally:  # other tests start from an agent without authority
        await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))


async def test_only_the_issuing_departments_staff_change_a_status(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    holder = await persona_user(client, token("citizen2"), "dev-citizen2")
    teacher = await seeded(holder, "TEACHER_QUALIFICATION")  # issued by 市教育局, the staff persona's
    id_card = await seeded(holder, "RESIDENT_ID")  # issued by 市公安局
    refused = await change_status(client, token("citizen2"), teacher.id, "REVOKED")
    assert refused == {"__typename": "NotPermittedError", "code": "NOT_PERMITTED",
                       "message": "只有发证部门的工作人员可以变更证照状态"}
    not_theirs = await change_status(client, token("staff"), id_card.id, "REVOKED")
    assert not_theirs == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该证照"}
    stranger = await change_status(client, token("citizen"), teacher.id, "REVOKED")
    assert stranger["__typename"] == "NotFoundError"
    # The issuing staff see the license, but only its holder shows it.
    assert (await call(client, token("staff"), LICENSE, {"id": str(teacher.id)}))["license"]["holderName"] == "李娜"
    assert await present(client, token("staff"), teacher.id) == {
        "__typename": "NotPermittedError", "code": "NOT_PERMITTED", "message": "只有持证人可以出示证照"}
    for row in (teacher, id_card):
        await row.refresh_from_db()
        assert (row.status, row.status_reason, row.status_changed_at) == (LicenseStatus.VALID, None, None)

    staff = token("staff")
    cases = [
        ("EXPIRED", "测试", "status", "证照是否过期由有效期决定，不能手动设为过期"),
        ("VALID", "测试", "status", "证照已是“正常”状态"),
        ("SUSPENDED", "  ", "reason", "请填写变更证照状态的理由"),
        ("SUSPENDED", "理" * 201, "reason", "理由不能超过 200 字"),
    ]
    for status, reason, field, message in cases:
        result = await change_status(client, staff, teacher.id, status, reason)
        assert (result["__typename"], result["field"], result["message"]) == ("InputError", field, message), status
    try:
        suspended = await change_status(client, staff, teacher.id, "SUSPENDED", "涉嫌违规，调查期间暂扣")
        assert suspended["license"] == {"id": str(teacher.id), "status": "SUSPENDED", "statusCode": "04",
                                        "statusLabel": "暂扣（挂起）", "statusReason": "涉嫌违规，调查期间暂扣"}
        seen = (await call(client, token("citizen2"), LICENSE, {"id": str(teacher.id)}))["license"]
        assert (seen["status"], seen["statusReason"]) == ("SUSPENDED", "涉嫌违规，调查期间暂扣")
        offered = (await call(client, staff, LICENSE, {"id": str(teacher.id)}))["license"]["nextStatuses"]
        assert offered == ["VALID", "REVOKED", "CANCELLED", "VOIDED"]  # what 证照管理 offers a suspended one
        restored = await change_status(client, staff, teacher.id, "VALID", "调查结束，恢复")
        assert restored["license"]["status"] == "VALID"
        await teacher.refresh_from_db()
        assert teacher.status_changed_by_id == (await User.get(sub="dev-staff")).id
        assert teacher.status_changed_at is not None
    finally:
        await ELicense.filter(id=teacher.id).update(status=LicenseStatus.VALID, status_reason=None,
                                                    status_changed_at=None, status_changed_by_id=None)


async def test_a_revoked_license_stays_revoked(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    [row] = await make_licenses(holder=holder, count=1, type_code="TEACHER_QUALIFICATION", issuer="市教育局")
    try:
        staff = token("staff")
        assert (await change_status(client, staff, row.id, "REVOKED", "以欺骗手段取得"))["license"]["statusCode"] == "03"
        again = await change_status(client, staff, row.id, "VALID", "恢复")
        assert (again["__typename"], again["message"]) == ("InputError", "证照已吊销（撤销），不能再变更为“正常”")
        listed = (await call(client, staff, "{ issuedLicenses(first: 5) { totalCount edges { node { id status nextStatuses } } } }"))
        # Revoked is final: nothing is offered (证照管理 shows no 变更状态 for it).
        assert {"id": str(row.id), "status": "REVOKED", "nextStatuses": []} in [
            e["node"] for e in listed["issuedLicenses"]["edges"]]
        refused = await client.post("/graphql", json={"query": "{ issuedLicenses { totalCount } }"},
                                               headers=bearer(token("citizen")))
        assert refused.json()["errors"][0]["message"] == "只有发证部门的工作人员可以查看本部门签发的证照"
    finally:
        await ELicense.filter(id=row.id).delete()


async def test_a_valid_license_past_its_last_day_shows_as_expired(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=2)
    [row] = await make_licenses(holder=holder, count=1, valid_until=yesterday)
    try:
        seen = (await call(client, token("citizen"), LICENSE, {"id": str(row.id)}))["license"]
        assert (seen["status"], seen["statusCode"], seen["statusLabel"]) == ("EXPIRED", "05", "过期")
    finally:
        await row.delete()


def _token_for(identity: Identity, settings: Settings, sub: str, name: str) -> str:
    assert identity.dev_idp_pem is not None
    key = serialization.load_pem_private_key(identity.dev_idp_pem, password=None)
    now = int(time.time())
    return sign(key, {"iss": TEST_ISSUER, "aud": settings.oidc_audience, "sub": sub, "exp": now + 600, "name": name},
                kid=DEV_IDP_KID)


async def test_my_licenses_costs_the_same_for_10_or_100_licenses(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    viewer = _token_for(identity, settings, "license-counter", "计数测试")
    holder = await persona_user(client, viewer, "license-counter")
    counts = {}
    try:
        for total in (10, 100):
            await make_licenses(holder=holder, count=total - await ELicense.filter(holder_user=holder).count())
            with count_queries() as log:
                response = await client.post("/graphql", json={"query": MY_LICENSES}, headers=bearer(viewer))
            body = response.json()
            assert "errors" not in body, body
            assert len(body["data"]["myLicenses"]) == total
            counts[total] = log.count
    finally:
        await ELicense.filter(holder_user=holder).delete()
    print(f"\nqueries for myLicenses with every field: {counts}")
    assert counts[10] == counts[100], counts
    assert counts[10] <= 3, counts


async def test_seeding_licenses_again_changes_nothing(app: object) -> None:
    before = sorted(await ELicense.filter(serial__startswith="DEMO").values_list("identifier", flat=True))
    assert len(before) == 19  # 6 personas × 3, and the demo enterprise's business licence
    await seed_demo_data()
    await seed_demo_data()
    assert sorted(await ELicense.filter(serial__startswith="DEMO").values_list("identifier", flat=True)) == before

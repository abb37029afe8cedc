"""免证办 and applying for an enterprise: what counts as on file, and who may apply for whom."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import httpx

from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from backend.models import AgentAuthority, Case, ELicense, LicenseType, User
from backend.models.licenses import LicenseStatus
from tests.cases_helpers import TEACHER, call, form, submit, submitted_case

RETIREMENT = "61010708104"  # 企业职工退休申请: persons and enterprises


async def _license(holder: User, type_code: str, **values: object) -> ELicense:
    kind = await LicenseType.get(code=type_code)
    defaults: dict[str, object] = {"status": LicenseStatus.VALID, "valid_from": date(2020, 1, 1), "valid_until": None}
    return await ELicense.create(identifier=f"test-{uuid.uuid4().hex}", license_type=kind, holder_user=holder,
                                 **(defaults | values))


async def test_a_valid_e_license_means_the_material_is_not_asked_for(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen2 = token("citizen2")
    await call(client, citizen2, "{ me { name } }")
    holder = await User.get(sub="dev-citizen2")
    # 学历证书: the demo seed gives 李娜 an ID card (always on file) but no academic certificate.
    license_ = await _license(holder, "ACADEMIC_CERT")
    try:
        academic = next(m for m in (await form(client, citizen2))["materials"] if m["name"] == "学历证书")
        assert (academic["onFile"], academic["licenseName"]) == (True, "学历证书")
        case = await submitted_case(client, citizen2)  # 学历证书 is not sent
        material = next(m for m in case["materials"] if m["name"] == "学历证书")
        assert (material["provision"], material["licenseName"], material["files"]) == ("LICENSE", "学历证书", [])
        for status, until in ((LicenseStatus.REVOKED, None), (LicenseStatus.SUSPENDED, None),
                              (LicenseStatus.VALID, date.today() - timedelta(days=1))):
            license_.status, license_.valid_until = status, until
            await license_.save()
            academic = next(m for m in (await form(client, citizen2))["materials"] if m["name"] == "学历证书")
            assert academic["onFile"] is False, status
    finally:
        await license_.delete()


async def test_applying_for_an_enterprise_needs_an_authority_that_covers_the_item(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    legal, agent, citizen = token("enterprise-legal"), token("enterprise-agent"), token("citizen")
    await call(client, agent, "{ me { name } }")
    # no live authority yet (or revoked by an earlier test): refused, nothing written
    before = await Case.all().count()
    refused = await submit(client, citizen, code=RETIREMENT, uscc=DEMO_ENTERPRISE_USCC, materials=[])
    assert (refused["__typename"], refused["message"]) == ("NotPermittedError", "你不是该企业的法定代表人，或没有有效的经办授权")
    assert await Case.all().count() == before
    grant = """mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) { __typename } }"""
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    await call(client, legal, grant, {"input": {"uscc": DEMO_ENTERPRISE_USCC, "scope": [TEACHER], "expiresAt": expires,
                                                "agentIdNumber": PERSONAS["enterprise-agent"].id_number}})
    try:
        await _apply_as_agent(client, legal, agent, grant, expires)
    finally:  # other tests start from an agent without authority
        await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))


async def _apply_as_agent(client: httpx.AsyncClient, legal: str, agent: str, grant: str, expires: str) -> None:
    out_of_scope = await submit(client, agent, code=RETIREMENT, uscc=DEMO_ENTERPRISE_USCC, materials=[])
    assert (out_of_scope["__typename"], out_of_scope["message"]) == (
        "NotPermittedError", "你的经办授权不包含该事项，请联系企业法定代表人调整授权范围")
    await call(client, legal, grant, {"input": {"uscc": DEMO_ENTERPRISE_USCC, "scope": [RETIREMENT], "expiresAt": expires,
                                                "agentIdNumber": PERSONAS["enterprise-agent"].id_number}})
    case = await submitted_case(client, agent, code=RETIREMENT, uscc=DEMO_ENTERPRISE_USCC)
    space = """query($uscc: String!) { enterprise(uscc: $uscc) { cases(first: 50) { edges { node { number
        enterprise { uscc } applicantName } } } } }"""
    listed = (await call(client, legal, space, {"uscc": DEMO_ENTERPRISE_USCC}))["enterprise"]["cases"]["edges"]
    assert {"number": case["number"], "enterprise": {"uscc": DEMO_ENTERPRISE_USCC}, "applicantName": "赵敏"} in [
        e["node"] for e in listed]
    person_only = await submit(client, legal, uscc=DEMO_ENTERPRISE_USCC, materials=[])  # 教师资格认定 is for persons
    assert (person_only["__typename"], person_only["field"]) == ("InputError", "enterpriseUscc")

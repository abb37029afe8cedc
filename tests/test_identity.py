"""Unified identity over GraphQL: profile, privacy at rest, reveal + audit, enterprise space."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
from cryptography.hazmat.primitives import serialization
from tortoise import connections

from backend.auth.identity import DEV_IDP_KID, Identity
from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from backend.models import AgentAuthority, DataAccessLog, User
from tests.conftest import TEST_ISSUER
from tests.helpers import gql
from tests.jwt_tools import sign

ME = "{ me { name idNumberMasked phoneMasked roles enterprises { uscc name role } } }"
ENTERPRISE = """query($uscc: String!) { enterprise(uscc: $uscc) { uscc name myRole myScope
  agents { name authority { id scope expiresAt revokedAt } } code { token qrSvg expiresAt } } }"""
GRANT = """mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) {
  __typename
  ... on AgentAuthorityGranted { authority { id scope expiresAt } }
  ... on InputError { code field message }
  ... on NotPermittedError { code message } } }"""
REVOKE = """mutation($id: ID!) { revokeAgentAuthority(id: $id) { __typename
  ... on AgentAuthorityRevoked { authority { id revokedAt } } ... on NotFoundError { code message } } }"""


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def as_(client: httpx.AsyncClient, token: str, query: str, variables: dict | None = None) -> dict:
    response = await gql(client, query, variables, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


async def test_me_shows_masked_numbers(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    body = await as_(client, token("citizen"), ME)
    citizen = PERSONAS["citizen"]
    assert body["data"]["me"] == {
        "name": "王晓明",
        "idNumberMasked": citizen.id_number[:6] + "********" + citizen.id_number[-4:],
        "phoneMasked": "138****1234",
        "roles": [],
        "enterprises": [],
    }
    assert citizen.id_number not in str(body) and citizen.phone not in str(body)


async def test_anonymous_me_is_refused_politely(client: httpx.AsyncClient) -> None:
    body = (await gql(client, ME)).json()
    assert body["data"]["me"] is None
    assert body["errors"][0]["message"] == "请先登录"
    assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"


async def test_a_bad_token_is_401_and_creates_nobody(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    users = await User.all().count()
    for header, reason in (
        ({"authorization": "Bearer not.a.jwt"}, "malformed"),
        ({"authorization": "Basic abc"}, "missing"),
        (bearer(token("citizen", seconds=-120)), "expired"),
        (bearer(token("citizen")[:-4] + "AAAA"), "signature"),
    ):
        response = await gql(client, ME, headers=header)
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json()["errors"][0]["extensions"] == {"code": "NOT_AUTHENTICATED", "reason": reason}
    assert await User.all().count() == users


async def test_claims_with_a_wrong_id_number_are_refused_naming_the_field(
    client: httpx.AsyncClient, identity: Identity
) -> None:
    assert identity.dev_idp_pem is not None
    key = serialization.load_pem_private_key(identity.dev_idp_pem, password=None)
    now = int(time.time())
    bad = sign(key, {"iss": TEST_ISSUER, "aud": "zhangshangban", "sub": "bad-claims", "exp": now + 60,
                     "name": "测试", "id_number": "110105194912310021"}, kid=DEV_IDP_KID)
    response = await gql(client, ME, headers=bearer(bad))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "身份认证平台提供的信息有误（id_number）：身份证号码校验位不正确，请核对后重新输入"
    )
    assert not await User.filter(sub="bad-claims").exists()


async def test_numbers_are_encrypted_at_rest(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    await as_(client, token("citizen"), ME)
    await as_(client, token("enterprise-legal"), ME)
    connection = connections.get("default")
    dump = []
    for table in ("app_user", "membership", "enterprise", "data_access_log", "agent_authority"):
        _, rows = await connection.execute_query(f"SELECT * FROM {table}")
        dump.append(repr([dict(row) for row in rows]))
    text = "\n".join(dump)
    for persona in ("citizen", "enterprise-legal"):
        assert PERSONAS[persona].id_number not in text
        assert PERSONAS[persona].phone not in text
    assert "王晓明" in text  # the dump did read the rows


async def test_owner_reveals_own_number_and_the_read_is_logged(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    reveal = """mutation { revealMyNumber(field: ID_NUMBER) { __typename ... on RevealedNumber { field value } } }"""
    body = await as_(client, citizen, reveal)
    assert body["data"]["revealMyNumber"] == {"__typename": "RevealedNumber", "field": "ID_NUMBER",
                                              "value": PERSONAS["citizen"].id_number}
    log = await as_(client, citizen, "{ myDataAccessLog(first: 5) { totalCount edges { node { actorName what purpose outcome } } } }")
    newest = log["data"]["myDataAccessLog"]["edges"][0]["node"]
    assert newest == {"actorName": "王晓明", "what": "身份证号码", "purpose": "本人查看完整号码", "outcome": "ALLOWED"}


async def test_legal_representative_grants_and_revokes_agent_authority(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    legal, agent = token("enterprise-legal"), token("enterprise-agent")
    await as_(client, agent, ME)  # the agent has signed in once
    assert (await as_(client, agent, ENTERPRISE, {"uscc": DEMO_ENTERPRISE_USCC}))["data"]["enterprise"] is None

    space = (await as_(client, legal, ENTERPRISE, {"uscc": DEMO_ENTERPRISE_USCC}))["data"]["enterprise"]
    assert space["myRole"] == "LEGAL_REPRESENTATIVE" and space["myScope"] == ["*"]
    assert space["code"]["qrSvg"].startswith("<svg")

    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    granted = (await as_(client, legal, GRANT, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number,
        "scope": ["61010102006"], "expiresAt": expires}}))["data"]["grantAgentAuthority"]
    assert granted["__typename"] == "AgentAuthorityGranted"
    assert granted["authority"]["scope"] == ["61010102006"]

    seen = (await as_(client, agent, ENTERPRISE, {"uscc": DEMO_ENTERPRISE_USCC}))["data"]["enterprise"]
    assert seen["myRole"] == "AGENT" and seen["myScope"] == ["61010102006"]
    assert seen["agents"] == []  # only the legal representative manages agents

    revoked = (await as_(client, legal, REVOKE, {"id": granted["authority"]["id"]}))["data"]["revokeAgentAuthority"]
    assert revoked["__typename"] == "AgentAuthorityRevoked" and revoked["authority"]["revokedAt"]
    assert (await as_(client, agent, ENTERPRISE, {"uscc": DEMO_ENTERPRISE_USCC}))["data"]["enterprise"] is None


async def test_grant_input_errors_name_the_field(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    legal = token("enterprise-legal")
    future = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    cases = [
        ({"agentIdNumber": "110105194912310021"}, "agentIdNumber", "身份证号码校验位不正确，请核对后重新输入"),
        ({"agentIdNumber": PERSONAS["citizen2"].id_number}, "agentIdNumber",
         "该人员不是本企业登记的经办人，或尚未登录过掌上办"),
        ({"scope": ["nope"]}, "scope", "授权范围中的事项编码不存在：nope"),
        ({"scope": []}, "scope", "请至少选择一个授权办理的事项"),
        ({"expiresAt": "2020-01-01T00:00:00+00:00"}, "expiresAt", "授权截止时间须晚于现在"),
        ({"expiresAt": (datetime.now(timezone.utc) + timedelta(days=400)).isoformat()}, "expiresAt", "授权期限最长为一年"),
    ]
    await as_(client, token("enterprise-agent"), ME)
    before = await AgentAuthority.all().count()
    for override, field, message in cases:
        payload = {"uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number,
                   "scope": ["*"], "expiresAt": future, **override}
        result = (await as_(client, legal, GRANT, {"input": payload}))["data"]["grantAgentAuthority"]
        assert result == {"__typename": "InputError", "code": "INVALID_INPUT", "field": field, "message": message}
    assert await AgentAuthority.all().count() == before


async def test_idor_matrix_another_person_gets_nothing(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    legal, stranger = token("enterprise-legal"), token("citizen2")
    await as_(client, token("enterprise-agent"), ME)
    future = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    granted = (await as_(client, legal, GRANT, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["enterprise-agent"].id_number,
        "scope": ["*"], "expiresAt": future}}))["data"]["grantAgentAuthority"]["authority"]
    authorities, logs = await AgentAuthority.all().count(), await DataAccessLog.all().count()

    # Every object-returning field, with the stranger's token:
    assert (await as_(client, stranger, ENTERPRISE, {"uscc": DEMO_ENTERPRISE_USCC}))["data"]["enterprise"] is None
    me = (await as_(client, stranger, ME))["data"]["me"]
    assert me["name"] == "李娜" and me["enterprises"] == []
    log = (await as_(client, stranger, "{ myDataAccessLog { edges { node { actorName } } } }"))["data"]
    assert all(edge["node"]["actorName"] == "李娜" for edge in log["myDataAccessLog"]["edges"])
    revoke = (await as_(client, stranger, REVOKE, {"id": granted["id"]}))["data"]["revokeAgentAuthority"]
    assert revoke == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该授权"}
    grant = (await as_(client, stranger, GRANT, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": PERSONAS["citizen2"].id_number, "scope": ["*"],
        "expiresAt": future}}))["data"]["grantAgentAuthority"]
    assert grant == {"__typename": "NotPermittedError", "code": "NOT_PERMITTED",
                     "message": "只有企业法定代表人可以管理经办人授权"}
    code = (await as_(client, token("citizen"), "{ personalCode { token } }"))["data"]["personalCode"]["token"]
    identify = """mutation($t: String!) { identifyByCode(token: $t) { __typename ... on NotPermittedError { message } } }"""
    refused = (await as_(client, stranger, identify, {"t": code}))["data"]["identifyByCode"]
    assert refused == {"__typename": "NotPermittedError", "message": "只有窗口工作人员可以扫码核验身份"}

    # ... and none of those calls changed anything.
    assert await AgentAuthority.all().count() == authorities
    assert await AgentAuthority.get(id=int(granted["id"])).values_list("revoked_at", flat=True) is None
    assert await DataAccessLog.all().count() == logs


async def test_hall_window_identifies_a_person_by_code_and_it_is_logged(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    citizen = token("citizen")
    code = (await as_(client, citizen, "{ personalCode { token qrSvg expiresAt } }"))["data"]["personalCode"]
    assert code["qrSvg"].startswith("<svg")
    identify = """mutation($t: String!) { identifyByCode(token: $t) { __typename
      ... on PartyIdentified { party { kind name numberMasked } } ... on InputError { field message } } }"""
    found = (await as_(client, token("staff"), identify, {"t": code["token"]}))["data"]["identifyByCode"]
    number = PERSONAS["citizen"].id_number
    assert found == {"__typename": "PartyIdentified",
                     "party": {"kind": "PERSON", "name": "王晓明", "numberMasked": number[:6] + "********" + number[-4:]}}
    log = (await as_(client, citizen, "{ myDataAccessLog(first: 1) { edges { node { actorName purpose } } } }"))
    assert log["data"]["myDataAccessLog"]["edges"][0]["node"] == {"actorName": "刘洋", "purpose": "窗口扫码核验身份"}
    bad = (await as_(client, token("staff"), identify, {"t": code["token"][:-3] + "abc"}))["data"]["identifyByCode"]
    assert bad == {"__typename": "InputError", "field": "token", "message": "无法识别的身份码"}

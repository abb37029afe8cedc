"""Hostile and careless input to every lookup (issue 18, part 4): what cannot exist is not found,
what is malformed is the field's own validation error, and nothing reaches the ORM unbounded
(a tortoise ValidationError, ValueError or OverflowError would come back masked)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
import pytest

from backend.auth.personas import DEMO_ENTERPRISE_USCC
from backend.models import Case
from backend.services.notifications.inbox import encode_notification_cursor
from backend.services.pagination import encode_cursor, encode_position
from tests.cases_helpers import (
    ACCEPT, APPROVE, DELIVER, EXPLAIN, REJECT, REQUEST_SUPPLEMENT, START_REVIEW, SUPPLEMENT, TEACHER, WITHDRAW,
    bearer, call, move, submit, submitted_case, transition,
)
from tests.helpers import gql

LONG_NUMBER = "A" * 33  # Case.number is 32 long
SURROGATE = "\ud800"
SUPERSCRIPT = "²"  # str.isdigit() says yes, int() says no
HUGE = "9" * 23  # past bigint; SQLite raises OverflowError
NO_CASE = {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该办件"}


async def body(client: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await gql(client, query, variables, headers=bearer(token) if token else None)
    assert response.status_code == 200, response.text
    return response.json()


def only_error(result: dict[str, Any]) -> dict[str, Any]:
    assert len(result.get("errors", [])) == 1, result
    error = result["errors"][0]
    return {"message": error["message"], **error.get("extensions", {})}


def short(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k in ("__typename", "code", "field", "message")}


STAFF_MOVES = [
    (ACCEPT, {}), (START_REVIEW, {}), (APPROVE, {}), (REJECT, {"reason": "不符合条件"}),
    (DELIVER, {"method": "ELECTRONIC", "tracking": None}), (EXPLAIN, {"reason": "材料复杂"}),
    (REQUEST_SUPPLEMENT, {"ids": ["1"], "note": "请补正"}),
]


@pytest.mark.parametrize(("mutation", "extra"), STAFF_MOVES)
async def test_case_numbers_longer_than_any_case_are_not_found(
    client: httpx.AsyncClient, token: Callable[..., str], mutation: str, extra: dict[str, Any],
) -> None:
    assert short(await move(client, token("staff"), mutation, LONG_NUMBER, **extra)) == NO_CASE
    assert short(await move(client, token("staff"), mutation, SURROGATE, **extra)) == {
        "__typename": "InputError", "code": "INVALID_INPUT", "field": "number", "message": "办件编号格式不正确"}


async def test_applicant_moves_bound_the_case_number(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    assert short(await move(client, citizen, WITHDRAW, LONG_NUMBER)) == NO_CASE
    assert short(await move(client, citizen, SUPPLEMENT, LONG_NUMBER, materials=[])) == NO_CASE
    assert (await move(client, citizen, WITHDRAW, "\x00" + "1" * 10))["field"] == "number"


async def test_case_query_bounds_the_number(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    query = "query($n: String!) { case(number: $n) { number } }"
    assert await body(client, citizen, query, {"n": LONG_NUMBER}) == {"data": {"case": None}}
    refused = await body(client, citizen, query, {"n": SURROGATE})
    assert refused["data"] == {"case": None}
    assert only_error(refused) == {"message": "办件编号格式不正确", "code": "INVALID_INPUT", "field": "number"}


async def test_free_text_that_cannot_be_stored_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    case = await submitted_case(client, citizen)
    withdraw = transition("withdrawCase", ", reason: $reason", ", $reason: String")
    refused = await move(client, citizen, withdraw, case["number"], reason="不办了" + SURROGATE)
    assert short(refused) == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "reason",
                              "message": "内容含有无法识别的字符"}
    assert (await Case.get(number=case["number"])).status == "SUBMITTED"


async def test_unknown_enterprises_and_items_by_overlong_keys(client: httpx.AsyncClient,
                                                               token: Callable[..., str]) -> None:
    legal = token("enterprise-legal")
    query = "query($u: String!) { enterprise(uscc: $u) { uscc } }"
    assert await body(client, legal, query, {"u": DEMO_ENTERPRISE_USCC + "X"}) == {"data": {"enterprise": None}}
    assert only_error(await body(client, legal, query, {"u": SURROGATE}))["field"] == "uscc"

    grant = """mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) {
      __typename ... on NotPermittedError { code message } ... on InputError { code field message } } }"""
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    granted = (await call(client, legal, grant, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC + "X", "agentIdNumber": "110101199003074514", "scope": ["*"],
        "expiresAt": expires}}))["grantAgentAuthority"]
    assert granted == {"__typename": "NotPermittedError", "code": "NOT_PERMITTED",
                       "message": "只有企业法定代表人可以管理经办人授权"}

    form = "query($c: String!, $u: String) { applicationForm(itemCode: $c, enterpriseUscc: $u) { online } }"
    long_code = await body(client, legal, form, {"c": "6" * 33})
    assert only_error(long_code) == {"message": "事项不存在，请从事项目录重新进入", "code": "INVALID_INPUT",
                                     "field": "itemCode"}
    long_uscc = await body(client, legal, form, {"c": TEACHER, "u": "9" * 19})
    assert only_error(long_uscc) == {"message": "你不是该企业的法定代表人，或没有有效的经办授权",
                                     "code": "NOT_PERMITTED"}
    submitted = await submit(client, legal, code="6" * 33, materials=[])
    assert short(submitted) == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "itemCode",
                                "message": "事项不存在，请从事项目录重新进入"}

    item = "query($c: String!) { serviceItem(code: $c) { code } }"
    assert await body(client, None, item, {"c": "6" * 33}) == {"data": {"serviceItem": None}}
    assert only_error(await body(client, None, item, {"c": SURROGATE}))["field"] == "code"


@pytest.mark.parametrize(("raw", "expected"), [
    (SUPERSCRIPT, {"__typename": "InputError", "code": "INVALID_INPUT", "field": "id"}),
    (HUGE, {"__typename": "NotFoundError", "code": "NOT_FOUND"}),
    ("0", {"__typename": "NotFoundError", "code": "NOT_FOUND"}),
])
async def test_ids_are_ascii_digits_within_the_column(
    client: httpx.AsyncClient, token: Callable[..., str], raw: str, expected: dict[str, str],
) -> None:
    legal, citizen = token("enterprise-legal"), token("citizen")
    revoke = "mutation($id: ID!) { revokeAgentAuthority(id: $id) { __typename %s } }"
    remove = "mutation($id: ID!) { removePushDevice(id: $id) { __typename %s } }"
    present = "mutation($id: ID!) { presentLicense(licenseId: $id) { __typename %s } }"
    change = "mutation($id: ID!) { changeLicenseStatus(licenseId: $id, status: SUSPENDED, reason: \"x\") { __typename %s } }"
    fields = "... on InputError { code field } ... on NotFoundError { code }"
    for persona, mutation, field in [(legal, revoke, "id"), (citizen, remove, "id"), (citizen, present, "licenseId"),
                                     (token("staff"), change, "licenseId")]:
        data = await call(client, persona, mutation % fields, {"id": raw})
        want = {**expected, "field": field} if "field" in expected else expected
        assert next(iter(data.values())) == want, mutation

    license_query = await body(client, citizen, "query($id: ID!) { license(id: $id) { id } }", {"id": raw})
    assert license_query == {"data": {"license": None}}


async def test_list_ids_are_bounded(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    mark = """mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { __typename
      ... on NotificationsMarkedRead { marked } ... on InputError { code field message } } }"""
    assert (await call(client, citizen, mark, {"ids": [HUGE]}))["markNotificationsRead"] == {
        "__typename": "NotificationsMarkedRead", "marked": 0}
    assert (await call(client, citizen, mark, {"ids": ["1", SUPERSCRIPT]}))["markNotificationsRead"] == {
        "__typename": "InputError", "code": "INVALID_INPUT", "field": "ids[1]", "message": "消息编号无效"}

    case = await submitted_case(client, citizen)
    refused = await move(client, staff, REQUEST_SUPPLEMENT, case["number"], ids=[HUGE], note="请补正")
    assert short(refused) == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "materialIds",
                              "message": "所选材料不属于该办件的办事指南"}
    assert (await Case.get(number=case["number"])).status == "SUBMITTED"
    for raw, message in [(SUPERSCRIPT, "编号格式不正确"), (HUGE, "该材料不在本事项的办事指南中")]:
        submitted = await submit(client, citizen, materials=[{"materialId": raw, "fields": []}])
        assert short(submitted) == {"__typename": "InputError", "code": "INVALID_INPUT",
                                    "field": "materials[0].materialId", "message": message}


async def test_catalog_filters_and_search_are_bounded(client: httpx.AsyncClient) -> None:
    query = "query($d: ID, $s: String) { serviceItems(departmentId: $d, search: $s) { totalCount } }"
    assert await body(client, None, query, {"d": HUGE}) == {"data": {"serviceItems": {"totalCount": 0}}}
    assert only_error(await body(client, None, query, {"d": SUPERSCRIPT})) == {
        "message": "部门编号格式不正确", "code": "INVALID_INPUT", "field": "departmentId"}
    assert only_error(await body(client, None, query, {"s": "结婚" + SURROGATE})) == {
        "message": "搜索内容含有无法识别的字符", "code": "INVALID_INPUT", "field": "search"}


@pytest.mark.parametrize("cursor", [
    encode_cursor(2**31), encode_position("o:", 10**30), encode_position("o:", -1), "o" * 200, SURROGATE,
])
async def test_cursors_past_any_row_are_refused(client: httpx.AsyncClient, token: Callable[..., str],
                                                cursor: str) -> None:
    message = "分页游标无效，请从第一页重新加载"
    for persona, query in [(None, "query($a: String) { serviceItems(after: $a) { totalCount } }"),
                           (token("citizen"), "query($a: String) { myCases(after: $a) { totalCount } }"),
                           (token("staff"), "query($a: String) { staffCases(after: $a) { totalCount } }"),
                           (token("citizen"), "query($a: String) { myDataAccessLog(after: $a) { totalCount } }"),
                           (token("staff"), "query($a: String) { issuedLicenses(after: $a) { totalCount } }")]:
        assert only_error(await body(client, persona, query, {"a": cursor})) == {
            "message": message, "code": "INVALID_INPUT", "field": "after"}, query
    inbox = "query($a: String) { notifications(after: $a) { totalCount } }"
    huge = encode_notification_cursor(2**63)
    assert only_error(await body(client, token("citizen"), inbox, {"a": huge}))["message"] == "消息游标无效，请刷新页面"


P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
PUSH = """mutation($i: PushSubscriptionInput!) { registerPushSubscription(input: $i) { __typename
  ... on InputError { field message } } }"""
GRANT = """mutation($i: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $i) { __typename
  ... on InputError { field message } } }"""


def _push(endpoint: str, label: str) -> dict[str, Any]:
    return {"i": {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": "tBHItJI5svbpez7KI4CCXg"},
                  "deviceLabel": label}}


@pytest.mark.parametrize(("persona", "mutation", "variables", "field"), [
    ("citizen", "mutation($e: String!) { unregisterPushSubscription(endpoint: $e) { __typename "
                "... on InputError { field message } } }", {"e": SURROGATE}, "endpoint"),
    ("citizen", PUSH, _push("https://127.0.0.1/" + SURROGATE, "手机"), "input.endpoint"),
    ("citizen", PUSH, _push("https://127.0.0.1/x", SURROGATE), "input.deviceLabel"),
    ("citizen", "mutation($i: SubmitApplicationInput!) { submitApplication(input: $i) { __typename "
                "... on InputError { field message } } }",
     {"i": {"itemCode": TEACHER, "materials": [], "idempotencyKey": "a" * 32, "deficiencyPromise": SURROGATE}},
     "deficiencyPromise"),
    ("enterprise-legal", GRANT, {"i": {"uscc": DEMO_ENTERPRISE_USCC, "agentIdNumber": "110101199003074514",
                                       "scope": [SURROGATE], "expiresAt": "2027-01-01T00:00:00+08:00"}}, "scope"),
    ("staff", "mutation($r: String!) { changeLicenseStatus(licenseId: \"1\", status: SUSPENDED, reason: $r) { "
              "__typename ... on InputError { field message } } }", {"r": SURROGATE}, "reason"),
    # The old answer echoed the key in its message, and the response could not be encoded (500).
    ("citizen", "mutation($d: [String!]) { presentLicense(licenseId: \"1\", disclose: $d) { __typename "
                "... on InputError { field message } } }", {"d": ["holderName", SURROGATE]}, "disclose[1]"),
])
async def test_text_that_cannot_be_stored_or_echoed_is_the_fields_input_error(
    client: httpx.AsyncClient, token: Callable[..., str], persona: str, mutation: str, variables: dict[str, Any],
    field: str,
) -> None:
    result = next(iter((await call(client, token(persona), mutation, variables)).values()))
    assert result == {"__typename": "InputError", "field": field, "message": "内容含有无法识别的字符"}


async def test_material_fields_that_cannot_be_stored_are_refused(client: httpx.AsyncClient,
                                                                 token: Callable[..., str]) -> None:
    citizen = token("citizen")
    case = await submitted_case(client, citizen)
    refused = await move(client, citizen, SUPPLEMENT, case["number"],
                         materials=[{"materialId": "1", "fields": [{"name": "内容", "value": SURROGATE}]}])
    assert short(refused) == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "materials[0].fields",
                              "message": "内容含有无法识别的字符"}


async def test_an_item_code_longer_than_its_column_names_no_item(client: httpx.AsyncClient) -> None:
    # itemSatisfaction reached the ORM with a 210-character code (found by the schema fuzzer).
    answer = await gql(client, '{ itemSatisfaction(itemCode: "%s") { rate } }' % ("码" * 210))
    assert answer.json() == {"data": {"itemSatisfaction": None}}


def test_a_value_the_driver_refused_is_the_clients_mistake_behind_tortoises_wrapper() -> None:
    # tortoise re-raises asyncpg's DataError (a NUL byte on PostgreSQL) as OperationalError.
    from asyncpg.exceptions import CharacterNotInRepertoireError
    from tortoise.exceptions import OperationalError

    from backend.schema.extensions import _is_unstorable

    try:
        try:
            raise CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')
        except CharacterNotInRepertoireError as driver:
            raise OperationalError(driver) from driver
    except OperationalError as wrapped:
        assert _is_unstorable(wrapped)
    assert not _is_unstorable(OperationalError("connection was closed in the middle of operation"))


async def test_booking_ids_are_ascii_digits_within_range(client: httpx.AsyncClient) -> None:
    for raw in ("²", "999999999999"):  # a ValueError and a value past the int4 column: never a crash
        answer = (await gql(client, '{ hallSlots(hallId: "%s", itemCode: "x", from: "2026-12-03", to: "2026-12-04") { id } }'
                            % raw)).json()
        errors = answer.get("errors") or []
        assert all(e["message"] != "服务暂时不可用，请稍后重试" for e in errors), answer


async def test_a_ticket_id_that_cannot_exist_is_no_ticket(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    for raw in ("ПH", "²", "99999999999999999999999"):
        answer = (await gql(client, '{ rectificationTicket(id: "%s") { id } }' % raw,
                            headers={"Authorization": f"Bearer {token('staff')}"})).json()
        assert answer == {"data": {"rectificationTicket": None}}, answer

"""帮办代办 (issue 14): a person asks a hall to call back — the account's phone by default, or
one they give (a valid mainland mobile) — once per hall while it is open; the hall's staff (of a
department stationed there) see it in their queue, each read of the whole number audited, and
mark it 已回电 or 无法联系, which tells the person in the inbox. Others see and change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from backend.auth.identity import Identity
from backend.models import CallbackRequest, DataAccessLog, Notification, ServiceHall
from backend.seed.reference import CITY_HALL
from backend.services.callbacks.service import CALLBACK_PHONE
from backend.services.notifications.inbox import PUSHABLE_KINDS
from backend.settings import Settings
from notifications.payload import DELIVERY
from tests.bookings_helpers import person_token, user_of
from tests.cases_helpers import TEACHER, call
from tests.factories import make_department

REQUEST = """mutation($input: RequestCallbackInput!) { requestCallback(input: $input) { __typename
  ... on CallbackRequested { request { id status statusLabel phoneMasked note itemCode itemName hall { name phone } } }
  ... on CallbackPendingError { code message requestId } ... on InputError { code field message }
  ... on NotFoundError { code message } } }"""
MARK = """mutation($id: ID!, $outcome: CallbackOutcome!, $note: String!) {
  markCallbackDone(id: $id, outcome: $outcome, note: $note) { __typename
  ... on CallbackMarked { request { id status statusLabel outcomeNote handledByName phone } }
  ... on CallbackNotOpenError { code message status } ... on InputError { code field message }
  ... on NotFoundError { code message } } }"""
MINE = "{ myCallbackRequests { id status statusLabel phoneMasked outcomeNote hall { name } } }"
QUEUE = """query($hall: ID!, $status: CallbackStatus) { hallCallbackRequests(hallId: $hall, status: $status) {
  id status personName phone phoneMasked itemName note } }"""


async def _city_hall() -> ServiceHall:
    return await ServiceHall.get(name=CITY_HALL)


def _person(identity: Identity, settings: Settings, **claims: object) -> str:
    return person_token(identity, settings, name="张三丰", **claims)


async def test_a_person_asks_the_items_hall_to_call_back_on_the_accounts_phone(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    answer = (await call(client, person, REQUEST, {"input": {"itemCode": TEACHER, "note": "材料不会填，号码 13900001111"}}))
    request = answer["requestCallback"]
    assert request["__typename"] == "CallbackRequested", request
    assert {k: request["request"][k] for k in ("status", "statusLabel", "phoneMasked", "itemCode", "note")} == {
        "status": "PENDING", "statusLabel": "待回电", "phoneMasked": "138****5678", "itemCode": TEACHER,
        "note": "材料不会填，号码 139****1111"}
    assert request["request"]["hall"]["name"] == CITY_HALL  # the item's hall
    row = await CallbackRequest.get(id=int(request["request"]["id"]))
    assert "13812345678" not in row.phone_enc
    assert identity.vault.decrypt(row.phone_enc, purpose=CALLBACK_PHONE) == "13812345678"
    assert [r["id"] for r in (await call(client, person, MINE))["myCallbackRequests"]] == [request["request"]["id"]]


async def test_a_given_phone_must_be_a_mainland_mobile_and_a_note_short(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings)  # the provider gave no phone
    hall = str((await _city_hall()).id)
    cases = [
        ({"hallId": hall}, {"code": "INVALID_INPUT", "field": "phone", "message": "请填写回电的手机号码"}),
        ({"hallId": hall, "phone": "02912345678"},
         {"code": "INVALID_INPUT", "field": "phone", "message": "手机号码应为 11 位数字，以 1 开头"}),
        ({"hallId": hall, "phone": "13812345678", "note": "长" * 201},
         {"code": "INVALID_INPUT", "field": "note", "message": "留言不超过 200 字，现在是 201 字"}),
        ({"hallId": "999999", "phone": "13812345678"}, {"code": "NOT_FOUND", "message": "服务大厅不存在"}),
        ({"itemCode": "00000000000", "phone": "13812345678"}, {"code": "NOT_FOUND", "message": "事项不存在或已下线"}),
    ]
    for given, expected in cases:
        answer = (await call(client, person, REQUEST, {"input": given}))["requestCallback"]
        assert {k: v for k, v in answer.items() if k != "__typename"} == expected, given
    assert await CallbackRequest.filter(user=await user_of(person)).count() == 0


async def test_one_open_request_per_person_per_hall_even_sent_twice_at_once(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    await call(client, person, "{ me { name } }")
    hall = await _city_hall()
    ask = {"input": {"hallId": str(hall.id)}}
    answers = await asyncio.gather(*(call(client, person, REQUEST, ask) for _ in range(3)))
    kinds = sorted(a["requestCallback"]["__typename"] for a in answers)
    assert kinds == ["CallbackPendingError", "CallbackPendingError", "CallbackRequested"]
    [made] = [a["requestCallback"]["request"]["id"] for a in answers if "request" in a["requestCallback"]]
    again = (await call(client, person, REQUEST, ask))["requestCallback"]
    assert again == {"__typename": "CallbackPendingError", "code": "CALLBACK_PENDING", "requestId": made,
                     "message": f"你已请{CITY_HALL}回电，工作人员会尽快联系你，请勿重复申请"}
    assert await CallbackRequest.filter(user=await user_of(person)).count() == 1


async def test_hall_staff_see_the_queue_call_and_mark_it_done_and_the_person_is_told(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    made = (await call(client, person, REQUEST, {"input": {"itemCode": TEACHER, "note": "想咨询认定条件"}}))
    request_id = made["requestCallback"]["request"]["id"]
    hall = str((await _city_hall()).id)
    queue = (await call(client, token("staff"), QUEUE, {"hall": hall, "status": "PENDING"}))["hallCallbackRequests"]
    mine = [r for r in queue if r["id"] == request_id]
    assert mine == [{"id": request_id, "status": "PENDING", "personName": "张*丰", "phone": "13812345678",
                     "phoneMasked": "138****5678", "itemName": "教师资格认定", "note": "想咨询认定条件"}]
    user = await user_of(person)
    assert await DataAccessLog.filter(subject=user, what="phone", purpose="帮办代办：大厅回电").count() == 1

    marked = (await call(client, token("staff"), MARK, {"id": request_id, "outcome": "CALLED",
                                                       "note": "已说明认定条件"}))["markCallbackDone"]
    assert marked == {"__typename": "CallbackMarked", "request": {
        "id": request_id, "status": "CALLED", "statusLabel": "已回电", "outcomeNote": "已说明认定条件",
        "handledByName": "刘洋", "phone": None}}  # a handled request's number is not shown again
    [told] = await Notification.filter(user=user, kind="CALLBACK_HANDLED")
    assert (told.title, told.link) == ("大厅已回电", "/me/callbacks")
    assert told.body == f"{CITY_HALL}工作人员已按你的帮办代办请求回电（事项：教师资格认定）。工作人员说明：已说明认定条件"
    [listed] = (await call(client, person, MINE))["myCallbackRequests"]
    assert (listed["status"], listed["statusLabel"], listed["outcomeNote"]) == ("CALLED", "已回电", "已说明认定条件")

    twice = (await call(client, token("staff"), MARK, {"id": request_id, "outcome": "UNREACHABLE",
                                                      "note": ""}))["markCallbackDone"]
    assert twice == {"__typename": "CallbackNotOpenError", "code": "CALLBACK_NOT_OPEN", "status": "CALLED",
                     "message": "该请求已处理（已回电），不能再次标记"}
    assert await Notification.filter(user=user, kind="CALLBACK_HANDLED").count() == 1
    # Handled, the hall may be asked again.
    again = (await call(client, person, REQUEST, {"input": {"itemCode": TEACHER}}))["requestCallback"]
    assert again["__typename"] == "CallbackRequested"


async def test_unreachable_tells_the_person_the_halls_number(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    made = (await call(client, person, REQUEST, {"input": {"itemCode": TEACHER}}))["requestCallback"]["request"]
    marked = (await call(client, token("staff"), MARK, {"id": made["id"], "outcome": "UNREACHABLE",
                                                       "note": "两次未接通"}))["markCallbackDone"]
    assert marked["request"]["statusLabel"] == "无法联系"
    told = await Notification.get(user=await user_of(person), kind="CALLBACK_HANDLED")
    assert told.title == "大厅未能联系上你"
    assert told.body == (f"{CITY_HALL}工作人员按你的帮办代办请求回电（事项：教师资格认定），但未能接通。工作人员说明：两次未接通。"
                         f"如仍需帮助，可再次申请回电，或拨打 {made['hall']['phone']}。")


async def test_people_who_are_not_the_halls_staff_see_and_change_nothing(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    made = (await call(client, person, REQUEST, {"input": {"itemCode": TEACHER}}))["requestCallback"]["request"]
    hall = str((await _city_hall()).id)
    before = await DataAccessLog.filter(subject=await user_of(person)).count()
    for who in (person, token("citizen2")):
        response = await client.post("/graphql", json={"query": QUEUE, "variables": {"hall": hall}},
                                     headers={"authorization": f"Bearer {who}"})
        body = response.json()
        assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == ["NOT_PERMITTED"]
        response = await client.post("/graphql", json={"query": MARK, "variables": {
            "id": made["id"], "outcome": "CALLED", "note": ""}}, headers={"authorization": f"Bearer {who}"})
        body = response.json()
        assert body["data"] is None and body["errors"][0]["message"] == "只有窗口工作人员可以查看和处理"
    # Staff of a department with no window at the hall: not their queue, and not a request they can see.
    other = person_token(identity, settings, roles=["STAFF"], department=(await make_department()).code)
    denied = (await client.post("/graphql", json={"query": QUEUE, "variables": {"hall": hall}},
                                headers={"authorization": f"Bearer {other}"})).json()
    assert denied["errors"][0]["message"] == "你所在部门未在该大厅设窗口，不能查看该大厅的回电请求"
    marked = (await call(client, other, MARK, {"id": made["id"], "outcome": "CALLED", "note": ""}))["markCallbackDone"]
    assert marked == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "未找到该回电请求"}
    row = await CallbackRequest.get(id=int(made["id"]))
    assert (row.status, row.handled_by_id) == ("PENDING", None)
    assert await DataAccessLog.filter(subject=await user_of(person)).count() == before
    assert await Notification.filter(user=await user_of(person), kind="CALLBACK_HANDLED").count() == 0


def test_every_pushable_kind_has_its_ttl_and_urgency() -> None:
    """The push job looks the kind up (notifications/payload.py): a kind without a row would fail
    every push of it (CALLBACK_HANDLED here; BOOKING_CHANGED had none before)."""
    assert sorted(set(PUSHABLE_KINDS) - set(DELIVERY)) == []


async def test_a_person_has_at_most_three_open_requests_across_halls(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    person = _person(identity, settings, phone_number="13812345678")
    halls = [str(h.id) for h in await ServiceHall.all().order_by("id").limit(4)]
    assert len(halls) == 4
    for hall in halls[:3]:
        made = (await call(client, person, REQUEST, {"input": {"hallId": hall}}))["requestCallback"]
        assert made["__typename"] == "CallbackRequested", made
    fourth = (await call(client, person, REQUEST, {"input": {"hallId": halls[3]}}))["requestCallback"]
    assert fourth == {"__typename": "CallbackPendingError", "code": "CALLBACK_PENDING", "requestId": None,
                      "message": "你已有 3 个待回电的请求，请等大厅回电后再申请"}
    assert await CallbackRequest.filter(user=await user_of(person)).count() == 3

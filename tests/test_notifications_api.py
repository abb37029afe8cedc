"""The inbox: case events become notifications in the same transaction; reading, paging,
marking read, preferences, and notificationAdded replayed from a cursor then live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from backend.models import Notification, NotificationPreferences
from backend.models.notifications import NotificationKind
from backend.services.notifications.inbox import encode_notification_cursor
from tests.cases_helpers import ACCEPT, REJECT, REQUEST_SUPPLEMENT, call, complete_materials, move, submit, submitted_case
from tests.helpers import gql
from tests.ws_helpers import Subscription

INBOX = """query($first: Int!, $after: String, $unread: Boolean!) {
  notifications(first: $first, after: $after, unreadOnly: $unread) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id cursor kind kindLabel title body link caseNumber read } }
  }
  unreadNotificationCount
}"""
MARK = """mutation($ids: [ID!], $all: Boolean!) { markNotificationsRead(ids: $ids, all: $all) {
  __typename ... on NotificationsMarkedRead { marked unreadCount } ... on InputError { code field message } } }"""
PREFS = """query { notificationPreferences { pushKinds quietHours { start end } kinds { kind label } } }"""
UPDATE_PREFS = """mutation($input: NotificationPreferencesInput!) { updateNotificationPreferences(input: $input) {
  __typename ... on NotificationPreferencesUpdated { preferences { pushKinds quietHours { start end } } }
  ... on InputError { code field message } } }"""
ADDED = """subscription($after: String) { notificationAdded(after: $after) { id cursor kind title caseNumber read } }"""


async def inbox(client: httpx.AsyncClient, token: str, *, first: int = 20, after: str | None = None,
                unread: bool = False) -> dict[str, Any]:
    return await call(client, token, INBOX, {"first": first, "after": after, "unread": unread})


async def newest_cursor() -> str:
    newest = await Notification.all().order_by("-id").first()
    return encode_notification_cursor(newest.id if newest else 0)


async def test_case_moves_notify_the_applicant_in_their_own_words(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    receipt = await Notification.get(case__number=case["number"])  # submitting writes the receipt, inbox only
    assert (receipt.kind, receipt.title, receipt.push_after) == (NotificationKind.CASE_SUBMITTED, "申请已提交", None)
    assert receipt.body == f"您申请的「教师资格认定」已提交（{case['number']}），等待部门受理。可在办件详情查看进度。"
    accepted = await move(client, staff, ACCEPT, case["number"])
    due = accepted["case"]["deadline"]["promisedDue"]
    rejected = await move(client, staff, REJECT, case["number"], reason="申请人不符合认定条件")
    assert rejected["__typename"] == "CaseUpdated"

    page = (await inbox(client, citizen, first=4))["notifications"]
    mine = [edge["node"] for edge in page["edges"] if edge["node"]["caseNumber"] == case["number"]]
    assert [(n["kind"], n["title"], n["read"]) for n in mine] == [
        ("RATING_INVITATION", "请为本次服务评价", False),
        ("CASE_REJECTED", "不予批准", False),
        ("CASE_ACCEPTED", "办件已受理", False),
        ("CASE_SUBMITTED", "申请已提交", False),
    ]
    assert mine[2]["kindLabel"] == "办件已受理"
    assert mine[2]["body"] == f"您申请的「教师资格认定」已受理（{case['number']}），承诺 {due} 前办结。"
    assert "申请人不符合认定条件" in mine[1]["body"]
    assert mine[1]["link"] == f"/cases/{case['number']}"
    assert mine[0]["link"] == f"/cases/{case['number']}?rate=1"
    # The staff member who moved the case is told nothing; the citizen2 inbox does not see it.
    assert not await Notification.filter(case__number=case["number"]).exclude(user__sub="dev-citizen").exists()


async def test_a_submission_sent_twice_or_refused_writes_one_receipt_or_none(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = token("citizen")
    before = await Notification.filter(kind=NotificationKind.CASE_SUBMITTED).count()
    refused = await submit(client, citizen, materials=[])
    assert refused["__typename"] == "MaterialsMissingError"
    assert await Notification.filter(kind=NotificationKind.CASE_SUBMITTED).count() == before

    materials = await complete_materials(client, citizen)
    first = await submit(client, citizen, key="receipt-once", materials=materials)
    again = await submit(client, citizen, key="receipt-once", materials=materials)
    assert first["case"]["number"] == again["case"]["number"]
    receipts = await Notification.filter(case__number=first["case"]["number"]).values_list("kind", "link")
    assert receipts == [(NotificationKind.CASE_SUBMITTED, f"/cases/{first['case']['number']}")]


async def test_pages_newest_first_by_id_and_unread_only(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    material = case["materials"][0]["materialId"]
    await move(client, staff, REQUEST_SUPPLEMENT, case["number"], ids=[material], note="照片不清晰")
    first = (await inbox(client, citizen, first=1))["notifications"]
    assert first["edges"][0]["node"]["kind"] == "SUPPLEMENT_REQUESTED" and first["pageInfo"]["hasNextPage"]
    # A notification arriving between pages does not shift the next page (keyset, not offset).
    await move(client, staff, REJECT, case["number"], reason="逾期未补正")
    second = (await inbox(client, citizen, first=1, after=first["pageInfo"]["endCursor"]))["notifications"]
    assert second["edges"][0]["node"]["kind"] == "CASE_ACCEPTED"

    everything = await inbox(client, citizen, first=1000)
    assert everything["unreadNotificationCount"] == sum(not e["node"]["read"] for e in everything["notifications"]["edges"])
    unread = (await inbox(client, citizen, first=1000, unread=True))["notifications"]
    assert unread["totalCount"] == everything["unreadNotificationCount"]


async def test_mark_read_touches_only_the_viewers_own(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen, staff, other = token("citizen"), token("staff"), token("citizen2")
    case = await submitted_case(client, citizen)
    await move(client, staff, ACCEPT, case["number"])
    accepted = await Notification.get(case__number=case["number"], kind=NotificationKind.CASE_ACCEPTED)
    before = (await inbox(client, citizen))["unreadNotificationCount"]

    stolen = (await call(client, other, MARK, {"ids": [str(accepted.id)], "all": False}))["markNotificationsRead"]
    assert stolen == {"__typename": "NotificationsMarkedRead", "marked": 0, "unreadCount": stolen["unreadCount"]}
    assert (await Notification.get(id=accepted.id)).read_at is None

    mine = (await call(client, citizen, MARK, {"ids": [str(accepted.id)], "all": False}))["markNotificationsRead"]
    assert mine == {"__typename": "NotificationsMarkedRead", "marked": 1, "unreadCount": before - 1}
    again = (await call(client, citizen, MARK, {"ids": [str(accepted.id)], "all": False}))["markNotificationsRead"]
    assert again["marked"] == 0

    neither = (await call(client, citizen, MARK, {"ids": None, "all": False}))["markNotificationsRead"]
    assert neither == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "ids",
                       "message": "请指定要标记的消息，或选择全部已读"}
    bad = (await call(client, citizen, MARK, {"ids": ["abc"], "all": False}))["markNotificationsRead"]
    assert bad == {"__typename": "InputError", "code": "INVALID_INPUT", "field": "ids[0]", "message": "消息编号无效"}

    others_unread = await Notification.filter(user__sub="dev-citizen2", read_at=None).count()
    everything = (await call(client, citizen, MARK, {"ids": None, "all": True}))["markNotificationsRead"]
    assert everything["unreadCount"] == 0
    assert await Notification.filter(user__sub="dev-citizen2", read_at=None).count() == others_unread
    assert await Notification.filter(user__sub="dev-citizen", read_at=None).count() == 0


async def test_anonymous_gets_nothing_and_changes_nothing(client: httpx.AsyncClient) -> None:
    unread_before = await Notification.filter(read_at=None).count()
    response = await gql(client, MARK, {"ids": None, "all": True})
    body = response.json()
    assert body["errors"][0]["message"] == "请先登录"
    assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert await Notification.filter(read_at=None).count() == unread_before
    listing = (await gql(client, INBOX, {"first": 5, "after": None, "unread": False})).json()
    assert listing["data"] is None and listing["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"


async def test_preferences_default_to_everything_and_validate_quiet_hours(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen2 = token("citizen2")
    await NotificationPreferences.filter(user__sub="dev-citizen2").delete()
    prefs = (await call(client, citizen2, PREFS))["notificationPreferences"]
    assert prefs["quietHours"] is None
    assert set(prefs["pushKinds"]) == {option["kind"] for option in prefs["kinds"]}
    assert {"kind": "CASE_ACCEPTED", "label": "办件已受理"} in prefs["kinds"]
    assert "CASE_SUBMITTED" not in {option["kind"] for option in prefs["kinds"]}  # inbox only: nothing to switch

    saved = (await call(client, citizen2, UPDATE_PREFS, {"input": {
        "pushKinds": ["CASE_APPROVED", "SUPPLEMENT_REQUESTED"], "quietHours": {"start": "22:00", "end": "07:00"}}}))
    assert saved["updateNotificationPreferences"] == {"__typename": "NotificationPreferencesUpdated", "preferences": {
        "pushKinds": ["SUPPLEMENT_REQUESTED", "CASE_APPROVED"], "quietHours": {"start": "22:00", "end": "07:00"}}}

    for quiet, field, message in [
        ({"start": "25:00", "end": "07:00"}, "quietHours.start", "时间格式应为 HH:MM，例如 22:00"),
        ({"start": "22:00", "end": "7"}, "quietHours.end", "时间格式应为 HH:MM，例如 22:00"),
        ({"start": "08:00", "end": "08:00"}, "quietHours.end", "免打扰的开始和结束时间不能相同"),
    ]:
        result = (await call(client, citizen2, UPDATE_PREFS, {"input": {"pushKinds": [], "quietHours": quiet}}))
        assert result["updateNotificationPreferences"] == {"__typename": "InputError", "code": "INVALID_INPUT",
                                                           "field": field, "message": message}
    # A refused update leaves what was saved.
    assert (await call(client, citizen2, PREFS))["notificationPreferences"]["quietHours"] == {"start": "22:00",
                                                                                               "end": "07:00"}
    await NotificationPreferences.filter(user__sub="dev-citizen2").delete()


async def test_notification_added_replays_after_the_cursor_then_follows_live(
    client: httpx.AsyncClient, token: Callable[..., str], ws_url: str,
) -> None:
    citizen, staff = token("citizen"), token("staff")
    case = await submitted_case(client, citizen)
    start = await newest_cursor()
    await move(client, staff, ACCEPT, case["number"])  # before subscribing: must be replayed
    sub = await Subscription.open(ws_url, citizen, ADDED, {"after": start}, field="notificationAdded")
    other = await Subscription.open(ws_url, token("citizen2"), ADDED, {"after": start}, field="notificationAdded")
    try:
        [replayed] = await sub.events(1)
        assert (replayed["kind"], replayed["caseNumber"], replayed["read"]) == ("CASE_ACCEPTED", case["number"], False)
        await move(client, staff, REJECT, case["number"], reason="材料不实")
        live = await sub.events(2)
        assert [n["kind"] for n in live] == ["CASE_REJECTED", "RATING_INVITATION"]
        assert int(live[0]["id"]) > int(replayed["id"])
        await sub.silent(1.0)
        await other.silent(0.5)  # someone else's inbox hears nothing of it

        # Reconnecting with the last cursor it saw gives exactly what came after: nothing.
        again = await Subscription.open(ws_url, citizen, ADDED, {"after": replayed["cursor"]}, field="notificationAdded")
        try:
            assert [n["kind"] for n in await again.events(2)] == ["CASE_REJECTED", "RATING_INVITATION"]
            await again.silent(1.0)
        finally:
            await again.close()
    finally:
        await sub.close()
        await other.close()


async def test_a_bad_cursor_is_refused_with_a_reason(token: Callable[..., str], ws_url: str) -> None:
    sub = await Subscription.open(ws_url, token("citizen"), ADDED, {"after": "garbage"}, field="notificationAdded")
    try:
        message = await sub.message()
        assert message["type"] == "next" and message["payload"]["errors"][0]["message"] == "消息游标无效，请刷新页面"
    finally:
        await sub.close()

"""Applying and the case lifecycle through the API: one-time notice, 容缺, idempotency,
uploads, the transition table, staff-only moves, and who may see what."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx

from backend.models import Case, CaseEvent, CaseMaterial, Upload
from tests.cases_helpers import (
    ACCEPT, APPROVE, DELIVER, PDF, PNG, REJECT, REQUEST_SUPPLEMENT, START_REVIEW, SUPPLEMENT,
    WITHDRAW, bearer, call, form, get_case, move, submit, submitted_case, upload,
)

# 居民身份证 is not among them: the demo seed gives 王晓明 his e-ID card (免证办).
TEACHER_REQUIRED = ["学历证书", "普通话水平测试等级证书", "体检合格证明", "近期免冠照片", "个人承诺书（思想品德）"]


async def test_every_missing_material_is_reported_at_once_and_nothing_is_written(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    before = (await Case.all().count(), await CaseEvent.all().count())
    result = await submit(client, token("citizen"), materials=[])
    assert result["__typename"] == "MaterialsMissingError"
    assert result["code"] == "MATERIALS_MISSING"
    assert [m["name"] for m in result["missing"]] == TEACHER_REQUIRED
    assert [m["name"] for m in result["missing"] if m["deficiencyAllowed"]] == ["近期免冠照片"]
    assert result["message"].startswith("还缺少以下材料（共 5 项）")
    assert (await Case.all().count(), await CaseEvent.all().count()) == before


async def test_a_complete_application_makes_a_case_with_its_first_event(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    case = await submitted_case(client, token("citizen"))
    assert re.fullmatch(r"ZSB-\d{8}-\d{6}", case["number"])
    assert (case["status"], case["statusLabel"]) == ("SUBMITTED", "已提交")
    assert [e["kind"] for e in case["events"]] == ["SUBMITTED"]
    assert case["events"][0]["actorLabel"] == "申请人 · 王晓明"
    assert case["events"][0]["itemName"] == "教师资格认定"
    provisions = {m["name"]: m["provision"] for m in case["materials"]}
    assert provisions["体检合格证明"] == "FIELDS" and provisions["学历证书"] == "UPLOAD" and provisions["居民身份证"] == "LICENSE"
    assert provisions["居住证"] is None  # optional, not given
    photo = next(m for m in case["materials"] if m["name"] == "近期免冠照片")
    assert photo["files"][0]["contentType"] == "image/png" and photo["files"][0]["size"] == len(PNG)
    assert case["deadline"] is None and case["acceptanceNotice"] is None
    assert case["allowedActions"] == ["WITHDRAW"]


async def test_the_same_draft_submitted_twice_makes_one_case(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    key = uuid.uuid4().hex
    first = await submitted_case(client, citizen, key=key)
    again = await submit(client, citizen, key=key, materials=[])  # a retry: the first answer again
    assert again["__typename"] == "ApplicationSubmitted" and again["case"]["number"] == first["number"]
    assert await Case.filter(idempotency_key=key).count() == 1


async def test_deficiency_acceptance_needs_a_written_promise(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    without = await submit(client, citizen, defer=True, promise="")
    assert without["__typename"] == "MaterialsMissingError"
    assert [m["name"] for m in without["missing"]] == ["近期免冠照片"]
    case = await submitted_case(client, citizen, defer=True)
    photo = next(m for m in case["materials"] if m["name"] == "近期免冠照片")
    assert (photo["provision"], photo["outstanding"]) == ("DEFERRED", True)
    assert case["deficiencyPromise"] == "本人承诺在规定期限内补齐容缺材料"
    assert "容缺：近期免冠照片" in case["events"][0]["note"]


async def test_bad_material_input_names_the_field(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    materials = (await form(client, citizen))["materials"]
    id_card = next(m for m in materials if m["name"] == "居民身份证")
    cases = [
        ([{"materialId": "999999", "uploadIds": [await upload(client, citizen)]}], "materials[0].materialId",
         "该材料不在本事项的办事指南中"),
        ([{"materialId": id_card["materialId"], "fields": [{"name": "号码", "value": "1"}]}], "materials[0].fields",
         "“居民身份证”需上传文件，不能在线填写"),
        ([{"materialId": id_card["materialId"], "uploadIds": [str(uuid.uuid4())]}], "materials[0].uploadIds",
         "有文件未上传成功或已被使用，请重新上传"),
    ]
    for given, field, message in cases:
        result = await submit(client, citizen, materials=given)
        assert (result["__typename"], result["field"], result["message"]) == ("InputError", field, message)
    bad_key = await submit(client, citizen, key="short", materials=[])
    assert (bad_key["__typename"], bad_key["field"]) == ("InputError", "idempotencyKey")


async def test_someone_elses_upload_cannot_be_used(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    theirs = await upload(client, token("citizen2"))
    materials = (await form(client, token("citizen")))["materials"]
    id_card = next(m for m in materials if m["name"] == "居民身份证")
    result = await submit(client, token("citizen"), materials=[{"materialId": id_card["materialId"], "uploadIds": [theirs]}])
    assert (result["__typename"], result["field"]) == ("InputError", "materials[0].uploadIds")
    assert (await Upload.get(id=theirs)).case_material_id is None


async def test_uploads_are_sniffed_limited_and_private(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = bearer(token("citizen"))
    text = await client.post("/uploads", content=b"just text, renamed .png", headers=citizen, params={"filename": "a.png"})
    assert (text.status_code, text.json()["error"]["message"]) == (415, "只能上传 PDF、JPG、PNG 或 WebP 格式的文件")
    empty = await client.post("/uploads", content=b"", headers=citizen)
    assert (empty.status_code, empty.json()["error"]["message"]) == (400, "文件是空的，请重新选择")
    big = await client.post("/uploads", content=PDF + b"0" * (10 * 1024 * 1024), headers=citizen)
    assert (big.status_code, big.json()["error"]["message"]) == (413, "文件过大：单个文件不能超过 10 MB")
    anonymous = await client.post("/uploads", content=PDF)
    assert anonymous.status_code == 401
    made = await client.post("/uploads", content=PDF, headers=citizen, params={"filename": "../../etc/证明.pdf"})
    assert made.status_code == 201
    body = made.json()
    assert (body["filename"], body["contentType"], body["size"]) == ("证明.pdf", "application/pdf", len(PDF))
    mine = await client.get(f"/uploads/{body['id']}", headers=citizen)
    assert (mine.status_code, mine.content, mine.headers["x-content-type-options"]) == (200, PDF, "nosniff")
    other = await client.get(f"/uploads/{body['id']}", headers=bearer(token("citizen2")))
    assert other.status_code == 404


async def test_item_not_online_is_a_typed_error(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    from backend.models import ServiceGuide

    guide = await ServiceGuide.get(item__code="61010708030")  # 工伤认定
    saved = guide.online_address
    guide.online_address = ""
    await guide.save(update_fields=["online_address"])
    try:
        result = await submit(client, token("citizen"), code="61010708030", materials=[])
        assert (result["__typename"], result["code"]) == ("ItemNotOnlineError", "ITEM_NOT_ONLINE")
    finally:
        guide.online_address = saved
        await guide.save(update_fields=["online_address"])


async def test_staff_accepts_reviews_approves_and_delivers_with_one_event_each(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = token("staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    accepted = await move(client, staff, ACCEPT, number)
    case = accepted["case"]
    assert case["status"] == "ACCEPTED"
    assert case["deadline"]["promisedDays"] == 20 and case["deadline"]["workingDaysUsed"] == 0
    notice = case["acceptanceNotice"]
    assert (notice["caseNumber"], notice["itemName"], notice["applicantName"], notice["promisedDays"]) == (
        number, "教师资格认定", "王晓明", 20)
    assert notice["promisedDue"] == case["deadline"]["promisedDue"]
    assert (await move(client, staff, START_REVIEW, number))["case"]["status"] == "UNDER_REVIEW"
    assert (await move(client, staff, APPROVE, number))["case"]["status"] == "APPROVED"
    mailed = await move(client, staff, DELIVER, number, method="MAIL", tracking="SF1234567890")
    assert mailed["case"]["delivery"] == {"method": "MAIL", "methodLabel": "邮寄送达", "trackingNumber": "SF1234567890"}
    kinds = [e["kind"] for e in mailed["case"]["events"]]
    assert kinds == ["SUBMITTED", "ACCEPTED", "REVIEW_STARTED", "APPROVED", "DELIVERED"]
    assert mailed["case"]["events"][1]["actorLabel"] == "市教育局 · 刘洋"
    assert mailed["case"]["allowedActions"] == []


async def test_an_illegal_move_is_a_typed_error_and_changes_nothing(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff = token("staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    events = await CaseEvent.filter(case__number=number).count()
    result = await move(client, staff, DELIVER, number, method="WINDOW")
    assert result == {"__typename": "InvalidTransitionError", "code": "INVALID_TRANSITION",
                      "message": "办件当前为“已提交”，不能进行“结果已送达”", "status": "SUBMITTED"}
    assert (await Case.get(number=number)).status == "SUBMITTED"
    assert await CaseEvent.filter(case__number=number).count() == events


async def test_mail_delivery_needs_a_tracking_number(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    staff = token("staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    for mutation in (ACCEPT, APPROVE):
        await move(client, staff, mutation, number)
    result = await move(client, staff, DELIVER, number, method="MAIL")
    assert (result["__typename"], result["field"], result["message"]) == ("InputError", "trackingNumber",
                                                                        "邮寄送达须填写快递单号")
    assert (await Case.get(number=number)).status == "APPROVED"


async def test_rejection_needs_a_reason(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    staff = token("staff")
    number = (await submitted_case(client, token("citizen")))["number"]
    empty = await move(client, staff, REJECT, number, reason="  ")
    assert (empty["__typename"], empty["field"]) == ("InputError", "reason")
    rejected = await move(client, staff, REJECT, number, reason="学历不符合认定条件")
    assert (rejected["case"]["status"], rejected["case"]["decisionReason"]) == ("REJECTED", "学历不符合认定条件")


async def test_only_the_departments_staff_may_move_a_case(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number = (await submitted_case(client, token("citizen")))["number"]
    applicant = await move(client, token("citizen"), ACCEPT, number)
    assert (applicant["__typename"], applicant["message"]) == ("NotPermittedError", "只有承办部门的窗口工作人员可以办理此操作")
    stranger = await move(client, token("citizen2"), ACCEPT, number)
    assert (stranger["__typename"], stranger["message"]) == ("NotFoundError", "未找到该办件")
    withdraw = await move(client, token("citizen2"), WITHDRAW, number)
    assert withdraw["__typename"] == "NotFoundError"
    assert await get_case(client, token("citizen2"), number) is None
    assert (await Case.get(number=number)).status == "SUBMITTED"
    assert await CaseEvent.filter(case__number=number).count() == 1


async def test_supplement_lists_exactly_what_and_the_applicant_supplies_it(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff, citizen = token("staff"), token("citizen")
    case = await submitted_case(client, citizen)
    ids = {m["name"]: m["materialId"] for m in case["materials"]}
    asked = await move(client, staff, REQUEST_SUPPLEMENT, case["number"], ids=[ids["学历证书"], ids["近期免冠照片"]],
                       note="照片不清晰，学历证书缺少盖章页")
    after = asked["case"]
    assert after["status"] == "SUPPLEMENT_REQUESTED"
    assert after["events"][-1]["note"] == "照片不清晰，学历证书缺少盖章页（需补正：学历证书、近期免冠照片）"
    assert sorted(m["name"] for m in after["materials"] if m["outstanding"]) == ["学历证书", "近期免冠照片"]
    viewed = await get_case(client, citizen, case["number"])
    assert viewed is not None and "SUPPLEMENT" in viewed["allowedActions"]
    partial = await move(client, citizen, SUPPLEMENT, case["number"], materials=[
        {"materialId": ids["学历证书"], "uploadIds": [await upload(client, citizen, PDF, "学历.pdf")]}])
    assert partial["__typename"] == "MaterialsMissingError" and [m["name"] for m in partial["missing"]] == ["近期免冠照片"]
    done = await move(client, citizen, SUPPLEMENT, case["number"], materials=[
        {"materialId": ids["学历证书"], "uploadIds": [await upload(client, citizen, PDF, "学历.pdf")]},
        {"materialId": ids["近期免冠照片"], "uploadIds": [await upload(client, citizen)]}])
    assert done["case"]["status"] == "SUBMITTED"  # asked before acceptance: back in the queue
    assert not any(m["outstanding"] for m in done["case"]["materials"])
    assert [e["kind"] for e in done["case"]["events"]][-2:] == ["SUPPLEMENT_REQUESTED", "SUPPLEMENTED"]


async def test_deferred_materials_block_approval_until_supplied(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    staff, citizen = token("staff"), token("citizen")
    case = await submitted_case(client, citizen, defer=True)
    accepted = (await move(client, staff, ACCEPT, case["number"]))["case"]
    assert accepted["supplementDeadline"] is not None
    assert "APPROVE" not in accepted["allowedActions"]
    blocked = await move(client, staff, APPROVE, case["number"])
    assert blocked["__typename"] == "InvalidTransitionError"
    assert blocked["message"] == "尚有材料未补齐（近期免冠照片），补齐后才能批准"
    photo = next(m for m in case["materials"] if m["name"] == "近期免冠照片")
    supplied = await move(client, citizen, SUPPLEMENT, case["number"],
                          materials=[{"materialId": photo["materialId"], "uploadIds": [await upload(client, citizen)]}])
    assert supplied["case"]["status"] == "ACCEPTED" and supplied["case"]["supplementDeadline"] is None
    assert (await move(client, staff, APPROVE, case["number"]))["case"]["status"] == "APPROVED"


async def test_a_deferred_material_may_be_supplied_before_acceptance(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    staff, citizen = token("staff"), token("citizen")
    complete = await submitted_case(client, citizen)
    nothing = await move(client, citizen, SUPPLEMENT, complete["number"], materials=[])
    assert (nothing["__typename"], nothing["message"]) == ("InvalidTransitionError", "该办件没有需要补正的材料")
    case = await submitted_case(client, citizen, defer=True)
    assert case["status"] == "SUBMITTED" and "SUPPLEMENT" in case["allowedActions"]
    photo = next(m for m in case["materials"] if m["name"] == "近期免冠照片")
    refused = await move(client, citizen, SUPPLEMENT, case["number"], materials=[])
    assert refused["__typename"] == "MaterialsMissingError" and [m["name"] for m in refused["missing"]] == ["近期免冠照片"]
    assert await CaseEvent.filter(case__number=case["number"]).count() == 1
    supplied = (await move(client, citizen, SUPPLEMENT, case["number"],
                           materials=[{"materialId": photo["materialId"], "uploadIds": [await upload(client, citizen)]}]))["case"]
    assert supplied["status"] == "SUBMITTED"  # still waiting for the window, now complete
    assert not any(m["outstanding"] for m in supplied["materials"]) and "SUPPLEMENT" not in supplied["allowedActions"]
    assert [e["kind"] for e in supplied["events"]] == ["SUBMITTED", "SUPPLEMENTED"]
    accepted = (await move(client, staff, ACCEPT, case["number"]))["case"]
    assert accepted["supplementDeadline"] is None and "APPROVE" in accepted["allowedActions"]
    withdrawn = await submitted_case(client, citizen, defer=True)
    await move(client, citizen, WITHDRAW, withdrawn["number"])
    late = await move(client, citizen, SUPPLEMENT, withdrawn["number"],
                      materials=[{"materialId": photo["materialId"], "uploadIds": [await upload(client, citizen)]}])
    assert (late["__typename"], late["message"], late["status"]) == (
        "InvalidTransitionError", "办件当前为“已撤回”，无需补正材料", "WITHDRAWN")


async def test_the_applicant_withdraws_and_it_is_final(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    number = (await submitted_case(client, citizen))["number"]
    withdrawn = await move(client, citizen, WITHDRAW, number)
    assert withdrawn["case"]["status"] == "WITHDRAWN"
    again = await move(client, token("staff"), ACCEPT, number)
    assert (again["__typename"], again["status"]) == ("InvalidTransitionError", "WITHDRAWN")


async def test_staff_see_their_departments_files_others_do_not(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    case = await submitted_case(client, token("citizen"))
    material = await CaseMaterial.get(case__number=case["number"], name="学历证书")
    file = await Upload.get(case_material_id=material.id)
    assert (await client.get(f"/uploads/{file.id}", headers=bearer(token("staff")))).status_code == 200
    assert (await client.get(f"/uploads/{file.id}", headers=bearer(token("supervisor")))).status_code == 404


async def test_my_cases_and_the_staff_queue(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    number = (await submitted_case(client, token("citizen")))["number"]
    mine = await call(client, token("citizen"), "{ myCases(first: 1) { totalCount edges { node { number status } } } }")
    assert mine["myCases"]["edges"][0]["node"] == {"number": number, "status": "SUBMITTED"}
    queue = await call(client, token("staff"),
                       "{ staffCases(first: 1, status: [SUBMITTED]) { edges { node { number applicantName } } } }")
    assert queue["staffCases"]["edges"][0]["node"] == {"number": number, "applicantName": "王晓明"}
    refused = await client.post("/graphql", json={"query": "{ staffCases { totalCount } }"},
                                headers=bearer(token("citizen")))
    assert refused.json()["errors"][0]["message"] == "只有窗口工作人员可以查看办件队列"
    anonymous = await client.post("/graphql", json={"query": "{ myCases { totalCount } }"})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"

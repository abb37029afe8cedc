"""Applying on the phone, following the case live, the staff console, the acceptance notice and
an application sent while offline — driven in chromium at 360 px as people would."""

from __future__ import annotations

import json
import re
import struct
import uuid
import zlib
from collections.abc import Callable
from datetime import date

import httpx
from playwright.sync_api import BrowserContext, Locator, Page, Route, WebSocketRoute, expect

from tests.browser.helpers import sign_in

TEACHER = "61010102006"  # 教师资格认定, 市教育局 (D02)
# The guide's required materials. 居民身份证 is on file (免证办): the demo seed gives every
# persona an e-ID card, so it is neither uploaded nor missing.
ON_FILE = "居民身份证"
UPLOADED = ("学历证书", "普通话水平测试等级证书")
FILLED_IN = ("体检合格证明", "个人承诺书（思想品德）")  # have a blank form: may be filled in
DEFERRABLE = "近期免冠照片"  # 可容缺
REQUIRED = (*UPLOADED, FILLED_IN[0], DEFERRABLE, FILLED_IN[1])
OPTIONAL = ("居住证", "实习指导教师专业技术职务或工人技术等级证书")


def _png() -> bytes:
    """A real 1×1 PNG (the server sniffs content, it does not trust names)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


PNG = _png()
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def material(page: Page, name: str) -> Locator:
    return page.locator(f'article[data-material="{name}"]')


def upload(page: Page, name: str, *, pdf: bool = False) -> None:
    card = material(page, name)
    payload = {"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF} if pdf else \
        {"name": f"{name}.png", "mimeType": "image/png", "buffer": PNG}
    card.locator("input[type=file]").set_input_files(payload)
    expect(card).to_contain_text("已上传")


def fill_in(page: Page, name: str, label: str, value: str) -> None:
    card = material(page, name)
    card.get_by_placeholder("如：姓名、联系电话").fill(label)
    card.get_by_placeholder("请填写").fill(value)


def fill_teacher_application(page: Page) -> None:
    """Every required material: the ID card on file, two files (one a PDF), two filled in, the photo as 容缺."""
    expect(material(page, UPLOADED[0])).to_be_visible()
    expect(material(page, ON_FILE)).to_contain_text("已有电子证照，免提交")
    for i, name in enumerate(UPLOADED):
        upload(page, name, pdf=i == 1)
    fill_in(page, FILLED_IN[0], "体检结论", "合格（西安市第一医院）")
    fill_in(page, FILLED_IN[1], "承诺", "本人遵守宪法和法律，热爱教育事业，品行良好")
    material(page, DEFERRABLE).get_by_role("radio", name="容缺后补").click()
    promise = page.get_by_test_id("deficiency-promise")
    expect(promise).to_contain_text("容缺受理")
    promise.locator("textarea").fill("本人承诺在补正期限内补齐近期免冠照片。")


def submit_application(page: Page) -> str:
    page.get_by_role("button", name="下一步：确认信息").click()
    review = page.get_by_test_id("review")
    expect(review).to_contain_text("教师资格认定")
    expect(review).to_contain_text("容缺后补")
    page.get_by_role("button", name="确认提交").click()
    done = page.get_by_test_id("apply-done")
    expect(done).to_contain_text("申请已提交")
    expect(done).to_contain_text("受理后开始计时")
    expect(done).to_contain_text("我的办件")
    number = done.get_by_test_id("case-number").inner_text().strip()
    assert number
    return number


def fits_360(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def test_citizen_applies_and_sees_the_staff_acceptance_live(page: Page, new_page: Callable[[], Page]) -> None:
    # 刘洋 (staff, 市教育局) has the console open before the application arrives.
    staff = new_page()
    sign_in(staff, "staff")
    staff.get_by_text("办件受理工作台").click()
    expect(staff.get_by_test_id("live-state")).to_have_text("进度实时更新中")

    sign_in(page, "citizen")
    page.goto(f"/items/{TEACHER}")
    page.get_by_role("button", name="在线办理").click()
    expect(page).to_have_url(re.compile(f"/apply/{TEACHER}$"))
    fill_teacher_application(page)
    fits_360(page)
    number = submit_application(page)

    page.get_by_role("button", name="查看办件进度").click()
    expect(page.get_by_test_id("case-number")).to_have_text(number)
    expect(page.get_by_test_id("case-status")).to_have_text("已提交")
    expect(page.get_by_test_id("deadline")).to_contain_text("受理后开始计时")
    expect(page.get_by_test_id("outstanding")).to_contain_text(DEFERRABLE)
    expect(page.get_by_test_id("live-state")).to_have_text("进度实时更新中")
    page.evaluate("window.__sameDocument = 'yes'")

    # The new application appears in the staff queue without a reload.
    row = staff.locator(f'[data-number="{number}"]')
    expect(row).to_contain_text("王晓明")
    row.click()
    expect(staff.get_by_test_id("case-materials")).to_contain_text("体检结论")
    staff.locator('[data-action="ACCEPT"]').click()
    form = staff.get_by_test_id("staff-action-form")
    expect(form).to_contain_text("容缺材料")
    form.get_by_role("button", name="确认受理").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("已受理")

    # The citizen's open page follows: status, timeline, clock and notice, in the same document.
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    expect(page.get_by_test_id("timeline")).to_contain_text("已受理")
    expect(page.get_by_test_id("deadline")).to_contain_text("承诺办结")
    expect(page.get_by_test_id("notice-link")).to_be_visible()
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.locator('[data-testid="timeline"] [data-kind="ACCEPTED"]').count() == 1
    fits_360(page)
    fits_360(staff)


def test_missing_materials_are_all_listed_at_once(page: Page) -> None:
    # Signed out, from the guide: sign in through 统一身份认证 and land on the form.
    page.goto(f"/items/{TEACHER}")
    page.get_by_role("button", name="登录后在线办理").click()
    expect(page.get_by_role("heading", name="统一身份认证平台")).to_be_visible()
    page.locator('[data-persona="citizen"]').click()
    expect(page).to_have_url(re.compile(f"/apply/{TEACHER}$"))
    expect(material(page, UPLOADED[0])).to_be_visible()
    expect(material(page, OPTIONAL[0]).get_by_role("radio", name="容缺后补")).to_have_count(0)

    # Nothing provided: one notice names every required material, and no optional one.
    page.get_by_role("button", name="下一步：确认信息").click()
    notice = page.get_by_test_id("missing-materials")
    expect(notice.locator("li")).to_have_count(len(REQUIRED))
    for name in REQUIRED:
        expect(notice).to_contain_text(name)
    for name in OPTIONAL:
        expect(notice).not_to_contain_text(name)
    expect(notice).to_contain_text("可选择容缺后补")

    # The server's own check (MaterialsMissingError) is shown the same way: here the form is
    # complete on the phone but the request arrives without its materials.
    fill_teacher_application(page)

    def without_materials(route: Route) -> None:
        body = route.request.post_data_json or {}
        if "submitApplication" in body.get("query", ""):
            body["variables"]["input"]["materials"] = []
            route.continue_(post_data=json.dumps(body))
        else:
            route.continue_()

    page.route("**/graphql", without_materials)
    page.get_by_role("button", name="下一步：确认信息").click()
    page.get_by_role("button", name="确认提交").click()
    notice = page.get_by_test_id("missing-materials")
    expect(notice.locator("li")).to_have_count(len(REQUIRED))
    for name in REQUIRED:
        expect(notice).to_contain_text(name)
    page.unroute("**/graphql")
    fits_360(page)


# ---- the acceptance notice: the case is made and accepted through the API ----------------

def _token(page: Page) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('zsb.session')).token")


def _graphql(base: str, token: str, query: str, variables: dict) -> dict:
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"}, timeout=15)
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def _upload(base: str, token: str, name: str) -> str:
    uploaded = httpx.post(f"{base}/uploads", params={"filename": f"{name}.png"}, content=PNG, timeout=15,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()["id"]


def _submitted_case(base: str, citizen: str) -> str:
    """教师资格认定 with every material provided (nothing owed), through the API."""
    form = _graphql(base, citizen, "query($c: String!) { applicationForm(itemCode: $c) { materials { materialId name } } }",
                    {"c": TEACHER})["applicationForm"]["materials"]
    ids = {m["name"]: m["materialId"] for m in form}
    materials = [{"materialId": ids[name], "uploadIds": [_upload(base, citizen, name)]} for name in (*UPLOADED, DEFERRABLE)]
    materials += [{"materialId": ids[name], "fields": [{"name": "内容", "value": "已填写"}]} for name in FILLED_IN]
    submitted = _graphql(base, citizen, """mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
        __typename ... on ApplicationSubmitted { case { number } } } }""",
        {"input": {"itemCode": TEACHER, "materials": materials, "idempotencyKey": str(uuid.uuid4())}})["submitApplication"]
    assert submitted["__typename"] == "ApplicationSubmitted", submitted
    return submitted["case"]["number"]


def _accepted_case(base: str, citizen: str, staff: str) -> tuple[str, dict]:
    number = _submitted_case(base, citizen)
    accepted = _graphql(base, staff, """mutation($n: String!) { acceptCase(number: $n) { __typename
        ... on CaseUpdated { case { acceptanceNotice { number promisedDue promisedDays } } } } }""", {"n": number})
    assert accepted["acceptCase"]["__typename"] == "CaseUpdated", accepted
    return number, accepted["acceptCase"]["case"]["acceptanceNotice"]


def test_acceptance_notice_shows_the_number_and_due_date_and_prints(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    staff = new_page()
    sign_in(staff, "staff")
    number, notice = _accepted_case(live_server, _token(page), _token(staff))
    due = date.fromisoformat(notice["promisedDue"])

    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    page.get_by_test_id("notice-link").click()
    doc = page.get_by_test_id("acceptance-notice")
    expect(doc).to_contain_text("受理通知书")
    expect(doc).to_contain_text(notice["number"])
    expect(doc.get_by_test_id("notice-case-number")).to_have_text(number)
    expect(doc.get_by_test_id("notice-due")).to_have_text(f"{due.year}年{due.month}月{due.day}日")
    expect(doc).to_contain_text(f"{notice['promisedDays']} 个工作日")
    expect(doc).to_contain_text("王晓明")
    expect(doc).to_contain_text("市教育局")
    fits_360(page)

    page.evaluate("window.print = () => { window.__printed = true }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator(".van-nav-bar")).to_be_hidden()
    expect(doc).to_be_visible()


def test_an_application_submitted_offline_is_sent_once_when_back_online(page: Page, context: BrowserContext) -> None:
    sent_keys: list[str] = []

    def remember(request) -> None:  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.url.endswith("/graphql") and "submitApplication" in (request.post_data or ""):
            sent_keys.append(request.post_data_json["variables"]["input"]["idempotencyKey"])

    page.on("request", remember)
    sign_in(page, "citizen2")
    page.goto(f"/apply/{TEACHER}")
    fill_teacher_application(page)
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()  # the first visit is not controlled yet: the draft is restored after the reload
        expect(material(page, UPLOADED[0])).to_contain_text("已上传")
    page.wait_for_function("!!navigator.serviceWorker.controller")
    expect(material(page, FILLED_IN[0]).get_by_placeholder("请填写")).to_have_value("合格（西安市第一医院）")

    context.set_offline(True)
    page.get_by_role("button", name="下一步：确认信息").click()
    page.get_by_role("button", name="确认提交").click()
    queued = page.get_by_test_id("queued")
    expect(queued).to_contain_text("网络不可用，申请已保存在本机")
    expect(queued).to_contain_text("自动提交")

    # Still queued after the app is closed and opened again, offline.
    page.reload()
    expect(page.get_by_test_id("queued")).to_contain_text("网络不可用")
    assert sent_keys == []

    context.set_offline(False)
    done = page.get_by_test_id("apply-done")
    expect(done).to_contain_text("申请已提交")
    number = done.get_by_test_id("case-number").inner_text().strip()

    page.get_by_role("button", name="我的办件").click()
    mine = page.get_by_test_id("my-cases")
    # One case: one idempotency key ever sent (other tests' cases of this person may be listed too).
    expect(mine.locator(f'[data-number="{number}"]')).to_have_count(1)
    expect(page.get_by_test_id("drafts")).to_have_count(0)
    assert len(set(sent_keys)) == 1, sent_keys
    fits_360(page)


def staff_action(staff: Page, action: str, button: str) -> Locator:
    staff.locator(f'[data-action="{action}"]').click()
    form = staff.get_by_test_id("staff-action-form")
    expect(form).to_be_visible()
    form.get_by_role("button", name=button).click()
    return form


def test_staff_asks_for_exact_materials_and_takes_the_case_to_delivery(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    sign_in(page, "citizen")
    staff = new_page()
    sign_in(staff, "staff")
    number = _submitted_case(live_server, _token(page))
    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("live-state")).to_have_text("进度实时更新中")
    staff.goto(f"/staff/cases/{number}")

    # 不予受理 needs a reason; 要求补正 needs the materials and a note — said before anything is sent.
    form = staff_action(staff, "REJECT", "确认不予受理")
    expect(form).to_contain_text("请填写不予受理的理由和依据")
    staff.locator(".van-popup__close-icon").click()
    form = staff_action(staff, "REQUEST_SUPPLEMENT", "确认要求补正")
    expect(form).to_contain_text("请选择需要补正的材料")
    expect(form).to_contain_text("请写明需要补正的内容")
    form.get_by_role("checkbox", name="学历证书").click()
    form.locator("textarea").fill("学历证书扫描件不清晰，请上传清晰的扫描件")
    form.get_by_role("button", name="确认要求补正").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("待补正")

    # The applicant's open page shows exactly what is owed and takes the new file.
    expect(page.get_by_test_id("case-status")).to_have_text("待补正")
    supplement = page.get_by_test_id("supplement-form")
    expect(supplement).to_contain_text("学历证书扫描件不清晰")
    supplement.locator("input[type=file]").set_input_files(
        {"name": "学历证书.png", "mimeType": "image/png", "buffer": PNG})
    expect(supplement).to_contain_text("已上传")
    supplement.get_by_role("button", name="提交补正材料").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已提交")
    expect(page.get_by_test_id("supplement-form")).to_have_count(0)
    expect(staff.get_by_test_id("timeline")).to_contain_text("已补正材料")

    # 受理 → 开始审查 → 批准 → 送达 (mail needs a tracking number).
    staff_action(staff, "ACCEPT", "确认受理")
    expect(staff.get_by_test_id("case-status")).to_have_text("已受理")
    staff_action(staff, "START_REVIEW", "确认开始审查")
    expect(staff.get_by_test_id("case-status")).to_have_text("审查中")
    staff_action(staff, "APPROVE", "确认批准")
    expect(staff.get_by_test_id("case-status")).to_have_text("已批准")
    staff.locator('[data-action="DELIVER"]').click()
    form = staff.get_by_test_id("staff-action-form")
    form.get_by_role("radio", name="邮寄").click()
    form.get_by_role("button", name="确认送达").click()
    expect(form).to_contain_text("邮寄送达须填写邮件单号")
    form.get_by_placeholder("请输入快递/EMS 单号").fill("EMS1234567890")
    form.get_by_role("button", name="确认送达").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("已送达")
    expect(staff.get_by_test_id("staff-actions")).to_contain_text("当前状态无需您操作")

    expect(page.get_by_test_id("case-status")).to_have_text("已送达")
    expect(page.get_by_text("邮件单号 EMS1234567890", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="撤回申请")).to_have_count(0)
    fits_360(staff)


PRICE_MEDIATION = "61012001001"  # 价格争议调解: persons and enterprises may apply


def test_an_enterprise_applies_and_finds_the_case_in_its_space(page: Page) -> None:
    from backend.auth.personas import DEMO_ENTERPRISE_NAME, DEMO_ENTERPRISE_USCC

    sign_in(page, "enterprise-legal")
    page.goto(f"/apply/{PRICE_MEDIATION}")
    page.get_by_role("radio", name=DEMO_ENTERPRISE_NAME).click()
    fill_in(page, "价格争议调解申请书", "争议事项", "设备采购价格争议")
    upload(page, "消费或交易凭证")
    page.get_by_role("button", name="下一步：确认信息").click()
    expect(page.get_by_test_id("review")).to_contain_text(DEMO_ENTERPRISE_NAME)
    page.get_by_role("button", name="确认提交").click()
    number = page.get_by_test_id("apply-done").get_by_test_id("case-number").inner_text().strip()

    page.goto(f"/enterprise/{DEMO_ENTERPRISE_USCC}")
    cases = page.get_by_test_id("enterprise-cases")
    row = cases.locator(f'[data-number="{number}"]')
    expect(row).to_contain_text("价格争议调解")
    expect(row).to_contain_text(DEMO_ENTERPRISE_NAME)
    row.click()
    expect(page.get_by_test_id("case-summary")).to_contain_text(DEMO_ENTERPRISE_NAME)
    fits_360(page)


def test_supervision_and_the_staff_console_are_for_their_roles_only(page: Page, new_page: Callable[[], Page]) -> None:
    sign_in(page, "supervisor")
    links = page.get_by_test_id("me-links")
    expect(links).not_to_contain_text("办件受理工作台")
    links.get_by_text("电子监察", exact=True).click()
    totals = page.get_by_test_id("supervision-totals")
    expect(totals).to_contain_text("临期办件")
    expect(totals).to_contain_text("超期办件")
    expect(totals).to_contain_text("整改中的差评工单")  # 差评整改 counts in supervision too

    citizen = new_page()
    sign_in(citizen, "citizen2")
    expect(citizen.get_by_test_id("me-links")).not_to_contain_text("办件受理工作台")
    citizen.goto("/staff")
    expect(citizen.get_by_test_id("role-denied")).to_contain_text("仅限窗口工作人员使用")


def test_live_progress_resumes_after_a_dropped_connection_without_loss_or_repeats(
        page: Page, new_page: Callable[[], Page], live_server: str) -> None:
    staff = new_page()
    sign_in(staff, "staff")
    sign_in(page, "citizen")
    number = _submitted_case(live_server, _token(page))

    # The page's WebSocket goes through a proxy that can lose messages and drop the line.
    subscribed: list[dict] = []  # variables of every subscribe the page sent
    received: list[dict] = []  # events that reached the page
    lines: list[tuple[WebSocketRoute, WebSocketRoute, dict]] = []

    def proxy(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        line = {"lost": False}

        # The same socket also carries the inbox badge's notificationAdded: count caseProgress only.
        def up(message: str | bytes) -> None:
            body = json.loads(message) if isinstance(message, str) else {}
            if body.get("type") == "subscribe" and "caseProgress" in body["payload"]["query"]:
                subscribed.append(body["payload"]["variables"])
            server.send(message)

        def down(message: str | bytes) -> None:
            if line["lost"]:
                return
            body = json.loads(message) if isinstance(message, str) else {}
            if body.get("type") == "next" and "caseProgress" in (body["payload"].get("data") or {}):
                received.append(body["payload"]["data"]["caseProgress"])
            ws.send(message)

        ws.on_message(up)
        server.on_message(down)
        lines.append((ws, server, line))

    page.route_web_socket(re.compile(r"/graphql$"), proxy)
    page.goto(f"/cases/{number}")
    expect(page.get_by_test_id("live-state")).to_have_text("进度实时更新中")
    page.evaluate("window.__sameDocument = 'yes'")
    mutation = """mutation($n: String!) { %s(number: $n) { __typename } }"""

    _graphql(live_server, _token(staff), mutation % "acceptCase", {"n": number})
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    accepted = next(e for e in received if e["kind"] == "ACCEPTED")

    # The network fails: the next event is lost on the way, then the connection drops.
    ws, server, line = lines[-1]
    line["lost"] = True
    _graphql(live_server, _token(staff), mutation % "startReview", {"n": number})
    ws.close(code=1012, reason="network lost")
    server.close()

    # graphql-ws reconnects and resubscribes after the last event the page had: the lost one
    # is replayed, nothing is shown twice, and the page never reloaded.
    expect(page.get_by_test_id("case-status")).to_have_text("审查中", timeout=20000)
    assert len(lines) >= 2
    assert subscribed[-1] == {"after": accepted["cursor"], "caseNumber": number}, subscribed
    timeline = page.get_by_test_id("timeline")
    for kind in ("SUBMITTED", "ACCEPTED", "REVIEW_STARTED"):
        expect(timeline.locator(f'[data-kind="{kind}"]')).to_have_count(1)
    assert page.evaluate("window.__sameDocument") == "yes"

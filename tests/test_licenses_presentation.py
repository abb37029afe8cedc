"""亮证 and verifying: the signed presentation and its expiry, selective disclosure, tampering,
foreign keys, replay after expiry, the license's live status in the verifying request, and
the holder's record of who verified."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import httpx

from backend.auth.identity import Identity
from backend.auth.personas import PERSONAS
from backend.models import ELicense, LicenseVerification
from backend.models.licenses import LicenseStatus
from backend.services.licenses import presentation as license_presentation
from backend.settings import Settings
from tests.cases_helpers import call
from tests.factories import make_licenses
from tests.jwt_tools import b64url, ec_key, sign, sign_hs256, unsigned
from tests.licenses_helpers import (
    VERIFICATIONS, b64url_json, change_status, payload, persona_user, present, seeded, verify,
)


async def _fresh_teacher_license(client: httpx.AsyncClient, token: Callable[..., str], **values: object) -> ELicense:
    """A teacher qualification of 王晓明's issued by 市教育局 (the staff persona's department)."""
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    [row] = await make_licenses(holder=holder, count=1, type_code="TEACHER_QUALIFICATION", issuer="市教育局",
                                **values)  # type: ignore[arg-type]
    return row


async def test_a_presentation_verifies_against_the_published_key_and_lives_60_seconds(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    id_card = await seeded(holder, "RESIDENT_ID")
    shown = await present(client, token("citizen"), id_card.id)
    assert shown["__typename"] == "LicensePresentation" and shown["offline"] is False
    assert shown["qrSvg"].startswith("<svg") and shown["verifyUrl"].endswith("/verify#" + shown["token"])
    header, claims = b64url_json(shown["token"].split(".")[0]), payload(shown["token"])
    published = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert header["alg"] == "ES256" and header["kid"] in [key["kid"] for key in published]
    assert (claims["iss"], claims["aud"], claims["sub"], claims["lt"], claims["ltn"]) == (
        "zhangshangban", "license-verify", id_card.identifier, "RESIDENT_ID", "居民身份证")
    assert claims["exp"] - claims["iat"] == 60 and len(claims["jti"]) >= 16 and "offline" not in claims
    assert datetime.fromisoformat(shown["expiresAt"]).timestamp() == claims["exp"]

    result = await verify(client, shown["token"])  # signed out
    assert {k: result[k] for k in ("valid", "reason", "reasonCode", "issuedBy", "licenseType", "identifier",
                                   "status", "statusLabel", "offline")} == {
        "valid": True, "reason": "证照有效", "reasonCode": "VALID", "issuedBy": "西安市公安局",
        "licenseType": "居民身份证", "identifier": id_card.identifier, "status": "VALID", "statusLabel": "正常",
        "offline": False}
    assert result["disclosedFields"] == [{"key": "holderName", "label": "持证人", "value": "王*明"},
                                         {"key": "validity", "label": "有效期限", "value": "2016-05-10 至 2036-05-10"}]
    assert datetime.fromisoformat(result["presentedAt"]).timestamp() == claims["iat"]
    # The scanned link works as well as the bare token.
    assert (await verify(client, shown["verifyUrl"]))["valid"] is True


async def test_only_the_chosen_fields_are_in_the_token(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    citizen = token("citizen")
    holder = await persona_user(client, citizen, "dev-citizen")
    id_card = await seeded(holder, "RESIDENT_ID")
    number = PERSONAS["citizen"].id_number
    only_validity = await present(client, citizen, id_card.id, ["validity"])
    claims = payload(only_validity["token"])
    assert [f["key"] for f in claims["fields"]] == ["validity"]
    text = json.dumps(claims, ensure_ascii=False)
    for absent in ("holderName", "idNumber", "王*明", "王晓明", "birthDate", "address", number, number[-4:]):
        assert absent not in text, absent
    assert [f["key"] for f in (await verify(client, only_validity["token"]))["disclosedFields"]] == ["validity"]

    nothing = payload((await present(client, citizen, id_card.id, []))["token"])
    assert nothing["fields"] == [] and (nothing["lt"], nothing["sub"]) == ("RESIDENT_ID", id_card.identifier)
    default = payload((await present(client, citizen, id_card.id, None))["token"])
    assert [f["key"] for f in default["fields"]] == ["holderName", "validity"]
    chosen = payload((await present(client, citizen, id_card.id, ["idNumber", "gender", "idNumber"]))["token"])
    assert chosen["fields"] == [{"key": "gender", "label": "性别", "value": "男"},
                                {"key": "idNumber", "label": "公民身份号码",
                                 "value": number[:6] + "********" + number[-4:]}]
    assert number not in json.dumps(chosen)

    unknown = await present(client, citizen, id_card.id, ["validity", "salary"])
    assert (unknown["__typename"], unknown["code"], unknown["field"]) == ("InputError", "INVALID_INPUT", "disclose[1]")
    assert unknown["message"].startswith("证照没有“salary”这一项，可出示的有：holderName（持证人）、validity（有效期限）")


async def test_tampered_tokens_are_refused(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    id_card = await seeded(holder, "RESIDENT_ID")
    good = (await present(client, token("citizen"), id_card.id, ["validity"]))["token"]
    head, body, signature = good.split(".")
    claims = payload(good)
    claims["fields"] = [{"key": "validity", "label": "有效期限", "value": "2016-05-10 起长期有效"}]
    changed_payload = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    other = await seeded(await persona_user(client, token("citizen2"), "dev-citizen2"), "RESIDENT_ID")
    claims = payload(good) | {"sub": other.identifier}
    other_license = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    before = await LicenseVerification.all().count()
    for forged in (changed_payload, other_license, f"{head}.{body}.{flipped}", f"{head}.{body}.{signature[:-6]}",
                   f"{head}.{body}."):
        result = await verify(client, forged)
        assert (result["valid"], result["reasonCode"], result["reason"]) == (
            False, "TAMPERED", "亮证码签名无效：内容被篡改，或不是掌上办签发的"), forged
        assert (result["identifier"], result["status"], result["disclosedFields"]) == (None, None, [])
    assert await LicenseVerification.all().count() == before  # unattributable: answered, not stored


async def test_foreign_keys_and_malformed_tokens_are_refused(
    client: httpx.AsyncClient, token: Callable[..., str], identity: Identity,
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    id_card = await seeded(holder, "RESIDENT_ID")
    claims = payload((await present(client, token("citizen"), id_card.id))["token"])
    kid = identity.codes.public_jwk["kid"]
    expectations = {
        sign(ec_key(), claims, kid=kid): "TAMPERED",  # another key under our key id
        sign(ec_key(), claims, kid="someone-else"): "UNKNOWN_KEY",
        sign_hs256(json.dumps(identity.codes.public_jwk).encode(), claims, kid=kid): "TAMPERED",
        unsigned(claims, kid=kid): "TAMPERED",
        "not a token": "MALFORMED",
        "a.b.c": "MALFORMED",
        "": "MALFORMED",
        "x" * 9000: "MALFORMED",
        # The app's own 一人一码 token: authentic, but not a license presentation.
        (await call(client, token("citizen"), "{ personalCode { token } }"))["personalCode"]["token"]: "MALFORMED",
    }
    reasons = {"UNKNOWN_KEY": "亮证码的签名密钥未知：不是掌上办签发的，或密钥已停用",
               "MALFORMED": "无法识别的亮证码，请让持证人重新出示",
               "TAMPERED": "亮证码签名无效：内容被篡改，或不是掌上办签发的"}
    for forged, code in expectations.items():
        result = await verify(client, forged)
        assert (result["valid"], result["reasonCode"], result["reason"]) == (False, code, reasons[code]), forged[:80]


async def test_expired_and_replayed_after_expiry(
    client: httpx.AsyncClient, token: Callable[..., str], settings: Settings, identity: Identity,
) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    id_card = await seeded(holder, "RESIDENT_ID")
    signer = identity.codes
    old = await license_presentation.present(viewer=holder, license_id=id_card.id, disclose=None, offline=False,
                                             signer=signer, origin="http://t",
                                             now=datetime.now(timezone.utc) - timedelta(seconds=61))
    expired = await verify(client, old.token)
    assert (expired["valid"], expired["reasonCode"], expired["reason"]) == (
        False, "EXPIRED", "亮证码已过期，请让持证人刷新后重新出示")
    assert (expired["identifier"], expired["status"], expired["disclosedFields"]) == (None, None, [])
    assert datetime.fromisoformat(expired["expiresAt"]) == old.expires_at

    live = (await present(client, token("citizen"), id_card.id))["token"]
    assert (await verify(client, live))["valid"] is True
    keys = [identity.codes.public_jwk]
    within = await license_presentation.verify(token=live, verifier=None, keys=keys,
                                               now=datetime.now(timezone.utc) + timedelta(seconds=30))
    assert within.valid
    replayed = await license_presentation.verify(token=live, verifier=None, keys=keys,
                                                 now=datetime.now(timezone.utc) + timedelta(seconds=62))
    assert (replayed.valid, replayed.reason_code.value, replayed.license) == (False, "EXPIRED", None)
    recorded = await LicenseVerification.filter(license_id=id_card.id).order_by("-id").first()
    assert recorded is not None and (recorded.valid, recorded.reason_code.value) == (False, "EXPIRED")


async def test_an_offline_code_lives_a_day_and_says_so(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    holder = await persona_user(client, token("citizen"), "dev-citizen")
    driving = await seeded(holder, "DRIVING_LICENSE")
    shown = await present(client, token("citizen"), driving.id, offline=True)
    claims = payload(shown["token"])
    assert shown["offline"] is True and claims["offline"] is True and claims["exp"] - claims["iat"] == 24 * 3600
    result = await verify(client, shown["token"])
    assert (result["valid"], result["offline"], result["reasonCode"]) == (True, True, "VALID")
    assert result["reason"] == "证照有效（离线亮证码：出示时手机未联网，证照状态以本次核验为准）"


async def test_revocation_is_seen_by_the_very_next_verification(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    row = await _fresh_teacher_license(client, token)
    try:
        shown = (await present(client, token("citizen"), row.id))["token"]
        assert (await verify(client, shown))["valid"] is True
        assert (await change_status(client, token("staff"), row.id, "REVOKED", "以欺骗手段取得"))["__typename"] == \
            "LicenseStatusChanged"
        result = await verify(client, shown)  # the same token, seconds later
        assert (result["valid"], result["reasonCode"], result["reason"], result["status"], result["statusLabel"]) == (
            False, "LICENSE_REVOKED", "证照已被吊销（撤销），不是有效证照", "REVOKED", "吊销（撤销）")
        assert result["identifier"] == row.identifier
        # A license that is not valid may still be shown: the verifier sees its status.
        again = await present(client, token("citizen"), row.id, offline=True)
        assert (await verify(client, again["token"]))["reasonCode"] == "LICENSE_REVOKED"
    finally:
        await row.delete()


async def test_a_suspended_or_otherwise_invalid_license_never_verifies(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    row = await _fresh_teacher_license(client, token)
    try:
        live = (await present(client, token("citizen"), row.id))["token"]
        offline = (await present(client, token("citizen"), row.id, offline=True))["token"]
        await change_status(client, token("staff"), row.id, "SUSPENDED", "调查期间暂扣")
        for shown in (live, offline):
            result = await verify(client, shown)
            assert (result["valid"], result["reasonCode"], result["status"]) == (False, "LICENSE_SUSPENDED", "SUSPENDED")
        await change_status(client, token("staff"), row.id, "VALID", "调查结束")
        assert (await verify(client, live))["valid"] is True
        for status, code in ((LicenseStatus.CANCELLED, "LICENSE_CANCELLED"), (LicenseStatus.VOIDED, "LICENSE_VOIDED")):
            await ELicense.filter(id=row.id).update(status=status)
            assert (await verify(client, live))["reasonCode"] == code
        await ELicense.filter(id=row.id).update(status=LicenseStatus.VALID, valid_until=date.today() - timedelta(days=2))
        result = await verify(client, live)
        assert (result["valid"], result["reasonCode"], result["status"]) == (False, "LICENSE_EXPIRED", "EXPIRED")
        await ELicense.filter(id=row.id).update(valid_from=date.today() + timedelta(days=5), valid_until=None)
        assert (await verify(client, live))["reasonCode"] == "LICENSE_NOT_YET_VALID"
        identifier = row.identifier
    finally:
        await row.delete()
    gone = await verify(client, live)
    assert (gone["valid"], gone["reasonCode"], gone["reason"], gone["identifier"]) == (
        False, "LICENSE_NOT_FOUND", "未找到该证照", None)
    assert not await ELicense.exists(identifier=identifier)


async def test_the_holder_sees_who_verified(client: httpx.AsyncClient, token: Callable[..., str]) -> None:
    row = await _fresh_teacher_license(client, token)
    try:
        shown = (await present(client, token("citizen"), row.id))["token"]
        await verify(client, shown)
        await verify(client, shown)  # scanned twice: one record
        assert await LicenseVerification.filter(license_id=row.id, verifier_id__isnull=True).count() == 1
        await verify(client, shown, as_token=token("staff"))
        await verify(client, shown, as_token=token("citizen2"))
        page = (await call(client, token("citizen"), VERIFICATIONS, {"first": 3}))["myLicenseVerifications"]
        assert page["totalCount"] >= 3
        newest = [e["node"] for e in page["edges"]]
        assert [(n["licenseId"], n["verifier"], n["valid"], n["licenseTypeName"], n["reasonCode"]) for n in newest] == [
            (str(row.id), "已登录用户 · 李*", True, "教师资格证书", "VALID"),
            (str(row.id), "市教育局 · 刘洋", True, "教师资格证书", "VALID"),
            (str(row.id), "匿名核验", True, "教师资格证书", "VALID"),
        ]
        assert newest[0]["reason"] == "证照有效"
        # Someone else's record does not list them.
        theirs = (await call(client, token("citizen2"), VERIFICATIONS, {"first": 100}))["myLicenseVerifications"]
        assert str(row.id) not in [e["node"]["licenseId"] for e in theirs["edges"]]
        bad = await client.post("/graphql", json={"query": "{ myLicenseVerifications(first: 0) { totalCount } }"},
                                headers={"authorization": f"Bearer {token('citizen')}"})
        assert bad.json()["errors"][0]["message"] == "每页数量须在 1 到 1000 之间"
    finally:
        await row.delete()

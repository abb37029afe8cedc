"""A complete standard guide for a hall item that has no hand-written one.

Every Art. 12 field is filled from the item's type and department, so the catalog never
shows a half-empty guide. These guides are marked as demo content.
"""

from __future__ import annotations

from typing import Any

from backend.models.catalog import Audience, ItemType

_DAYS: dict[ItemType, tuple[int, int]] = {  # (promised, statutory) working days
    ItemType.LICENSING: (10, 20),
    ItemType.LEVY: (5, 15),
    ItemType.BENEFIT: (10, 30),
    ItemType.CONFIRMATION: (15, 60),
    ItemType.AWARD: (20, 30),
    ItemType.ADJUDICATION: (30, 60),
    ItemType.OTHER_POWER: (10, 20),
    ItemType.PUBLIC_SERVICE: (5, 10),
}

_MAIN_MATERIAL: dict[ItemType, tuple[str, str]] = {  # (material, blank form)
    ItemType.LICENSING: ("行政许可申请书", "《行政许可申请书》"),
    ItemType.LEVY: ("缴费申报表", "《缴费申报表》"),
    ItemType.BENEFIT: ("给付申请表", "《给付申请表》"),
    ItemType.CONFIRMATION: ("确认申请表", "《确认申请表》"),
    ItemType.AWARD: ("奖励推荐表", "《奖励推荐表》"),
    ItemType.ADJUDICATION: ("裁决申请书", "《裁决申请书》"),
    ItemType.OTHER_POWER: ("申请（备案）表", "《申请（备案）表》"),
    ItemType.PUBLIC_SERVICE: ("服务申请表", "《服务申请表》"),
}

_EVIDENCE: dict[ItemType, str] = {
    ItemType.LICENSING: "符合许可条件的场所、人员、设备情况说明",
    ItemType.BENEFIT: "本人银行账户信息",
    ItemType.CONFIRMATION: "待确认事实的证明材料",
    ItemType.AWARD: "先进事迹材料",
    ItemType.ADJUDICATION: "证据清单及证据材料",
    ItemType.OTHER_POWER: "事项情况说明",
}


def is_consultation(name: str) -> bool:
    return any(word in name for word in ("咨询", "查询", "宣传"))


def _material(name: str, **overrides: Any) -> dict[str, Any]:
    material = {
        "name": name,
        "material_type": "ORIGINAL",
        "sample_text": "无",
        "copies": 1,
        "specification": "A4纸，内容清晰完整",
        "electronic_required": True,
        "blank_form": None,
        "required": True,
        "deficiency_allowed": False,
        "license_type": None,
    }
    material.update(overrides)
    return material


def _identity_materials(audience: Audience, *, optional: bool) -> list[dict[str, Any]]:
    person = _material(
        "申请人居民身份证",
        specification="有效期内的居民身份证，可使用电子证照",
        required=not optional and audience is not Audience.ENTERPRISE,
        license_type="RESIDENT_ID",
    )
    enterprise = _material(
        "营业执照（统一社会信用代码证书）",
        specification="单位申请时提供，可使用电子营业执照",
        required=not optional and audience is not Audience.PERSON,
        license_type="BUSINESS_LICENSE",
    )
    if audience is Audience.PERSON:
        return [person]
    if audience is Audience.ENTERPRISE:
        return [enterprise]
    return [person, enterprise]


def standard_guide(
    *, name: str, item_type: ItemType, department: str, implementing_body: str, audience: Audience,
    location: str, remark: str,
) -> dict[str, Any]:
    consult = is_consultation(name)
    promised, statutory = (0, 0) if consult else _DAYS[item_type]
    materials = _identity_materials(audience, optional=consult)
    if not consult:
        main, form = _MAIN_MATERIAL[item_type]
        materials.insert(0, _material(main, blank_form=form, sample_text=f"{form}填写示例"))
        if item_type in _EVIDENCE:
            materials.append(_material(_EVIDENCE[item_type], deficiency_allowed=True))
    paper_needed = "递交" in remark or "预约验收" in remark
    object_text = {Audience.PERSON: "自然人", Audience.ENTERPRISE: "企业法人、事业单位法人、社会组织"}.get(
        audience, "自然人、企业法人、事业单位法人、社会组织"
    )
    if consult:
        process = [
            {"title": "提出咨询", "description": "通过掌上办、12345热线或到窗口提出咨询。"},
            {"title": "答复", "description": "窗口工作人员当场答复；需书面答复的，当场出具。"},
        ]
    else:
        process = [
            {"title": "申请", "description": "在掌上办在线提交申请及材料，或到窗口提交。"},
            {"title": "受理", "description": "材料齐全的出具《受理通知书》；不齐全的一次性告知需补正的全部材料。"},
            {"title": "审查", "description": f"{implementing_body}对申请材料进行审查，必要时进行现场核查。"},
            {"title": "决定", "description": "在承诺时限内作出决定，不予办理的说明理由。"},
            {"title": "送达", "description": "办理结果可选择窗口领取、电子送达或邮寄送达。"},
        ]
    return {
        "basic_code": "",  # filled from the item code by the seed
        "source_of_power": "法定本级行使",
        "case_kind": "IMMEDIATE" if consult else "PROMISED",
        "level_exercised": "市级",
        "implementing_body": implementing_body,
        "service_object": object_text,
        "intermediary_service": "无",
        "fees": "不收费",
        "on_site_visits": 1 if paper_needed else 0,
        "promised_days": promised,
        "statutory_days": statutory,
        "result_sample": "当场答复" if consult else f"《{name}决定书》",
        "office_hours": "法定工作日 9:00-12:00，13:00-17:00",
        "consultation": f"12345政务服务便民热线；{department}窗口",
        "location": location,
        "complaint_channel": "12345政务服务便民热线；掌上办“好差评”",
        "acceptance_conditions": (
            "咨询人可随时提出咨询，无需提交材料。"
            if consult
            else f"申请人符合{name}的法定条件，申请材料齐全、符合法定形式。"
        ),
        "legal_basis": "《西安市政务服务标准化管理办法》及本事项设定依据（演示数据，以官方发布为准）",
        "sample_forms": [{"name": m["blank_form"]} for m in materials if m["blank_form"]],
        "materials": materials,
        "process": process,
        "faq": [
            {
                "question": "可以在手机上办理吗？",
                "answer": "可以。在掌上办提交申请后可随时查看办理进度，结果可选择电子送达。",
            },
            {
                "question": "材料不齐全怎么办？",
                "answer": "窗口会一次性告知需要补正的全部材料；非关键材料可按规定申请容缺受理。",
            },
        ],
    }

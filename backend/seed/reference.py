"""Fixed reference data: e-license types, service halls, department full names, item codes."""

from __future__ import annotations

from backend.models.catalog import HallLevel, ItemType

LICENSE_TYPES: list[tuple[str, str]] = [
    ("RESIDENT_ID", "居民身份证"),
    ("HOUSEHOLD_REGISTER", "居民户口簿"),
    ("MARRIAGE_CERT", "结婚证"),
    ("BIRTH_MEDICAL_CERT", "出生医学证明"),
    ("BUSINESS_LICENSE", "营业执照"),
    ("DRIVING_LICENSE", "机动车驾驶证"),
    ("TEACHER_QUALIFICATION", "教师资格证书"),
    ("ACADEMIC_CERT", "学历证书"),
    ("SOCIAL_SECURITY_CARD", "社会保障卡"),
    ("PUTONGHUA_CERT", "普通话水平测试等级证书"),
    ("DISABILITY_CERT", "残疾人证"),
    ("RETIREMENT_CERT", "退休证"),
    ("HOUSING_PROPERTY_CERT", "不动产权证书"),
]

# Two-digit type segment of the demo item codes (Xi'an division 6101 + type + department + seq).
ITEM_TYPE_CODES: dict[ItemType, str] = {
    ItemType.LICENSING: "01",
    ItemType.LEVY: "04",
    ItemType.BENEFIT: "05",
    ItemType.CONFIRMATION: "07",
    ItemType.AWARD: "08",
    ItemType.ADJUDICATION: "09",
    ItemType.OTHER_POWER: "10",
    ItemType.PUBLIC_SERVICE: "20",
}


def item_code(*, item_type: ItemType, dept_no: int, item_no: int) -> str:
    return f"6101{ITEM_TYPE_CODES[item_type]}{dept_no:02d}{item_no:03d}"


DEPARTMENT_FULL_NAMES: dict[str, str] = {
    "市发改委": "西安市发展和改革委员会",
    "市教育局": "西安市教育局",
    "市工信局": "西安市工业和信息化局",
    "市民宗委": "西安市民族宗教事务委员会",
    "市公安局": "西安市公安局",
    "市民政局": "西安市民政局",
    "市司法局": "西安市司法局",
    "市人社局": "西安市人力资源和社会保障局",
    "市生态环境局": "西安市生态环境局",
    "市住建局": "西安市住房和城乡建设局",
    "市水务局": "西安市水务局",
    "市商务局": "西安市商务局",
    "市文化旅游局": "西安市文化和旅游局",
    "市应急管理局": "西安市应急管理局",
    "市消防救援支队": "西安市消防救援支队",
    "市市场监管局": "西安市市场监督管理局",
    "市统计局": "西安市统计局",
    "市文物局": "西安市文物局",
}

CITY_HALL = "西安市政务服务中心"

# (name, level, district, address, opening hours, phone). Below the city hall these are demo
# halls; their names follow Art. 22.
HALLS: list[tuple[str, HallLevel, str, str, str, str]] = [
    (
        CITY_HALL,
        HallLevel.CITY,
        "未央区",
        "西安市未央区凤城八路109号",
        "法定工作日 9:00-12:00，13:00-17:00（周六上午提供预约服务）",
        "029-12345",
    ),
    (
        "雁塔区政务服务大厅",
        HallLevel.DISTRICT,
        "雁塔区",
        "西安市雁塔区雁塔北路与小寨东路交汇处（演示地址）",
        "法定工作日 9:00-17:00",
        "029-85000001",
    ),
    (
        "碑林区政务服务大厅",
        HallLevel.DISTRICT,
        "碑林区",
        "西安市碑林区南大街（演示地址）",
        "法定工作日 9:00-17:00",
        "029-87000001",
    ),
    (
        "西咸新区政务服务大厅",
        HallLevel.DISTRICT,
        "西咸新区",
        "西咸新区沣东新城（演示地址）",
        "法定工作日 9:00-17:00",
        "029-33000001",
    ),
    (
        "雁塔区电子城街道便民服务中心",
        HallLevel.CENTRE,
        "雁塔区",
        "西安市雁塔区电子城街道（演示地址）",
        "法定工作日 9:00-12:00，13:30-17:30",
        "029-88000001",
    ),
    (
        "电子城街道丈八东路社区便民服务站",
        HallLevel.STATION,
        "雁塔区",
        "西安市雁塔区丈八东路社区（演示地址）",
        "周一至周六 9:00-12:00，14:00-18:00",
        "029-88000002",
    ),
]

# Items of the 72 that many citizens use; the rest of the high-frequency set are the extra
# demo items in guides.json.
HIGH_FREQUENCY_HALL_ITEMS = {"教师资格认定", "工伤认定", "法律职业资格认定"}

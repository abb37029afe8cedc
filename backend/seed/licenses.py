"""Seeds e-licenses: every license type the platform knows, each department as an issuer, the
items whose approval issues a license, and demo licenses for the demo personas and the demo
enterprise. Idempotent: rows are matched on natural keys (type code, department, item,
license identifier) and existing licenses are left as they are (a status changed in the demo
stays changed).

The issuers' unified social credit codes are demo values (region 610100, organ category 11,
a made-up organisation code per department, a correct check character): the departments'
real codes are not in our data. Replace them with the real ones before issuing for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.transactions import in_transaction

from backend.auth.personas import DEMO_ENTERPRISE_NAME, DEMO_ENTERPRISE_USCC, PERSONAS, Persona
from backend.models import Department, ELicense, Enterprise, LicenseType, ServiceItem, User
from backend.models.licenses import ItemLicense, LicenseIssuer
from backend.seed.reference import DEPARTMENT_FULL_NAMES
from backend.services.identity.identifiers import uscc_check_char
from backend.services.licenses.identifiers import build_identifier
from backend.services.licenses.kinds import KINDS, kind_of
from backend.services.identity.identifiers import mask_name
from backend.services.licenses.registry import create_license

# Full names of the departments the catalog adds beyond the city hall's 18.
EXTRA_FULL_NAMES = {
    "市卫生健康委": "西安市卫生健康委员会",
    "市医疗保障局": "西安市医疗保障局",
    "西安住房公积金管理中心": "西安住房公积金管理中心",
    "市行政审批局": "西安市行政审批服务局",
    "市退役军人局": "西安市退役军人事务局",
}

# Items (by their catalog name) whose approval issues a license, and its type.
ITEM_LICENSES = {
    "教师资格认定": "TEACHER_QUALIFICATION",
    "法律职业资格认定": "LEGAL_PROFESSION_CERT",
    "保安员证核发": "SECURITY_GUARD_CERT",
    "第一类易制毒化学品运输许可": "PRECURSOR_TRANSPORT_PERMIT",
    "对外劳务合作经营资格核准": "LABOR_COOPERATION_CERT",
    "旅行社设立许可": "TRAVEL_AGENCY_LICENSE",
    "省级行政区域内经营广播电视节目传送业务审批(有线)": "BROADCAST_TRANSMISSION_LICENSE",
    "广播电视节目制作经营单位设立审批": "BROADCAST_PRODUCTION_LICENSE",
    "广告发布登记": "ADVERTISING_REGISTRATION",
    "文物保护工程(勘察设计资质丙级、施工资质三级和监理资质丙级)资质审批": "RELIC_PROTECTION_QUALIFICATION",
    # High-frequency demo items
    "内地居民结婚登记": "MARRIAGE_CERT",
    "居民身份证换领": "RESIDENT_ID",
    "社会保障卡申领": "SOCIAL_SECURITY_CARD",
    "居住证申领": "RESIDENCE_PERMIT",
    "企业职工退休申请": "RETIREMENT_CERT",
}

_DISTRICTS = {"610102": "新城区", "610103": "碑林区", "610104": "莲湖区", "610111": "灞桥区", "610112": "未央区",
              "610113": "雁塔区", "610114": "阎良区", "610115": "临潼区", "610116": "长安区"}


def demo_issuer_uscc(department: Department) -> str:
    """11 (organ) + 610100 (Xi'an) + organisation code MB + department number + check."""
    first17 = f"11610100MB{int(department.code.lstrip('D')):07d}"
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class DemoLicense:
    type_code: str
    issuer: str  # department (short name)
    number: int  # makes the serial: demo serials are DEMO + 6 digits, never a real serial's shape
    valid_from: date
    valid_until: date | None
    fields: tuple[tuple[str, str, str], ...]


def _person_fields(persona: Persona) -> dict[str, str]:
    number = persona.id_number
    return {"gender": "男" if int(number[16]) % 2 else "女",
            "birthDate": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
            "address": f"陕西省西安市{_DISTRICTS.get(number[:6], '')}（演示地址）"}


def _persona_licenses(persona: Persona, base: int) -> list[DemoLicense]:
    person = _person_fields(persona)
    found = [
        DemoLicense("RESIDENT_ID", "市公安局", base + 1, date(2016, 5, 10), date(2036, 5, 10), (
            ("gender", "性别", person["gender"]), ("ethnicity", "民族", "汉"),
            ("birthDate", "出生日期", person["birthDate"]), ("address", "住址", person["address"]),
            ("idNumber", "公民身份号码", persona.id_number))),
        DemoLicense("DRIVING_LICENSE", "市公安局", base + 2, date(2020, 9, 1), date(2030, 9, 1), (
            ("idNumber", "证号", persona.id_number), ("gender", "性别", person["gender"]),
            ("drivingClass", "准驾车型", "C1"), ("firstIssuedOn", "初次领证日期", "2014-09-01"))),
    ]
    if persona.key == "citizen2":
        found.append(DemoLicense("TEACHER_QUALIFICATION", "市教育局", base + 3, date(2015, 7, 20), None, (
            ("category", "资格种类", "高级中学教师资格"), ("subject", "任教学科", "语文"),
            ("certNumber", "证书号码", f"2015610{base + 3:010d}"))))
    else:
        spouse = {"citizen": "张婷", "enterprise-legal": "周丽华", "staff": "何静", "supervisor": "马超",
                  "enterprise-agent": "吴磊"}[persona.key]
        found.append(DemoLicense("MARRIAGE_CERT", "市民政局", base + 3, date(2019, 5, 20), None, (
            ("registeredOn", "登记日期", "2019-05-20"), ("spouseName", "配偶姓名", mask_name(spouse)),
            ("certNumber", "结婚证字号", f"J610100-2019-{base + 3:06d}"))))
    return found


BUSINESS_LICENSE = DemoLicense("BUSINESS_LICENSE", "市市场监管局", 900001, date(2019, 4, 18), None, (
    ("uscc", "统一社会信用代码", DEMO_ENTERPRISE_USCC),
    ("companyType", "类型", "有限责任公司（自然人投资或控股）"),
    ("legalRepresentative", "法定代表人", PERSONAS["enterprise-legal"].name),
    ("registeredCapital", "注册资本", "伍佰万元人民币"),
    ("establishedOn", "成立日期", "2019-04-18"),
    ("address", "住所", "陕西省西安市高新区锦业路（演示地址）"),
    ("businessScope", "经营范围", "软件开发；信息技术咨询服务；数据处理服务（演示数据）"),
))


async def seed_licenses() -> int:
    """Returns how many demo licenses were written now (0 when all were there)."""
    types = {}
    for kind in KINDS.values():
        types[kind.code], _ = await LicenseType.get_or_create(defaults={"name": kind.name}, code=kind.code)
    issuers = await _seed_issuers()
    for item_name, type_code in ITEM_LICENSES.items():
        item = await ServiceItem.get_or_none(name=item_name)
        if item is not None:  # a catalog without the item simply issues nothing for it
            await ItemLicense.update_or_create(defaults={"license_type": types[type_code]}, item=item)
    enterprise, _ = await Enterprise.get_or_create(defaults={"name": DEMO_ENTERPRISE_NAME}, uscc=DEMO_ENTERPRISE_USCC)
    written = 0
    for position, persona in enumerate(PERSONAS.values(), start=1):
        # The persona's first sign-in fills in the rest of the row from the provider's claims.
        user, _ = await User.get_or_create(defaults={"name": persona.name}, sub=f"dev-{persona.key}")
        for demo in _persona_licenses(persona, position * 10):
            written += await _ensure(demo, types=types, issuers=issuers, user=user, holder_name=persona.name)
    written += await _ensure(BUSINESS_LICENSE, types=types, issuers=issuers, enterprise=enterprise,
                             holder_name=enterprise.name)
    return written


async def _seed_issuers() -> dict[str, LicenseIssuer]:
    full_names = {**DEPARTMENT_FULL_NAMES, **EXTRA_FULL_NAMES}
    issuers = {}
    for department in await Department.filter(name__in=list(full_names)):
        issuers[department.name], _ = await LicenseIssuer.update_or_create(
            defaults={"name": full_names[department.name], "uscc": demo_issuer_uscc(department)},
            department=department)
    return issuers


async def _ensure(demo: DemoLicense, *, types: dict[str, LicenseType], issuers: dict[str, LicenseIssuer],
                  holder_name: str, user: User | None = None, enterprise: Enterprise | None = None) -> int:
    kind, issuer = kind_of(demo.type_code), issuers.get(demo.issuer)
    if kind is None or issuer is None:
        return 0
    serial = f"DEMO{demo.number:06d}"
    identifier = build_identifier(type_code=kind.type_code, issuer_uscc=issuer.uscc, serial=serial, version=1)
    if await ELicense.exists(identifier=identifier):
        return 0
    async with in_transaction() as conn:
        await create_license(
            conn, license_type=types[demo.type_code], kind=kind, holder_user_id=user.id if user else None,
            holder_enterprise_id=enterprise.id if enterprise else None, holder_name=holder_name, issuer=issuer,
            issued_on=demo.valid_from, fields=demo.fields, serial=serial, valid_from=demo.valid_from,
            valid_until=demo.valid_until,
        )
    return 1

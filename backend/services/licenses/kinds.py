"""The kinds of e-license the platform issues or accepts: for each catalog license type, the
type code that goes into identifiers, who holds it, the card template and how long it is valid.

Type codes are the platform's own four-symbol numbering (01xx: persons, 02xx: enterprises):
the national catalogue of e-license type codes is not part of our data, so these stand in
for it and are documented in docs/LICENSES.md. A code, once used in issued identifiers,
must never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.models.licenses import HolderKind


@dataclass(frozen=True)
class LicenseKind:
    code: str  # LicenseType.code
    name: str
    type_code: str  # the identifier's {type code} segment
    holder: HolderKind
    template: str  # the card the PWA renders it with
    validity_days: int | None  # None: valid indefinitely (长期)


P, E = HolderKind.PERSON, HolderKind.ENTERPRISE
_YEAR = 365

KINDS: dict[str, LicenseKind] = {k.code: k for k in (
    # The catalog's types (backend/seed/reference.py), materials refer to these.
    LicenseKind("RESIDENT_ID", "居民身份证", "0101", P, "resident-id", 20 * _YEAR),
    LicenseKind("HOUSEHOLD_REGISTER", "居民户口簿", "0102", P, "household-register", None),
    LicenseKind("MARRIAGE_CERT", "结婚证", "0103", P, "marriage-certificate", None),
    LicenseKind("BIRTH_MEDICAL_CERT", "出生医学证明", "0104", P, "birth-certificate", None),
    LicenseKind("DRIVING_LICENSE", "机动车驾驶证", "0105", P, "driving-license", 6 * _YEAR),
    LicenseKind("TEACHER_QUALIFICATION", "教师资格证书", "0106", P, "teacher-qualification", None),
    LicenseKind("ACADEMIC_CERT", "学历证书", "0107", P, "academic-certificate", None),
    LicenseKind("SOCIAL_SECURITY_CARD", "社会保障卡", "0108", P, "social-security-card", 10 * _YEAR),
    LicenseKind("PUTONGHUA_CERT", "普通话水平测试等级证书", "0109", P, "putonghua-certificate", None),
    LicenseKind("DISABILITY_CERT", "残疾人证", "0110", P, "disability-certificate", 10 * _YEAR),
    LicenseKind("RETIREMENT_CERT", "退休证", "0111", P, "retirement-certificate", None),
    LicenseKind("HOUSING_PROPERTY_CERT", "不动产权证书", "0112", P, "property-certificate", None),
    # Issued by the city hall's items (see backend/seed/licenses.py ITEM_LICENSES).
    LicenseKind("RESIDENCE_PERMIT", "居住证", "0113", P, "residence-permit", _YEAR),
    LicenseKind("SECURITY_GUARD_CERT", "保安员证", "0114", P, "security-guard-certificate", None),
    LicenseKind("LEGAL_PROFESSION_CERT", "法律职业资格证书", "0115", P, "legal-qualification", None),
    LicenseKind("BUSINESS_LICENSE", "营业执照", "0201", E, "business-license", None),
    LicenseKind("PRECURSOR_TRANSPORT_PERMIT", "第一类易制毒化学品运输许可证", "0202", E, "permit", 90),
    LicenseKind("LABOR_COOPERATION_CERT", "对外劳务合作经营资格证书", "0203", E, "permit", None),
    LicenseKind("TRAVEL_AGENCY_LICENSE", "旅行社业务经营许可证", "0204", E, "permit", None),
    LicenseKind("BROADCAST_TRANSMISSION_LICENSE", "广播电视节目传送业务经营许可证", "0205", E, "permit", 6 * _YEAR),
    LicenseKind("BROADCAST_PRODUCTION_LICENSE", "广播电视节目制作经营许可证", "0208", E, "permit", 2 * _YEAR),
    LicenseKind("ADVERTISING_REGISTRATION", "广告发布登记证", "0206", E, "permit", 3 * _YEAR),
    LicenseKind("RELIC_PROTECTION_QUALIFICATION", "文物保护工程资质证书", "0207", E, "qualification", 5 * _YEAR),
)}


def kind_of(license_type_code: str) -> LicenseKind | None:
    return KINDS.get(license_type_code)

"""E-licenses (电子证照, Art. 30; 002 §19–20): issuing them when a case is approved, who may see
them, their fields as shown, and changing their status. Presenting and verifying them is in
presentation.py.

Who sees a license: its holder; for an enterprise's license, the members within scope (the
legal representative, and agents while their authority is live — the same rule as the
enterprise's cases, see cases/access.py); and the staff of the department that issued it.
Only holders present (亮证); only the issuing department's staff change a status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.models import Case, Department, ELicense, Enterprise, LicenseType, ServiceItem, User
from backend.models.licenses import HolderKind, ItemLicense, LicenseIssuer, LicenseStatus, LicenseVerification
from backend.models.notifications import NotificationKind
from backend.services.cases.access import case_scope, staff_department
from backend.services.workdays import local_date
from backend.services.errors import InvalidTransitionError, NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.identifiers import mask_id_number, mask_name, mask_phone
from backend.services.identity.accounts import enterprise_access
from backend.services.licenses.identifiers import build_identifier
from backend.services.licenses.kinds import LicenseKind, kind_of
from backend.services.notifications.inbox import notify
from backend.services.pagination import Page, check_page_size, decode_cursor

S = LicenseStatus
DEFAULT_DISCLOSURE = ("holderName", "validity")
MAX_REASON = 200
# Status changes staff may make. Expiry is not among them: it follows from the validity dates.
STATUS_CHANGES: dict[LicenseStatus, frozenset[LicenseStatus]] = {
    S.VALID: frozenset({S.SUSPENDED, S.REVOKED, S.CANCELLED, S.VOIDED}),
    S.SUSPENDED: frozenset({S.VALID, S.REVOKED, S.CANCELLED, S.VOIDED}),
    S.EXPIRED: frozenset({S.CANCELLED, S.VOIDED}),
}
# Field keys whose values are personal numbers: stored and shown masked only.
_MASKS = {"idNumber": mask_id_number, "phone": mask_phone}


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LicenseFieldData:
    key: str
    label: str
    value: str


def holder_kind(row: ELicense) -> HolderKind:
    return HolderKind.ENTERPRISE if row.holder_enterprise_id is not None else HolderKind.PERSON


def effective_status(row: ELicense, *, today: date) -> LicenseStatus:
    """A VALID license past its last valid day is EXPIRED, whatever the stored status says:
    nobody has to run a job for a license to stop counting."""
    if row.status is S.VALID and row.valid_until is not None and row.valid_until < today:
        return S.EXPIRED
    return row.status


def validity_text(row: ELicense) -> str:
    start = row.valid_from.isoformat()
    return f"{start} 至 {row.valid_until.isoformat()}" if row.valid_until else f"{start} 起长期有效"


def presentable_fields(row: ELicense) -> list[LicenseFieldData]:
    """Every field a holder may disclose, as a verifier would see it: the holder (a person's
    name masked), the validity, then the license's own fields (numbers already masked)."""
    person = holder_kind(row) is HolderKind.PERSON
    fields = [
        LicenseFieldData("holderName", "持证人" if person else "持证主体",
                         mask_name(row.holder_name) if person else row.holder_name),
        LicenseFieldData("validity", "有效期限", validity_text(row)),
    ]
    fields += [LicenseFieldData(str(f["key"]), str(f["label"]), str(f["value"])) for f in row.fields_json]
    return fields


def printed_fields(values: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Fields as stored: personal numbers masked before they are ever written."""
    return [{"key": key, "label": label, "value": _MASKS[key](value) if key in _MASKS else value}
            for key, label, value in values]


# ---- issuing -------------------------------------------------------------------------------


async def create_license(
    conn: BaseDBAsyncClient, *, license_type: LicenseType, kind: LicenseKind, holder_user_id: int | None,
    holder_enterprise_id: int | None, holder_name: str, issuer: LicenseIssuer, issued_on: date,
    fields: Sequence[tuple[str, str, str]], serial: str | None = None, version: int = 1,
    valid_from: date | None = None, valid_until: date | None = None, case_id: int | None = None,
) -> ELicense:
    """Writes one license in the caller's transaction. Without `valid_from` it is valid from the
    issue date for the kind's usual term. Without a `serial`, the serial is the issue year and
    the row id — unique without a counter table and without a race."""
    start = valid_from or issued_on
    until = valid_until
    if valid_from is None and kind.validity_days:  # issued now: valid for the kind's usual term
        until = start + timedelta(days=kind.validity_days)
    row = ELicense(
        identifier=f"pending:{uuid.uuid4().hex}", license_type_id=license_type.id, holder_user_id=holder_user_id,
        holder_enterprise_id=holder_enterprise_id, holder_name=holder_name, issuer_department_id=issuer.department_id,
        issuer_name=issuer.name, issuer_uscc=issuer.uscc, serial=serial or "", version=version,
        fields_json=printed_fields(fields), template=kind.template, case_id=case_id, status=S.VALID,
        issued_on=issued_on, valid_from=start, valid_until=until,
    )
    if serial:
        row.identifier = build_identifier(type_code=kind.type_code, issuer_uscc=issuer.uscc, serial=serial,
                                          version=version)
        await row.save(using_db=conn)
        return row
    await row.save(using_db=conn)
    row.serial = f"{issued_on:%Y}{row.id:08d}"
    row.identifier = build_identifier(type_code=kind.type_code, issuer_uscc=issuer.uscc, serial=row.serial,
                                      version=version)
    await row.save(using_db=conn, update_fields=["serial", "identifier"])
    return row


async def issue_for_case(conn: BaseDBAsyncClient, *, case: Case, on: date) -> ELicense | None:
    """批准即发证 (Art. 18): when the approved case's item issues a license, it is issued in the
    approval's transaction and the applicant is told, also in it. A failure refuses the
    approval, so there is never an approved case whose license went missing, nor a license
    for a case that was not approved."""
    rule = await ItemLicense.filter(item_id=case.item_id).using_db(conn).select_related("license_type").first()
    if rule is None:
        return None
    if await ELicense.filter(case_id=case.id).using_db(conn).exists():
        return None  # one case, one license, however often this runs
    kind = kind_of(rule.license_type.code)
    issuer = await LicenseIssuer.filter(department_id=case.department_id).using_db(conn).first()
    if kind is None or issuer is None:
        missing = "证照类型代码" if kind is None else "发证机关统一社会信用代码"
        raise InvalidTransitionError(f"“{rule.license_type.name}”的{missing}尚未登记，无法签发电子证照，请联系管理员",
                                     status=case.status.value)
    item_name = await ServiceItem.filter(id=case.item_id).using_db(conn).first().values_list("name", flat=True)
    if case.enterprise_id is not None:
        holder = await Enterprise.filter(id=case.enterprise_id).using_db(conn).first().values_list("name", flat=True)
    else:
        holder = await User.filter(id=case.applicant_id).using_db(conn).first().values_list("name", flat=True)
    row = await create_license(
        conn, license_type=rule.license_type, kind=kind,
        holder_user_id=None if case.enterprise_id else case.applicant_id, holder_enterprise_id=case.enterprise_id,
        holder_name=str(holder), issuer=issuer, issued_on=on,
        fields=[("approvedItem", "批准事项", str(item_name)), ("caseNumber", "办件编号", case.number)],
        case_id=case.id,
    )
    await notify(conn, user_id=case.applicant_id, kind=NotificationKind.LICENSE_ISSUED, title="电子证照已签发",
                 body=f"您申请的「{item_name}」已批准，{rule.license_type.name}已签发，可在“我的证照”中查看和亮证。",
                 link=f"/licenses/{row.id}", source=f"license:{row.id}", case_id=case.id)
    return row


# ---- who sees what -------------------------------------------------------------------------


@dataclass(frozen=True)
class LicenseAccess:
    user: User
    enterprise_ids: frozenset[int]  # enterprises whose licenses the viewer may see and show
    staff_department_id: int | None

    def holds(self, row: ELicense) -> bool:
        return row.holder_user_id == self.user.id or (
            row.holder_enterprise_id is not None and row.holder_enterprise_id in self.enterprise_ids)

    def sees(self, row: ELicense) -> bool:
        return self.holds(row) or self.issued(row)

    def issued(self, row: ELicense) -> bool:
        return self.staff_department_id is not None and row.issuer_department_id == self.staff_department_id


async def license_access(*, user: User) -> LicenseAccess:
    scope = await case_scope(user=user)  # memberships and live authorities: two queries
    return LicenseAccess(user=user, enterprise_ids=frozenset(scope.enterprises),
                         staff_department_id=staff_department(user))


def _with_relations(query: Any) -> Any:
    return query.select_related("license_type", "case")


async def my_licenses(*, user: User) -> list[ELicense]:
    """我的证照: the person's own licenses, in one query however many there are."""
    return list(await _with_relations(ELicense.filter(holder_user_id=user.id)).order_by("id"))


async def get_license(*, viewer: User, license_id: int) -> ELicense | None:
    row = await _with_relations(ELicense.filter(id=license_id)).first()
    if row is None or not (await license_access(user=viewer)).sees(row):
        return None  # someone else's license is indistinguishable from none
    return row


async def enterprise_licenses(*, user: User, uscc: str) -> list[ELicense]:
    """一企一档: the enterprise's licenses, for members within scope."""
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None:
        raise NotPermittedError("你没有查看该企业证照的权限")
    return list(await _with_relations(ELicense.filter(holder_enterprise_id=access.enterprise.id)).order_by("id"))


async def issued_licenses(*, user: User, first: int = 20, after: str | None = None) -> Page[ELicense]:
    """The licenses the staff member's department issued, newest first."""
    department_id = staff_department(user)
    if department_id is None:
        raise NotPermittedError("只有发证部门的工作人员可以查看本部门签发的证照")
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    query = ELicense.filter(issuer_department_id=department_id)
    total = await query.count()
    rows = await _with_relations(query).order_by("-id").offset(offset).limit(first)
    return Page(nodes=rows, offset=offset, total_count=total)


async def verifications(*, user: User, first: int = 20, after: str | None = None) -> Page[LicenseVerification]:
    """Who verified the viewer's licenses (and the enterprise licenses they may see), newest first."""
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    access = await license_access(user=user)
    holder = Q(license__holder_user_id=user.id)
    if access.enterprise_ids:
        holder |= Q(license__holder_enterprise_id__in=sorted(access.enterprise_ids))
    query = LicenseVerification.filter(holder)
    total = await query.count()
    rows = await query.order_by("-verified_at", "-id").offset(offset).limit(first).select_related(
        "license__license_type")
    return Page(nodes=rows, offset=offset, total_count=total)


# ---- status --------------------------------------------------------------------------------


async def change_status(*, actor: User, license_id: int, status: LicenseStatus, reason: str,
                        now: datetime | None = None) -> ELicense:
    """暂扣 / 恢复 / 吊销 / 注销 / 作废, by the issuing department's staff, with a stated reason.
    Takes effect at once: the next verification reads it from the database."""
    row = await ELicense.get_or_none(id=license_id)
    access = await license_access(user=actor)
    if row is None or not access.sees(row):
        raise NotFoundError("未找到该证照")
    if not access.issued(row):
        raise NotPermittedError("只有发证部门的工作人员可以变更证照状态")
    text = (reason or "").strip()
    if not text:
        raise ValidationError(field="reason", message="请填写变更证照状态的理由")
    if len(text) > MAX_REASON:
        raise ValidationError(field="reason", message=f"理由不能超过 {MAX_REASON} 字")
    if status is S.EXPIRED:
        raise ValidationError(field="status", message="证照是否过期由有效期决定，不能手动设为过期")
    async with in_transaction() as conn:
        locked = await ELicense.select_for_update().using_db(conn).get(id=row.id)
        current = locked.status
        if status is current:
            raise ValidationError(field="status", message=f"证照已是“{current.label}”状态")
        if status not in STATUS_CHANGES.get(current, frozenset()):
            raise ValidationError(field="status", message=f"证照已{current.label}，不能再变更为“{status.label}”")
        locked.status = status
        locked.status_reason = text
        locked.status_changed_at = now or _now()
        locked.status_changed_by_id = actor.id
        await locked.save(using_db=conn, update_fields=["status", "status_reason", "status_changed_at",
                                                        "status_changed_by_id"])
    return await _with_relations(ELicense.filter(id=row.id)).get()


async def verifier_label(verifier: User | None) -> str:
    """How the holder sees who checked their license: staff by department, others masked."""
    if verifier is None:
        return "匿名核验"
    department_id = staff_department(verifier)
    if department_id is not None:
        name = await Department.filter(id=department_id).first().values_list("name", flat=True)
        return f"{name or '窗口'} · {verifier.name}"
    return f"已登录用户 · {mask_name(verifier.name)}"


def local_today(now: datetime | None = None) -> date:
    return local_date(now or _now())

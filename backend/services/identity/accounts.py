"""People and enterprises as the identity provider describes them, and who may see what."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from tortoise.transactions import in_transaction

from backend.models import AgentAuthority, DataAccessLog, Department, Enterprise, Membership, ServiceItem, User
from backend.models.identity import MembershipRole, Role
from backend.services.workdays import CHINA
from backend.services.errors import NotFoundError, NotPermittedError, ValidationError
from backend.services.identity.identifiers import (
    check_id_number, check_phone, check_uscc, mask_id_number, mask_phone,
)
from backend.services.pagination import Page, check_page_size, decode_cursor
from backend.services.identity.privacy import PiiVault

ID_NUMBER, PHONE = "id_number", "phone"
MAX_AUTHORITY_DAYS = 366


def _now() -> datetime:
    # In the database's zone: SQLite compares timestamps as text, and tortoise stores them in
    # the configured zone (China), so a UTC value would compare wrongly near the boundary.
    return datetime.now(CHINA)


@dataclass(frozen=True)
class Profile:
    name: str
    id_number_masked: str | None
    phone_masked: str | None
    roles: tuple[str, ...]
    elder_mode: bool | None
    memberships: tuple[tuple[Enterprise, MembershipRole], ...]


def _claims_hash(claims: Mapping[str, Any]) -> str:
    keys = ("name", "id_number", "phone_number", "roles", "department", "enterprises")
    return hashlib.sha256(json.dumps({k: claims.get(k) for k in keys}, sort_keys=True).encode()).hexdigest()


async def sync_user(*, claims: Mapping[str, Any], vault: PiiVault) -> User:
    """The user for verified claims, created or brought up to date in one transaction.
    Unchanged claims cost one read."""
    sub = str(claims["sub"])
    user = await User.get_or_none(sub=sub)
    digest = _claims_hash(claims)
    if user is not None and user.claims_hash == digest:
        return user
    name = str(claims.get("name") or "").strip()[:100] or "未实名用户"
    id_number = check_id_number(str(claims["id_number"]), field="id_number") if claims.get("id_number") else None
    phone = check_phone(str(claims["phone_number"]), field="phone_number") if claims.get("phone_number") else None
    roles = sorted({r for r in claims.get("roles") or [] if r in Role.__members__})
    enterprises = []
    for entry in claims.get("enterprises") or []:
        uscc = check_uscc(str(entry.get("uscc", "")), field="enterprises.uscc")
        role = MembershipRole(entry.get("role", "AGENT"))
        enterprises.append((uscc, str(entry.get("name") or uscc)[:200], role))
    department = await Department.get_or_none(code=claims["department"]) if claims.get("department") else None
    values = {
        "name": name,
        "id_number_enc": vault.encrypt(id_number, purpose=ID_NUMBER) if id_number else None,
        "id_number_index": vault.blind_index(id_number, purpose=ID_NUMBER) if id_number else None,
        "phone_enc": vault.encrypt(phone, purpose=PHONE) if phone else None,
        "phone_index": vault.blind_index(phone, purpose=PHONE) if phone else None,
        "roles": roles,
        "department": department,
        "claims_hash": digest,
    }
    async with in_transaction():
        user, _ = await User.update_or_create(defaults=values, sub=sub)
        kept = []
        for uscc, ent_name, role in enterprises:
            enterprise, _ = await Enterprise.get_or_create(defaults={"name": ent_name}, uscc=uscc)
            membership, _ = await Membership.update_or_create(defaults={"role": role}, user=user, enterprise=enterprise)
            kept.append(membership.id)
        # The provider is the source of truth for memberships: one it no longer asserts ends.
        await Membership.filter(user=user).exclude(id__in=kept).delete()
    return user


async def profile(*, user: User, vault: PiiVault) -> Profile:
    memberships = await Membership.filter(user=user).prefetch_related("enterprise").order_by("id")
    return Profile(
        name=user.name,
        id_number_masked=mask_id_number(vault.decrypt(user.id_number_enc, purpose=ID_NUMBER)) if user.id_number_enc else None,
        phone_masked=mask_phone(vault.decrypt(user.phone_enc, purpose=PHONE)) if user.phone_enc else None,
        roles=tuple(user.roles),
        elder_mode=user.elder_mode,
        memberships=tuple((m.enterprise, m.role) for m in memberships),
    )


async def set_elder_mode(*, user: User, on: bool) -> bool:
    """长辈模式 remembered on the account: a phone the person signs in on follows it."""
    await User.filter(id=user.id).update(elder_mode=on)
    user.elder_mode = on
    return on


async def log_access(*, actor: User | None, subject: User, what: str, purpose: str, outcome: str = "ALLOWED") -> None:
    await DataAccessLog.create(actor=actor, subject=subject, what=what, purpose=purpose, outcome=outcome)


async def reveal_own(*, user: User, what: str, vault: PiiVault) -> str:
    """The owner's own full number. Every reveal is written to the access log."""
    stored = {ID_NUMBER: user.id_number_enc, PHONE: user.phone_enc}.get(what)
    if what not in (ID_NUMBER, PHONE):
        raise ValidationError(field="field", message="只能查看本人的身份证号码或手机号码")
    if not stored:
        raise NotFoundError("身份认证平台未提供该信息")
    value = vault.decrypt(stored, purpose=what)
    await log_access(actor=user, subject=user, what=what, purpose="本人查看完整号码")
    return value


async def access_log(*, user: User, first: int = 20, after: str | None = None) -> Page[DataAccessLog]:
    first = check_page_size(first)
    offset = decode_cursor(after) if after is not None else 0
    query = DataAccessLog.filter(subject=user)
    total = await query.count()
    rows = await query.order_by("-at", "-id").offset(offset).limit(first).prefetch_related("actor")
    return Page(nodes=rows, offset=offset, total_count=total)


# ---- enterprise space (一企一档) -------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseAccess:
    enterprise: Enterprise
    role: MembershipRole
    scope: tuple[str, ...]  # item codes the viewer may act on; ("*",) for all
    expires_at: datetime | None


async def active_authority(membership: Membership) -> AgentAuthority | None:
    return await AgentAuthority.filter(
        membership=membership, revoked_at__isnull=True, expires_at__gt=_now()
    ).order_by("-created_at").first()


async def enterprise_access(*, user: User, uscc: str) -> EnterpriseAccess | None:
    """What the user may see of the enterprise; None when nothing (not a member, or an agent
    without a live authority). Callers must not tell "no such enterprise" from "not yours"."""
    membership = await Membership.get_or_none(user=user, enterprise__uscc=uscc.strip().upper()).prefetch_related("enterprise")
    if membership is None:
        return None
    if membership.role is MembershipRole.LEGAL_REPRESENTATIVE:
        return EnterpriseAccess(enterprise=membership.enterprise, role=membership.role, scope=("*",), expires_at=None)
    authority = await active_authority(membership)
    if authority is None:
        return None
    return EnterpriseAccess(enterprise=membership.enterprise, role=membership.role,
                            scope=tuple(authority.scope), expires_at=authority.expires_at)


async def _require_legal_rep(*, user: User, uscc: str) -> Enterprise:
    access = await enterprise_access(user=user, uscc=uscc)
    if access is None or access.role is not MembershipRole.LEGAL_REPRESENTATIVE:
        raise NotPermittedError("只有企业法定代表人可以管理经办人授权")
    return access.enterprise


async def agents_of(*, user: User, uscc: str) -> list[tuple[Membership, AgentAuthority | None]]:
    enterprise = await _require_legal_rep(user=user, uscc=uscc)
    members = await Membership.filter(enterprise=enterprise, role=MembershipRole.AGENT).prefetch_related("user").order_by("id")
    live = await AgentAuthority.filter(
        membership_id__in=[m.id for m in members], revoked_at__isnull=True, expires_at__gt=_now()
    ).order_by("created_at")
    newest = {authority.membership_id: authority for authority in live}  # later rows win
    return [(m, newest.get(m.id)) for m in members]


async def grant_agent_authority(
    *, actor: User, uscc: str, agent_id_number: str, scope: Sequence[str], expires_at: datetime, vault: PiiVault,
) -> AgentAuthority:
    enterprise = await _require_legal_rep(user=actor, uscc=uscc)
    number = check_id_number(agent_id_number, field="agentIdNumber")
    agent = await User.get_or_none(id_number_index=vault.blind_index(number, purpose=ID_NUMBER))
    membership = await Membership.get_or_none(user=agent, enterprise=enterprise, role=MembershipRole.AGENT) if agent else None
    if membership is None:
        raise ValidationError(field="agentIdNumber", message="该人员不是本企业登记的经办人，或尚未登录过掌上办")
    codes = sorted({code.strip() for code in scope if code.strip()})
    if not codes:
        raise ValidationError(field="scope", message="请至少选择一个授权办理的事项")
    if codes != ["*"]:
        known = set(await ServiceItem.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ValidationError(field="scope", message=f"授权范围中的事项编码不存在：{'、'.join(unknown)}")
    if expires_at.tzinfo is None:
        raise ValidationError(field="expiresAt", message="授权截止时间须包含时区")
    if expires_at <= _now():
        raise ValidationError(field="expiresAt", message="授权截止时间须晚于现在")
    if expires_at > _now() + timedelta(days=MAX_AUTHORITY_DAYS):
        raise ValidationError(field="expiresAt", message="授权期限最长为一年")
    async with in_transaction():
        # One live authority per agent: a new grant replaces the old one.
        await AgentAuthority.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=_now())
        authority = await AgentAuthority.create(membership=membership, granted_by=actor, scope=codes, expires_at=expires_at)
    await log_access(actor=actor, subject=agent, what=ID_NUMBER, purpose="企业授权经办人时核验身份")
    return authority


async def revoke_agent_authority(*, actor: User, authority_id: int) -> AgentAuthority:
    authority = await AgentAuthority.get_or_none(id=authority_id).prefetch_related("membership__enterprise")
    if authority is None:
        raise NotFoundError("未找到该授权")
    try:
        await _require_legal_rep(user=actor, uscc=authority.membership.enterprise.uscc)
    except NotPermittedError:
        raise NotFoundError("未找到该授权") from None  # don't confirm that someone else's exists
    if authority.revoked_at is None:
        authority.revoked_at = _now()
        await authority.save(update_fields=["revoked_at"])
    return authority

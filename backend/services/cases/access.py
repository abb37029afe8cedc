"""Who may see and act on which cases.

Applicants see their own cases; enterprise members see the enterprise's cases within their
authority (the legal representative all, an agent the items in scope while the authority is
live); staff see their department's; supervisors see every department's, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from tortoise.expressions import Q

from backend.models import AgentAuthority, Case, Membership, ServiceItem, User
from backend.models.identity import MembershipRole, Role


@dataclass(frozen=True)
class CaseScope:
    user: User
    staff_department_id: int | None
    supervisor: bool
    # enterprise id -> item codes the viewer may see there ("*" for all)
    enterprises: dict[int, frozenset[str]] = field(default_factory=dict)

    def sees(self, case: Case, *, item_code: str) -> bool:
        if case.applicant_id == self.user.id or self.supervisor:
            return True
        if self.staff_department_id is not None and case.department_id == self.staff_department_id:
            return True
        return self.acts_for_enterprise(case, item_code=item_code)

    def acts_for_enterprise(self, case: Case, *, item_code: str) -> bool:
        scope = self.enterprises.get(case.enterprise_id) if case.enterprise_id is not None else None
        return scope is not None and ("*" in scope or item_code in scope)

    def is_staff_of(self, case: Case) -> bool:
        return self.staff_department_id is not None and case.department_id == self.staff_department_id

    def filter(self) -> Q:
        """A query filter matching the cases this scope may see (item scope is checked after)."""
        if self.supervisor:
            return Q()
        match = Q(applicant_id=self.user.id)
        if self.staff_department_id is not None:
            match |= Q(department_id=self.staff_department_id)
        if self.enterprises:
            match |= Q(enterprise_id__in=list(self.enterprises))
        return match


async def item_code(item_id: int) -> str:
    """The code of a case's item: agents' authorities are scoped by item code."""
    return str(await ServiceItem.filter(id=item_id).first().values_list("code", flat=True))


def staff_department(user: User) -> int | None:
    return user.department_id if Role.STAFF in user.roles and user.department_id else None


async def case_scope(*, user: User) -> CaseScope:
    """Two queries: memberships, then live agent authorities."""
    memberships = await Membership.filter(user=user)
    enterprises: dict[int, frozenset[str]] = {}
    agents = {}
    for membership in memberships:
        if membership.role is MembershipRole.LEGAL_REPRESENTATIVE:
            enterprises[membership.enterprise_id] = frozenset({"*"})
        else:
            agents[membership.id] = membership.enterprise_id
    if agents:
        live = await AgentAuthority.filter(
            membership_id__in=list(agents), revoked_at__isnull=True, expires_at__gt=datetime.now(timezone.utc)
        ).order_by("created_at")
        for authority in live:  # newest wins
            enterprises[agents[authority.membership_id]] = frozenset(authority.scope)
    return CaseScope(user=user, staff_department_id=staff_department(user),
                     supervisor=Role.SUPERVISOR in user.roles, enterprises=enterprises)

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import Info

from backend.models import AgentAuthority as AgentAuthorityModel
from backend.models import Enterprise as EnterpriseModel
from backend.models import User
from backend.models.identity import MembershipRole
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import plain_text, record_id, record_key
from backend.resolvers.pagination import page_info
from backend.schema.context import Context
from backend.schema.types import errors as e
from backend.schema.types.identity import (
    AgentAuthority, AgentAuthorityGranted, AgentAuthorityRevoked, DataAccessConnection, DataAccessEdge,
    DataAccessEntry, Enterprise, EnterpriseAgent, EnterpriseMembership, GrantAgentAuthorityInput, IdentifiedParty,
    ElderModeSet, IdentityCode, Me, PartyIdentified, RevealedNumber, SensitiveField,
)
from backend.services.identity import accounts as identity, codes as identity_codes
from backend.services.errors import NotFoundError, NotPermittedError
from backend.services.identity.codes import enterprise_code


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


async def me(info: Info[Context, None]) -> Me | None:
    profile = await identity.profile(user=_viewer(info), vault=info.context.identity.vault)
    return Me(
        name=profile.name, id_number_masked=profile.id_number_masked, phone_masked=profile.phone_masked,
        roles=list(profile.roles), elder_mode=profile.elder_mode,
        enterprises=[EnterpriseMembership(uscc=ent.uscc, name=ent.name, role=role) for ent, role in profile.memberships],
    )


def personal_code(info: Info[Context, None]) -> IdentityCode:
    return IdentityCode.from_data(identity_codes.personal_code(user=_viewer(info), signer=info.context.identity.codes))


@user_errors
async def my_data_access_log(info: Info[Context, None], first: int = 20, after: str | None = None) -> DataAccessConnection:
    page = await identity.access_log(user=_viewer(info), first=first, after=after)
    edges = [DataAccessEdge(cursor=page.cursor_at(i), node=DataAccessEntry.from_model(row)) for i, row in enumerate(page.nodes)]
    return DataAccessConnection(edges=edges, page_info=page_info(page), total_count=page.total_count)


def _uscc(raw: str, *, field: str) -> str | None:
    return record_key(raw, model=EnterpriseModel, column="uscc", field=field, message="统一社会信用代码格式不正确")


@user_errors
async def enterprise(info: Info[Context, None], uscc: str) -> Enterprise | None:
    viewer = _viewer(info)
    key = _uscc(uscc, field="uscc")
    access = await identity.enterprise_access(user=viewer, uscc=key) if key else None
    if access is None:
        return None
    agents = []
    if access.role is MembershipRole.LEGAL_REPRESENTATIVE:
        agents = [
            EnterpriseAgent(name=m.user.name, authority=AgentAuthority.from_model(a) if a else None)
            for m, a in await identity.agents_of(user=viewer, uscc=access.enterprise.uscc)
        ]
    code = enterprise_code(enterprise=access.enterprise, signer=info.context.identity.codes)
    return Enterprise(
        uscc=access.enterprise.uscc, name=access.enterprise.name, my_role=access.role, my_scope=list(access.scope),
        my_authority_expires_at=access.expires_at, agents=agents, code=IdentityCode.from_data(code),
    )


RevealResult = Annotated[RevealedNumber | e.InputError | e.NotFoundError, strawberry.union("RevealMyNumberResult")]
GrantResult = Annotated[
    AgentAuthorityGranted | e.InputError | e.NotPermittedError, strawberry.union("GrantAgentAuthorityResult")
]
RevokeResult = Annotated[AgentAuthorityRevoked | e.InputError | e.NotFoundError, strawberry.union("RevokeAgentAuthorityResult")]
ElderModeResult = Annotated[ElderModeSet | e.NotPermittedError, strawberry.union("SetElderModeResult")]
IdentifyResult = Annotated[PartyIdentified | e.InputError | e.NotPermittedError, strawberry.union("IdentifyByCodeResult")]


async def reveal_my_number(info: Info[Context, None], field: SensitiveField) -> RevealResult:
    value = await identity.reveal_own(user=_viewer(info), what=field.value, vault=info.context.identity.vault)
    return RevealedNumber(field=field, value=value)


async def grant_agent_authority(info: Info[Context, None], input: GrantAgentAuthorityInput) -> GrantResult:
    uscc = _uscc(input.uscc, field="uscc")
    if uscc is None:  # as for any enterprise the person does not represent
        raise NotPermittedError("只有企业法定代表人可以管理经办人授权")
    authority = await identity.grant_agent_authority(
        actor=_viewer(info), uscc=uscc, agent_id_number=input.agent_id_number,
        scope=[plain_text(code, field="scope") for code in input.scope],
        expires_at=input.expires_at, vault=info.context.identity.vault,
    )
    return AgentAuthorityGranted(authority=AgentAuthority.from_model(authority))


async def revoke_agent_authority(info: Info[Context, None], id: strawberry.ID) -> RevokeResult:
    authority_id = record_id(id, model=AgentAuthorityModel, field="id", message="授权编号格式不正确")
    if authority_id is None:
        raise NotFoundError("未找到该授权")
    authority = await identity.revoke_agent_authority(actor=_viewer(info), authority_id=authority_id)
    return AgentAuthorityRevoked(authority=AgentAuthority.from_model(authority))


async def identify_by_code(info: Info[Context, None], token: str) -> IdentifyResult:
    party = await identity_codes.identify(token=token, actor=_viewer(info), signer=info.context.identity.codes,
                                          vault=info.context.identity.vault)
    return PartyIdentified(party=IdentifiedParty.from_data(party))


async def set_elder_mode(info: Info[Context, None], on: bool) -> ElderModeResult:
    return ElderModeSet(on=await identity.set_elder_mode(user=_viewer(info), on=on))

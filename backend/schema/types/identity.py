"""GraphQL types of people, enterprises, codes and the data-access log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Info

from backend.models import AgentAuthority as AgentAuthorityModel
from backend.models import DataAccessLog
from backend.models.identity import MembershipRole as DomainMembershipRole
from backend.schema.context import Context
from backend.schema.errors import from_domain
from backend.schema.types.cases import CaseConnection
from backend.schema.types.catalog import PageInfo
from backend.schema.types.licenses import License
from backend.schema.types.bookings import Booking
from backend.services.bookings.booking import enterprise_bookings
from backend.services.cases import queries as case_queries
from backend.services.licenses import registry as licenses
from backend.services.errors import DomainError
from backend.services.identity.codes import IdentifiedParty as IdentifiedPartyData
from backend.services.identity.codes import IdentityCode as IdentityCodeData

MembershipRole = strawberry.enum(DomainMembershipRole, description="企业中的身份: 法定代表人 / 经办人")


@strawberry.enum(description="可由本人查看完整号码的敏感信息")
class SensitiveField(Enum):
    ID_NUMBER = "id_number"
    PHONE = "phone"


@strawberry.type
class EnterpriseMembership:
    uscc: str
    name: str
    role: MembershipRole


@strawberry.type(description="一人一档: the signed-in person, personal numbers masked")
class Me:
    name: str
    id_number_masked: str | None
    phone_masked: str | None
    roles: list[str]
    enterprises: list[EnterpriseMembership]
    elder_mode: bool | None = strawberry.field(
        default=None, description="长辈模式 chosen on the account; null: never chosen (the device's choice stands)")


@strawberry.type(description="长辈模式 remembered on the account")
class ElderModeSet:
    on: bool


@strawberry.type(description="一人一码 / 一企一码: a short-lived signed token and its QR code")
class IdentityCode:
    token: str
    qr_svg: str
    expires_at: datetime

    @classmethod
    def from_data(cls, code: IdentityCodeData) -> IdentityCode:
        return cls(token=code.token, qr_svg=code.qr_svg, expires_at=datetime.fromtimestamp(code.expires_at).astimezone())


@strawberry.type
class AgentAuthority:
    id: strawberry.ID
    scope: list[str] = strawberry.field(description='item codes; ["*"] means every item')
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, row: AgentAuthorityModel) -> AgentAuthority:
        return cls(id=strawberry.ID(str(row.id)), scope=list(row.scope), expires_at=row.expires_at,
                   revoked_at=row.revoked_at)


@strawberry.type
class EnterpriseAgent:
    name: str
    authority: AgentAuthority | None


@strawberry.type(description="一企一档: what the viewer may see of an enterprise")
class Enterprise:
    uscc: str
    name: str
    my_role: MembershipRole
    my_scope: list[str]
    my_authority_expires_at: datetime | None
    agents: list[EnterpriseAgent] = strawberry.field(description="经办人及授权; legal representative only")
    code: IdentityCode = strawberry.field(description="一企一码")

    @strawberry.field(description="企业办件 (一企一档), newest first")
    async def cases(self, info: Info[Context, None], first: int = 20, after: str | None = None) -> CaseConnection:
        viewer = info.context.viewer
        assert viewer is not None  # the enterprise field is for signed-in members only
        try:
            page = await case_queries.enterprise_cases(user=viewer, uscc=self.uscc, first=first, after=after)
        except DomainError as error:
            raise from_domain(error) from error
        return CaseConnection.from_page(page)

    @strawberry.field(description="企业电子证照 (一企一档): for members within scope")
    async def licenses(self, info: Info[Context, None]) -> list[License]:
        viewer = info.context.viewer
        assert viewer is not None  # the enterprise field is for signed-in members only
        try:
            rows = await licenses.enterprise_licenses(user=viewer, uscc=self.uscc)
        except DomainError as error:
            raise from_domain(error) from error
        today = licenses.local_today()
        return [License.from_model(row, today=today) for row in rows]

    @strawberry.field(description="企业预约 (一企一档), latest slot first: for members within scope")
    async def bookings(self, info: Info[Context, None], first: int = 20) -> list[Booking]:
        viewer = info.context.viewer
        assert viewer is not None  # the enterprise field is for signed-in members only
        try:
            rows = await enterprise_bookings(user=viewer, uscc=self.uscc, first=first)
        except DomainError as error:
            raise from_domain(error) from error
        return [Booking.from_model(row) for row in rows]


@strawberry.type
class DataAccessEntry:
    id: strawberry.ID
    actor_name: str
    what: str
    purpose: str
    outcome: str
    at: datetime

    @classmethod
    def from_model(cls, row: DataAccessLog) -> DataAccessEntry:
        what = {"id_number": "身份证号码", "phone": "手机号码"}.get(row.what, row.what)
        return cls(id=strawberry.ID(str(row.id)), actor_name=row.actor.name if row.actor else "系统",
                   what=what, purpose=row.purpose, outcome=row.outcome, at=row.at)


@strawberry.type
class DataAccessEdge:
    cursor: str
    node: DataAccessEntry


@strawberry.type
class DataAccessConnection:
    edges: list[DataAccessEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class IdentifiedParty:
    kind: str
    name: str
    number_masked: str

    @classmethod
    def from_data(cls, party: IdentifiedPartyData) -> IdentifiedParty:
        return cls(kind=party.kind, name=party.name, number_masked=party.number_masked)


@strawberry.type
class RevealedNumber:
    field: SensitiveField
    value: str


@strawberry.type
class AgentAuthorityGranted:
    authority: AgentAuthority


@strawberry.type
class AgentAuthorityRevoked:
    authority: AgentAuthority


@strawberry.type
class PartyIdentified:
    party: IdentifiedParty


@strawberry.input
class GrantAgentAuthorityInput:
    uscc: str
    agent_id_number: str
    scope: list[str]
    expires_at: datetime

"""The per-request context: settings, the request, and DataLoaders built fresh per request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from backend.auth.identity import Identity
from backend.bus import Bus
from backend.models import CaseEvent, CaseMaterial, Enterprise, ServiceItem, Upload, User
from backend.models import Department, Faq, LicenseType, Material, ProcessStep, ServiceGuide, ServiceHall
from backend.services.cases import queries as case_queries
from backend.services.catalog import items as catalog
from backend.services.cases.access import CaseScope, case_scope
from backend.services.cases.feed import CaseFeed
from backend.services.notifications.feed import InboxFeed
from backend.models import Case, Rating, RectificationTicket, TicketEntry
from backend.services.ratings import report as rating_report, tickets as rating_tickets, visit as rating_visit
from backend.settings import Settings


class Loaders:
    """DataLoaders built on first use, fresh per request: a websocket connection that only
    subscribes, or a request that reads no relation, builds none of them (memory per connection)."""

    @cached_property
    def department(self) -> DataLoader[int, Department | None]:
        return DataLoader(load_fn=catalog.departments_by_id)

    @cached_property
    def department_item_count(self) -> DataLoader[int, int]:
        return DataLoader(load_fn=catalog.item_counts_by_department)

    @cached_property
    def guide(self) -> DataLoader[int, ServiceGuide | None]:
        return DataLoader(load_fn=catalog.guides_by_item_id)

    @cached_property
    def materials(self) -> DataLoader[int, list[Material]]:
        return DataLoader(load_fn=catalog.materials_by_guide_id)

    @cached_property
    def process(self) -> DataLoader[int, list[ProcessStep]]:
        return DataLoader(load_fn=catalog.process_by_guide_id)

    @cached_property
    def faq(self) -> DataLoader[int, list[Faq]]:
        return DataLoader(load_fn=catalog.faq_by_guide_id)

    @cached_property
    def license_type(self) -> DataLoader[int, LicenseType | None]:
        return DataLoader(load_fn=catalog.license_types_by_id)

    @cached_property
    def halls(self) -> DataLoader[int, list[ServiceHall]]:
        return DataLoader(load_fn=catalog.halls_by_item_id)

    @cached_property
    def item(self) -> DataLoader[int, ServiceItem | None]:
        return DataLoader(load_fn=case_queries.items_by_id)

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(load_fn=case_queries.users_by_id)

    @cached_property
    def enterprise(self) -> DataLoader[int, Enterprise | None]:
        return DataLoader(load_fn=case_queries.enterprises_by_id)

    @cached_property
    def case_events(self) -> DataLoader[int, list[CaseEvent]]:
        return DataLoader(load_fn=case_queries.events_by_case_id)

    @cached_property
    def case_materials(self) -> DataLoader[int, list[CaseMaterial]]:
        return DataLoader(load_fn=case_queries.materials_by_case_id)

    @cached_property
    def case_material_files(self) -> DataLoader[int, list[Upload]]:
        return DataLoader(load_fn=case_queries.files_by_case_material_id)

    @cached_property
    def license_type_name(self) -> DataLoader[int, str | None]:
        return DataLoader(load_fn=case_queries.license_names_by_license_id)

    # 好差评
    @cached_property
    def case(self) -> DataLoader[int, Case | None]:
        return DataLoader(load_fn=rating_tickets.cases_by_id)

    @cached_property
    def rating(self) -> DataLoader[int, Rating | None]:
        return DataLoader(load_fn=rating_tickets.ratings_by_id)

    @cached_property
    def rating_ticket(self) -> DataLoader[int, RectificationTicket | None]:
        return DataLoader(load_fn=rating_tickets.tickets_by_rating_id)

    @cached_property
    def ticket_entries(self) -> DataLoader[int, list[TicketEntry]]:
        return DataLoader(load_fn=rating_tickets.entries_by_ticket_id)

    @cached_property
    def booking_number(self) -> DataLoader[int, str | None]:
        return DataLoader(load_fn=rating_visit.booking_numbers_by_id)

    @cached_property
    def item_satisfaction(self) -> DataLoader[int, rating_report.Satisfaction]:
        return DataLoader(load_fn=rating_report.satisfaction_by_item_id)


@dataclass
class CachePolicy:
    """Set by the schema's cache extension when every root field of a query is public."""

    public_max_age: int | None = None


@dataclass
class Context:
    settings: Settings
    request: Request | WebSocket
    response: Response | WebSocket | None
    identity: Identity
    viewer: User | None = None  # the signed-in person; None for anonymous requests
    token_expires_at: int | None = None
    connection_params: dict[str, object] | None = None  # graphql-transport-ws connection_init payload
    bus: Bus | None = None
    feed: CaseFeed | None = None
    inbox_feed: InboxFeed | None = None
    push_public_key: str = ""  # VAPID applicationServerKey
    loaders: Loaders = field(default_factory=Loaders)
    cache: CachePolicy = field(default_factory=CachePolicy)
    _case_scope: asyncio.Task[CaseScope] | None = None

    async def case_scope(self) -> CaseScope | None:
        """What cases the viewer may see, computed once per request. A task, not a value: the
        fields of a page of cases ask for it concurrently, and all must share one lookup."""
        if self.viewer is None:
            return None
        if self._case_scope is None:
            self._case_scope = asyncio.ensure_future(case_scope(user=self.viewer))
        return await self._case_scope

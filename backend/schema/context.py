"""The per-request context: settings, the request, and DataLoaders built fresh per request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

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


@dataclass
class Loaders:
    department: DataLoader[int, Department | None] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.departments_by_id)
    )
    department_item_count: DataLoader[int, int] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.item_counts_by_department)
    )
    guide: DataLoader[int, ServiceGuide | None] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.guides_by_item_id)
    )
    materials: DataLoader[int, list[Material]] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.materials_by_guide_id)
    )
    process: DataLoader[int, list[ProcessStep]] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.process_by_guide_id)
    )
    faq: DataLoader[int, list[Faq]] = field(default_factory=lambda: DataLoader(load_fn=catalog.faq_by_guide_id))
    license_type: DataLoader[int, LicenseType | None] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.license_types_by_id)
    )
    halls: DataLoader[int, list[ServiceHall]] = field(
        default_factory=lambda: DataLoader(load_fn=catalog.halls_by_item_id)
    )
    item: DataLoader[int, ServiceItem | None] = field(default_factory=lambda: DataLoader(load_fn=case_queries.items_by_id))
    user: DataLoader[int, User | None] = field(default_factory=lambda: DataLoader(load_fn=case_queries.users_by_id))
    enterprise: DataLoader[int, Enterprise | None] = field(
        default_factory=lambda: DataLoader(load_fn=case_queries.enterprises_by_id)
    )
    case_events: DataLoader[int, list[CaseEvent]] = field(
        default_factory=lambda: DataLoader(load_fn=case_queries.events_by_case_id)
    )
    case_materials: DataLoader[int, list[CaseMaterial]] = field(
        default_factory=lambda: DataLoader(load_fn=case_queries.materials_by_case_id)
    )
    case_material_files: DataLoader[int, list[Upload]] = field(
        default_factory=lambda: DataLoader(load_fn=case_queries.files_by_case_material_id)
    )
    license_type_name: DataLoader[int, str | None] = field(
        default_factory=lambda: DataLoader(load_fn=case_queries.license_names_by_license_id)
    )
    # 好差评
    case: DataLoader[int, Case | None] = field(default_factory=lambda: DataLoader(load_fn=rating_tickets.cases_by_id))
    rating: DataLoader[int, Rating | None] = field(
        default_factory=lambda: DataLoader(load_fn=rating_tickets.ratings_by_id)
    )
    rating_ticket: DataLoader[int, RectificationTicket | None] = field(
        default_factory=lambda: DataLoader(load_fn=rating_tickets.tickets_by_rating_id)
    )
    ticket_entries: DataLoader[int, list[TicketEntry]] = field(
        default_factory=lambda: DataLoader(load_fn=rating_tickets.entries_by_ticket_id)
    )
    booking_number: DataLoader[int, str | None] = field(
        default_factory=lambda: DataLoader(load_fn=rating_visit.booking_numbers_by_id)
    )
    item_satisfaction: DataLoader[int, rating_report.Satisfaction] = field(
        default_factory=lambda: DataLoader(load_fn=rating_report.satisfaction_by_item_id)
    )


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

"""The per-request context: settings, the request, and DataLoaders built fresh per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from backend.auth.identity import Identity
from backend.models import User
from backend.models import Department, Faq, LicenseType, Material, ProcessStep, ServiceGuide, ServiceHall
from backend.services import catalog
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
    loaders: Loaders = field(default_factory=Loaders)
    cache: CachePolicy = field(default_factory=CachePolicy)

"""Tortoise models. The `models` app loads everything exported here."""

from backend.models.catalog import (
    Department,
    Faq,
    LicenseType,
    Material,
    ProcessStep,
    ServiceGuide,
    ServiceHall,
    ServiceItem,
)
from backend.models.identity import AgentAuthority, DataAccessLog, Enterprise, Membership, User
from backend.models.meta import AppMeta

__all__ = [
    "AgentAuthority",
    "DataAccessLog",
    "Enterprise",
    "Membership",
    "User",
    "AppMeta",
    "Department",
    "Faq",
    "LicenseType",
    "Material",
    "ProcessStep",
    "ServiceGuide",
    "ServiceHall",
    "ServiceItem",
]

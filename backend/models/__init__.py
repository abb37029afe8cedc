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
from backend.models.meta import AppMeta

__all__ = [
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

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
from backend.models.cases import Case, CaseEvent, CaseMaterial
from backend.models.licenses import ELicense, ItemLicense, LicenseIssuer, LicenseVerification
from backend.models.notifications import Notification, NotificationPreferences, PushDelivery, PushSubscription
from backend.models.uploads import Upload
from backend.models.ratings import Rating, RatingToken, RectificationTicket, TicketEntry
from backend.models.callbacks import CallbackRequest
from backend.models.bookings import (
    BookableItem, Booking, BookingSlot, BookingSuspension, HallClosure, HallSchedule,
)

__all__ = [
    "BookableItem",
    "Booking",
    "BookingSlot",
    "BookingSuspension",
    "CallbackRequest",
    "HallClosure",
    "HallSchedule",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "ELicense",
    "ItemLicense",
    "LicenseIssuer",
    "LicenseVerification",
    "Notification",
    "NotificationPreferences",
    "PushDelivery",
    "PushSubscription",
    "Upload",
    "Rating",
    "RatingToken",
    "RectificationTicket",
    "TicketEntry",
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

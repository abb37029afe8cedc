"""Domain errors. Each carries a stable `code` the API adapters map to typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NOT_PERMITTED = "NOT_PERMITTED"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    MATERIALS_MISSING = "MATERIALS_MISSING"
    ITEM_NOT_ONLINE = "ITEM_NOT_ONLINE"
    ALREADY_RATED = "ALREADY_RATED"
    INVALID_RATING_TOKEN = "INVALID_RATING_TOKEN"
    # Booking (backend/services/bookings/errors.py)
    SLOT_FULL = "SLOT_FULL"
    BOOKING_LIMIT = "BOOKING_LIMIT"
    BOOKING_SUSPENDED = "BOOKING_SUSPENDED"
    BOOKING_CUTOFF = "BOOKING_CUTOFF"
    BOOKING_NOT_ACTIVE = "BOOKING_NOT_ACTIVE"
    CHECK_IN_REFUSED = "CHECK_IN_REFUSED"
    # 帮办代办 (backend/services/callbacks/errors.py)
    CALLBACK_PENDING = "CALLBACK_PENDING"
    CALLBACK_NOT_OPEN = "CALLBACK_NOT_OPEN"


class DomainError(Exception):
    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule. `field` names the input at fault; `message` is for people."""

    code = ErrorCode.INVALID_INPUT

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND


class NotPermittedError(DomainError):
    code = ErrorCode.NOT_PERMITTED


class NotAuthenticatedError(DomainError):
    code = ErrorCode.NOT_AUTHENTICATED


class InvalidTransitionError(DomainError):
    """The case is not in a state that allows the move. `status` is where it stands."""

    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MissingMaterial:
    material_id: int
    name: str
    deficiency_allowed: bool


class MaterialsMissingError(DomainError):
    """一次性告知: every missing material, all in one answer."""

    code = ErrorCode.MATERIALS_MISSING

    def __init__(self, missing: list[MissingMaterial]) -> None:
        names = "、".join(m.name for m in missing)
        super().__init__(f"还缺少以下材料（共 {len(missing)} 项），请一次补齐后提交：{names}")
        self.missing = missing


class ItemNotOnlineError(DomainError):
    code = ErrorCode.ITEM_NOT_ONLINE


class AlreadyRatedError(DomainError):
    """好差评: one rating per rated thing per person."""

    code = ErrorCode.ALREADY_RATED


class RatingTokenError(DomainError):
    """A one-tap rating token that is unknown, used, expired or not for this case or person.
    `reason` says which (for the service worker's message); the refusal changes nothing."""

    code = ErrorCode.INVALID_RATING_TOKEN

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TicketTransitionError(DomainError):
    """差评整改: the ticket is not in a state that allows the step. `state` is where it stands."""

    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state

"""Call-back requests' own domain errors; each has its typed GraphQL error (exception_handlers.py)."""

from __future__ import annotations

from backend.services.errors import DomainError, ErrorCode


class CallbackPendingError(DomainError):
    """One open request per person per hall, and a few open requests at most in all: asking
    again does not bring the call sooner, it only fills the staff's queue."""

    code = ErrorCode.CALLBACK_PENDING

    def __init__(self, message: str, *, request_id: int | None) -> None:
        super().__init__(message)
        self.request_id = request_id  # the open request at the same hall, if that is the cause


class CallbackNotOpenError(DomainError):
    """The request was handled already (已回电 or 无法联系): it cannot be marked again."""

    code = ErrorCode.CALLBACK_NOT_OPEN

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status

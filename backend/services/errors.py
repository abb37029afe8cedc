"""Domain errors. Each carries a stable `code` the API adapters map to typed errors."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NOT_PERMITTED = "NOT_PERMITTED"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"


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

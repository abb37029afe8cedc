"""Errors the client may see. Everything else is masked by the MaskErrors extension."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError

from backend.services.errors import DomainError, ValidationError

MASKED_MESSAGE = "服务暂时不可用，请稍后重试"


class UserFacingError(GraphQLError):
    """A query-argument problem the person can fix; its message is shown to them as is."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        extensions: dict[str, str] = {"code": code}
        if field:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


def from_domain(error: DomainError) -> UserFacingError:
    return UserFacingError(
        error.message, code=str(error.code), field=error.field if isinstance(error, ValidationError) else None
    )


class DocumentRefused(GraphQLError):
    """A document over one of the limits of backend/schema/limits.py: refused before validation."""

    def __init__(self, message: str, *, limit: str, maximum: int) -> None:
        super().__init__(message, extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit, "max": maximum})
        self.limit = limit


def is_variable_error(error: GraphQLError) -> bool:
    """A variable value that does not coerce to its type (Int out of range, unknown enum value,
    missing input field…): the client's mistake, reported before anything runs. graphql-core
    wraps the scalar's or input type's own GraphQLError; a resolver's error always has a path."""
    return error.path is None and isinstance(error.original_error, GraphQLError)


def should_mask_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:  # validation and parse errors: about the document, safe to show
        return False
    if is_variable_error(error):
        return False
    # Permission denials (strawberry raises them as StrawberryGraphQLError) are meant for people.
    return not isinstance(original, (UserFacingError, StrawberryGraphQLError))

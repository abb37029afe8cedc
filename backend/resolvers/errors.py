from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable, TypeVar

from backend.schema.errors import from_domain
from backend.services.errors import DomainError

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def user_errors(resolver: F) -> F:
    """Domain errors raised by a query resolver become UserFacingErrors (not masked)."""

    @functools.wraps(resolver)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as error:
            raise from_domain(error) from error

    return wrapper  # type: ignore[return-value]

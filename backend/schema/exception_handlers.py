"""The one place where domain exceptions become typed GraphQL errors."""

from __future__ import annotations

from typing import Any

import strawberry

from backend.schema.types import errors as types
from backend.services import errors


class ValidationHandler(strawberry.ExceptionHandler[errors.ValidationError, types.InputError]):
    def handle(self, exception: errors.ValidationError, *, field: Any, info: Any) -> types.InputError:
        return types.InputError(code=exception.code, field=exception.field, message=exception.message)


class NotPermittedHandler(strawberry.ExceptionHandler[errors.NotPermittedError, types.NotPermittedError]):
    def handle(self, exception: errors.NotPermittedError, *, field: Any, info: Any) -> types.NotPermittedError:
        return types.NotPermittedError(code=exception.code, message=exception.message)


class NotFoundHandler(strawberry.ExceptionHandler[errors.NotFoundError, types.NotFoundError]):
    def handle(self, exception: errors.NotFoundError, *, field: Any, info: Any) -> types.NotFoundError:
        return types.NotFoundError(code=exception.code, message=exception.message)


EXCEPTION_HANDLERS = (ValidationHandler(), NotPermittedHandler(), NotFoundHandler())

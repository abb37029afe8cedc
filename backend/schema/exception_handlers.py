"""The one place where domain exceptions become typed GraphQL errors."""

from __future__ import annotations

from typing import Any

import strawberry

from backend.models.cases import CaseStatus
from backend.schema.types import cases
from backend.schema.types import errors as types
from backend.schema.types import ratings
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


class InvalidTransitionHandler(strawberry.ExceptionHandler[errors.InvalidTransitionError, cases.InvalidTransitionError]):
    def handle(self, exception: errors.InvalidTransitionError, *, field: Any, info: Any) -> cases.InvalidTransitionError:
        return cases.InvalidTransitionError(code=exception.code, message=exception.message,
                                            status=CaseStatus(exception.status))


class MaterialsMissingHandler(strawberry.ExceptionHandler[errors.MaterialsMissingError, cases.MaterialsMissingError]):
    def handle(self, exception: errors.MaterialsMissingError, *, field: Any, info: Any) -> cases.MaterialsMissingError:
        missing = [cases.MissingMaterial(material_id=strawberry.ID(str(m.material_id)), name=m.name,
                                         deficiency_allowed=m.deficiency_allowed) for m in exception.missing]
        return cases.MaterialsMissingError(code=exception.code, message=exception.message, missing=missing)


class ItemNotOnlineHandler(strawberry.ExceptionHandler[errors.ItemNotOnlineError, cases.ItemNotOnlineError]):
    def handle(self, exception: errors.ItemNotOnlineError, *, field: Any, info: Any) -> cases.ItemNotOnlineError:
        return cases.ItemNotOnlineError(code=exception.code, message=exception.message)


class AlreadyRatedHandler(strawberry.ExceptionHandler[errors.AlreadyRatedError, ratings.AlreadyRatedError]):
    def handle(self, exception: errors.AlreadyRatedError, *, field: Any, info: Any) -> ratings.AlreadyRatedError:
        return ratings.AlreadyRatedError(code=exception.code, message=exception.message)


class RatingTokenHandler(strawberry.ExceptionHandler[errors.RatingTokenError, ratings.RatingTokenError]):
    def handle(self, exception: errors.RatingTokenError, *, field: Any, info: Any) -> ratings.RatingTokenError:
        return ratings.RatingTokenError(code=exception.code, message=exception.message, reason=exception.reason)


class TicketTransitionHandler(strawberry.ExceptionHandler[errors.TicketTransitionError, ratings.TicketTransitionError]):
    def handle(self, exception: errors.TicketTransitionError, *, field: Any, info: Any) -> ratings.TicketTransitionError:
        return ratings.TicketTransitionError(code=exception.code, message=exception.message,
                                             state=ratings.TicketState(exception.state))


EXCEPTION_HANDLERS = (ValidationHandler(), NotPermittedHandler(), NotFoundHandler(), InvalidTransitionHandler(),
                      MaterialsMissingHandler(), ItemNotOnlineHandler(), AlreadyRatedHandler(), RatingTokenHandler(),
                      TicketTransitionHandler())

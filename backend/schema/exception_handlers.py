"""The one place where domain exceptions become typed GraphQL errors."""

from __future__ import annotations

from typing import Any

import strawberry

from backend.models.cases import CaseStatus
from backend.schema.types import cases
from backend.schema.types import errors as types
from backend.schema.types import ratings
from backend.services import errors
from backend.models.bookings import BookingStatus
from backend.schema.types import bookings
from backend.services.bookings import errors as booking_errors
from backend.models.callbacks import CallbackStatus
from backend.schema.types import callbacks
from backend.services.callbacks import errors as callback_errors


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




# ---- booking (backend/services/bookings/errors.py) ----------------------------------------


class SlotFullHandler(strawberry.ExceptionHandler[booking_errors.SlotFullError, bookings.SlotFullError]):
    def handle(self, exception: booking_errors.SlotFullError, *, field: Any, info: Any) -> bookings.SlotFullError:
        return bookings.SlotFullError(code=exception.code, message=exception.message)


class BookingLimitHandler(strawberry.ExceptionHandler[booking_errors.BookingLimitError, bookings.BookingLimitError]):
    def handle(self, exception: booking_errors.BookingLimitError, *, field: Any,
               info: Any) -> bookings.BookingLimitError:
        return bookings.BookingLimitError(code=exception.code, message=exception.message, limit=exception.limit)


class BookingSuspendedHandler(strawberry.ExceptionHandler[booking_errors.BookingSuspendedError,
                                                          bookings.BookingSuspendedError]):
    def handle(self, exception: booking_errors.BookingSuspendedError, *, field: Any,
               info: Any) -> bookings.BookingSuspendedError:
        return bookings.BookingSuspendedError(code=exception.code, message=exception.message, until=exception.until)


class BookingCutoffHandler(strawberry.ExceptionHandler[booking_errors.BookingCutoffError, bookings.BookingCutoffError]):
    def handle(self, exception: booking_errors.BookingCutoffError, *, field: Any,
               info: Any) -> bookings.BookingCutoffError:
        return bookings.BookingCutoffError(code=exception.code, message=exception.message)


class BookingNotActiveHandler(strawberry.ExceptionHandler[booking_errors.BookingNotActiveError,
                                                          bookings.BookingNotActiveError]):
    def handle(self, exception: booking_errors.BookingNotActiveError, *, field: Any,
               info: Any) -> bookings.BookingNotActiveError:
        return bookings.BookingNotActiveError(code=exception.code, message=exception.message,
                                              status=BookingStatus(exception.status))


class CheckInRefusedHandler(strawberry.ExceptionHandler[booking_errors.CheckInRefusedError,
                                                        bookings.CheckInRefusedError]):
    def handle(self, exception: booking_errors.CheckInRefusedError, *, field: Any,
               info: Any) -> bookings.CheckInRefusedError:
        return bookings.CheckInRefusedError(code=exception.code, message=exception.message,
                                            reason=bookings.CheckInRefusal(exception.reason))


# ---- 帮办代办 (backend/services/callbacks/errors.py) --------------------------------------


class CallbackPendingHandler(strawberry.ExceptionHandler[callback_errors.CallbackPendingError,
                                                         callbacks.CallbackPendingError]):
    def handle(self, exception: callback_errors.CallbackPendingError, *, field: Any,
               info: Any) -> callbacks.CallbackPendingError:
        request_id = strawberry.ID(str(exception.request_id)) if exception.request_id is not None else None
        return callbacks.CallbackPendingError(code=exception.code, message=exception.message, request_id=request_id)


class CallbackNotOpenHandler(strawberry.ExceptionHandler[callback_errors.CallbackNotOpenError,
                                                         callbacks.CallbackNotOpenError]):
    def handle(self, exception: callback_errors.CallbackNotOpenError, *, field: Any,
               info: Any) -> callbacks.CallbackNotOpenError:
        return callbacks.CallbackNotOpenError(code=exception.code, message=exception.message,
                                              status=CallbackStatus(exception.status))


EXCEPTION_HANDLERS = (ValidationHandler(), NotPermittedHandler(), NotFoundHandler(), InvalidTransitionHandler(),
                      MaterialsMissingHandler(), ItemNotOnlineHandler(),
                      SlotFullHandler(), BookingLimitHandler(), BookingSuspendedHandler(), BookingCutoffHandler(),
                      BookingNotActiveHandler(), CheckInRefusedHandler(),
                      AlreadyRatedHandler(), RatingTokenHandler(), TicketTransitionHandler(),
                      CallbackPendingHandler(), CallbackNotOpenHandler())

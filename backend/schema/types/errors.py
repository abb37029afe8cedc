"""Error members of mutation result unions. Domain exceptions become these in one place
(backend/schema/exception_handlers.py)."""

from __future__ import annotations

import strawberry

from backend.services.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type(description="输入有误：field 指出哪一项，message 说明原因")
class InputError:
    code: ErrorCode
    field: str
    message: str


@strawberry.type(description="无权进行此操作")
class NotPermittedError:
    code: ErrorCode
    message: str


@strawberry.type(description="对象不存在（或对你不可见）")
class NotFoundError:
    code: ErrorCode
    message: str

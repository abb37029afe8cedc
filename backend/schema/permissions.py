"""Field permissions. Denials say why in words a person understands, with a stable code."""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from backend.schema.context import Context


class IsAuthenticated(BasePermission):
    message = "请先登录"
    error_extensions = {"code": "NOT_AUTHENTICATED"}

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return info.context.viewer is not None

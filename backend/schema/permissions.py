"""Field permissions. Denials say why in words a person understands, with a stable code."""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from backend.models.identity import Role
from backend.schema.context import Context


class IsAuthenticated(BasePermission):
    message = "请先登录"
    error_extensions = {"code": "NOT_AUTHENTICATED"}

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return info.context.viewer is not None


class IsStaff(BasePermission):
    """Window staff of a department. Which hall or items they may act on is the service's
    decision (e.g. backend/services/bookings/staff.py); this keeps everyone else out early."""

    message = "只有窗口工作人员可以查看和处理"
    error_extensions = {"code": "NOT_PERMITTED"}

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and Role.STAFF in viewer.roles and viewer.department_id is not None

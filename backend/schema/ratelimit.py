"""Rate limits on mutations, per token subject and per client address (backend/ratelimit.py)."""

from __future__ import annotations

from typing import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from backend.ratelimit import MUTATION, REFUSED_MESSAGE, RateLimiter


class RateLimitMutations(SchemaExtension):
    """Refuses a mutation over its limits before anything runs: a GraphQL error with
    extensions.code RATE_LIMITED and retryAfter (seconds), and a Retry-After header. The view
    answers it as any request error: 400 for application/graphql-response+json, else 200."""

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.operation_type is OperationType.MUTATION:
            context = ctx.context
            request = context.request
            limiter: RateLimiter | None = getattr(request.app.state, "limiter", None)
            if limiter is not None:
                viewer = context.viewer
                refusal = await limiter.admit(kind=MUTATION, subject=viewer.sub if viewer else None,
                                              address=request.client.host if request.client else None)
                if refusal is not None:
                    if isinstance(context.response, Response):  # not over a websocket
                        context.response.headers["retry-after"] = str(refusal.retry_after)
                    # A result set here means strawberry runs nothing.
                    ctx.result = ExecutionResult(data=None, errors=[GraphQLError(
                        REFUSED_MESSAGE.format(seconds=refusal.retry_after),
                        extensions={"code": "RATE_LIMITED", "retryAfter": refusal.retry_after})])
        yield

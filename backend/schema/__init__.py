"""The GraphQL schema: an adapter over backend.services."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from backend.resolvers import catalog
from backend.schema.errors import MASKED_MESSAGE, should_mask_error
from backend.schema.extensions import PublicCacheHint
from backend.schema.types.catalog import Department, ServiceHall, ServiceItem, ServiceItemConnection
from backend.settings import Settings


@strawberry.type
class Query:
    service_items: ServiceItemConnection = strawberry.field(
        resolver=catalog.service_items,
        description="事项目录: search by Chinese text or pinyin (full or initials), ranked.",
    )
    service_item: ServiceItem | None = strawberry.field(resolver=catalog.service_item)
    departments: list[Department] = strawberry.field(resolver=catalog.departments)
    service_halls: list[ServiceHall] = strawberry.field(resolver=catalog.service_halls)


def build_schema(settings: Settings) -> strawberry.Schema:
    # Extensions are factories: each request gets fresh instances. The parser and
    # validation caches are module-level LRUs shared across those instances.
    extensions = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: MaskErrors(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE),
        PublicCacheHint,
    ]
    if not settings.is_dev:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, extensions=extensions, config=StrawberryConfig())

"""The GraphQL schema: an adapter over backend.services."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from backend.resolvers import catalog, identity
from backend.schema.errors import MASKED_MESSAGE, should_mask_error
from backend.schema.extensions import PublicCacheHint
from backend.schema.exception_handlers import EXCEPTION_HANDLERS
from backend.schema.permissions import IsAuthenticated
from backend.schema.types.catalog import Department, ServiceHall, ServiceItem, ServiceItemConnection
from backend.schema.types.identity import DataAccessConnection, Enterprise, IdentityCode, Me
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
    me: Me | None = strawberry.field(resolver=identity.me, permission_classes=[IsAuthenticated],
                                     description="一人一档: the signed-in person")
    personal_code: IdentityCode = strawberry.field(resolver=identity.personal_code,
                                                   permission_classes=[IsAuthenticated], description="一人一码")
    my_data_access_log: DataAccessConnection = strawberry.field(
        resolver=identity.my_data_access_log, permission_classes=[IsAuthenticated],
        description="Who read my sensitive data, newest first",
    )
    enterprise: Enterprise | None = strawberry.field(
        resolver=identity.enterprise, permission_classes=[IsAuthenticated],
        description="一企一档; null unless the viewer is a member within scope",
    )


@strawberry.type
class Mutation:
    reveal_my_number = strawberry.mutation(resolver=identity.reveal_my_number, permission_classes=[IsAuthenticated],
                                           description="The owner's own full number; audited")
    grant_agent_authority = strawberry.mutation(resolver=identity.grant_agent_authority,
                                                permission_classes=[IsAuthenticated])
    revoke_agent_authority = strawberry.mutation(resolver=identity.revoke_agent_authority,
                                                 permission_classes=[IsAuthenticated])
    identify_by_code = strawberry.mutation(resolver=identity.identify_by_code, permission_classes=[IsAuthenticated],
                                           description="Hall window scans 一人一码/一企一码 (staff); audited")


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Only failures we did not expect are logged (with their trace); bad documents and
        # bad input are the client's business and would only flood the log.
        unexpected = [error for error in errors if should_mask_error(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    # Extensions are factories: each request gets fresh instances. The parser and
    # validation caches are module-level LRUs shared across those instances.
    # The depth and alias limiters create a new rule class in every constructor, and the
    # validation cache is keyed by the rule classes, so built per request they would make
    # every request miss the cache (5x slower). Their rules are built once, here.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    extensions = [
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: MaskErrors(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE),
        PublicCacheHint,
    ]
    if not settings.is_dev:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, extensions=extensions, config=StrawberryConfig(),
                  exception_handlers=EXCEPTION_HANDLERS)

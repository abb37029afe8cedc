"""Schema extensions of our own."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Iterator

from graphql import DocumentNode, FieldNode, GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from starlette.requests import HTTPConnection, Request
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from asyncpg.exceptions import DataError as PostgresDataError
from tortoise.exceptions import ValidationError as TortoiseValidationError

from backend.schema.errors import DocumentRefused, UserFacingError, is_variable_error
from backend.schema.limits import DocumentLimits, check_document, known_within, remember_within
from backend.schema.refusals import log_refused

# Root fields whose answers are the same for everybody; a query made only of these may be
# cached by the browser and by proxies.
PUBLIC_ROOT_FIELDS = frozenset({"serviceItems", "serviceItem", "departments", "serviceHalls", "__typename"})


def _root_field_names(operation: OperationDefinitionNode) -> set[str] | None:
    names = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None  # fragments at the root: don't guess, treat as private
        names.add(selection.name.value)
    return names


class PublicCacheHint(SchemaExtension):
    """Marks the context cacheable when a successful query reads only public root fields."""

    def on_execute(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        result = ctx.result
        if ctx.operation_type is not OperationType.QUERY or result is None or result.errors:
            return
        document = ctx.graphql_document
        if document is None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if ctx.operation_name:
            operations = [op for op in operations if op.name and op.name.value == ctx.operation_name]
        if len(operations) != 1:
            return
        names = _root_field_names(operations[0])
        if names is not None and names <= PUBLIC_ROOT_FIELDS:
            context = ctx.context
            context.cache.public_max_age = context.settings.catalog_cache_seconds


class DocumentGuard(ValidationCache):
    """The parser and validation caches, with the document measured in between
    (backend/schema/limits.py).

    A document over a limit gets that one error and skips validation: the rules it would run
    (OverlappingFieldsCanBeMerged above all) are where such documents spend their seconds.
    Parse, validation and variable errors get an extensions.code here, so clients can tell them
    from a masked failure.
    """

    def __init__(self, *, limits: DocumentLimits, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.limits = limits
        self.cached_parse = _parse_cache(maxsize)

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None:
            try:
                ctx.graphql_document = self.cached_parse(ctx.query, **ctx.parse_options)
            except GraphQLError:
                # Left to strawberry, which parses it again where a syntax error is answered as
                # the request's error; raised from an extension it is not, over WebSocket.
                # Only documents that do not parse pay twice, within the token limit.
                pass
        yield
        for error in ctx.pre_execution_errors or ():
            if isinstance(error, GraphQLSyntaxError):
                self._mark_syntax_error(ctx, error)

    def _mark_syntax_error(self, ctx: ExecutionContext, error: GraphQLSyntaxError) -> None:
        if "tokens. Parsing aborted" not in error.message:
            error.extensions = {"code": "GRAPHQL_PARSE_FAILED"}
            return
        # graphql-core's max_tokens (the HTTP view counts tokens before parsing)
        refusal = DocumentRefused(error.message, limit="tokens", maximum=self.limits.max_tokens)
        error.extensions = refusal.extensions
        _log_document_refusal(ctx, refusal)

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None
        if ctx.operation_type is OperationType.SUBSCRIPTION and isinstance(getattr(ctx.context, "request", None),
                                                                           Request):
            # No HTTP streaming transport is configured: executed as a query, the subscription
            # field would fail as a masked error with a traceback in the log.
            ctx.pre_execution_errors = [GraphQLError("订阅只能通过 WebSocket（graphql-transport-ws）进行",
                                                     extensions={"code": "BAD_REQUEST"})]
            yield
            return
        if ctx.query is None or not known_within(ctx.query, self.limits):
            try:
                check_document(ctx.graphql_document, self.limits)
            except DocumentRefused as refusal:
                ctx.pre_execution_errors = [refusal]
                _log_document_refusal(ctx, refusal)
                yield
                return
            if ctx.query is not None:
                remember_within(ctx.query, self.limits)
        yield from super().on_validate()
        for error in ctx.pre_execution_errors or ():
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or result.data is not None or not result.errors:
            return
        for error in result.errors:
            if (error.extensions or {}).get("code"):
                continue  # already says what it is (RATE_LIMITED from the limiter, say)
            if is_variable_error(error) or (error.path is None and error.original_error is None):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}


@cache
def _parse_cache(maxsize: int) -> Callable[..., DocumentNode]:
    # One LRU for every request, as strawberry's ParserCache keeps (keyed by text and options).
    return lru_cache(maxsize=maxsize)(parse)


def _log_document_refusal(ctx: ExecutionContext, refusal: DocumentRefused) -> None:
    connection = getattr(ctx.context, "request", None)
    if isinstance(connection, HTTPConnection):
        kind = "too_deep" if refusal.limit == "depth" else "too_costly"
        log_refused(kind, connection, size=len((ctx.query or "").encode()),
                    reason=f"limit={refusal.limit} max={refusal.extensions['max']}")


class UnstorableArguments(SchemaExtension):
    """A backstop behind backend/resolvers/inputs.py: an argument the database cannot hold (a key
    longer than its column, an integer past its range) that reached the ORM is the client's
    mistake, not a crash: a BAD_USER_INPUT error naming no internals, instead of the masked
    message and a traceback. Runs before MaskErrors sees the errors (it is registered after it)."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [_unstorable(error) if _is_unstorable(error.original_error) else error
                         for error in result.errors]


# PostgreSQL's DataError: a NUL byte or a number past its column that the driver refused.
_UNSTORABLE = (TortoiseValidationError, OverflowError, PostgresDataError)


def _is_unstorable(error: BaseException | None) -> bool:
    # tortoise re-raises the driver's DataError as its OperationalError `from` it: follow the
    # chain a few links rather than trust every OperationalError (a lost connection is one too).
    for _ in range(3):
        if error is None:
            return False
        if isinstance(error, _UNSTORABLE):
            return True
        error = error.__cause__
    return False


def _unstorable(error: GraphQLError) -> GraphQLError:
    shown = UserFacingError("参数格式不正确或超出范围", code="BAD_USER_INPUT")
    return GraphQLError(shown.message, error.nodes, path=error.path, original_error=shown,
                        extensions=shown.extensions)

"""Schema extensions of our own."""

from __future__ import annotations

from typing import Iterator

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

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

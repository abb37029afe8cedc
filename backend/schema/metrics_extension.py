"""Counts and times every GraphQL operation for /metrics, labelled by operation name.

The PWA's documents are mostly anonymous, so an operation without a name is labelled by its
root fields (`submitApplication`, `case+me`): those are bounded by the schema, and a client's
made-up names are capped in backend/metrics.py.
"""

from __future__ import annotations

import re
import time
from typing import Iterator

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from backend import metrics

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _label(document: object, operation_name: str | None) -> str:
    if operation_name:
        return operation_name if _NAME.match(operation_name) else "invalid"
    definitions = getattr(document, "definitions", None) or ()
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return "unparsed"
    fields = sorted({s.name.value for s in operations[0].selection_set.selections if isinstance(s, FieldNode)})
    return "+".join(fields[:4]) or "fragments"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            kind = ctx.operation_type.value
        except Exception:  # the document did not parse: no operation type
            kind = "unknown"
        result = ctx.result
        outcome = "error" if (result is None or result.errors) else "ok"
        label = metrics.operation_label(_label(ctx.graphql_document, ctx.operation_name))
        metrics.GRAPHQL_OPERATIONS.labels(label, kind, outcome).inc()
        if kind != "subscription":
            metrics.GRAPHQL_SECONDS.labels(label, kind).observe(time.perf_counter() - started)

"""One log line per refused hostile request, on the `backend.refused` logger.

Kinds: `too_large` (body or query string over the size limit), `malformed` (not JSON, not an
object, not UTF-8, nested too deeply, wrong content type), `too_deep`, `too_costly` (cost,
fragment spreads, repeated fields, aliases, tokens). Rate-limit refusals use the same logger.
The line says what was refused, from where and how big it was, never the payload or the
variables: they may carry personal data, and an attacker chooses them.
"""

from __future__ import annotations

import logging

from starlette.requests import HTTPConnection

log = logging.getLogger("backend.refused")


def log_refused(kind: str, connection: HTTPConnection, *, size: int | None, reason: str) -> None:
    client = connection.client.host if connection.client else "-"
    log.warning("refused %s request from %s to %s (%s bytes): %s", kind, client, connection.url.path,
                "?" if size is None else size, reason,
                extra={"refused_kind": kind, "client": client, "path": connection.url.path, "size": size})

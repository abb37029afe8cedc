"""What an operator sees of a running instance: JSON log lines carrying the request id, one
access line per request, the request and websocket metrics, and /metrics itself.

The request id is the X-Request-Id nginx sends (docker/nginx.conf), or one made here; it is
in every log line written while the request runs and in the answer's X-Request-Id header.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend import metrics
from backend.settings import Settings

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
PEER_KEY = "zsb.peer"  # the connecting address, before X-Forwarded-For is applied

access_log = logging.getLogger("backend.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and any `extra`."""

    _standard = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime  # type: ignore[assignment]


def configure_logging(settings: Settings) -> None:
    """The root logger for `serve` and `worker`: JSON lines (LOG_FORMAT=json) or text."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # ours has the request id and the time


def _route(path: str) -> str:
    # A fixed set of labels, whatever paths clients ask for.
    for prefix in ("/graphql", "/uploads", "/auth/", "/.well-known/", "/dev-idp", "/healthz", "/readyz", "/metrics"):
        if path.startswith(prefix):
            return prefix.rstrip("/")
    return "static"


class RequestContextMiddleware:
    """Outermost: request id, access log, request metrics, the websocket gauge."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[PEER_KEY] = scope.get("client")
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, request_id)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            REQUEST_ID.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope["path"])
            metrics.HTTP_REQUESTS.labels(route, scope["method"], str(status)).inc()
            metrics.HTTP_SECONDS.labels(route).observe(seconds)
            if route not in ("/healthz", "/readyz", "/metrics"):
                client = scope.get("client")
                access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round(seconds * 1000, 1), "client": client[0] if client else None})

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        accepted = False
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                metrics.WEBSOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            if accepted:
                metrics.WEBSOCKETS.dec()
            client = scope.get("client")
            access_log.info("WEBSOCKET %s closed", scope["path"], extra={
                "method": "WEBSOCKET", "path": scope["path"], "accepted": accepted,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client[0] if client else None})


def _allowed(peer: tuple[str, int] | None, allow: tuple[str, ...]) -> bool:
    if "*" in allow:
        return True
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allow)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format, for the configured addresses only (METRICS_ALLOW_IPS). Both the
    connecting address and the client a trusted proxy forwarded for must be allowed: a scrape
    is direct, and nothing that came in through nginx gets metrics."""
    settings: Settings = request.app.state.settings
    peer, client = request.scope.get(PEER_KEY, request.scope.get("client")), request.scope.get("client")
    if not (_allowed(peer, settings.metrics_allow) and _allowed(client, settings.metrics_allow)):
        return PlainTextResponse("forbidden\n", status_code=403, headers={"cache-control": "no-store"})
    state = request.app.state
    await metrics.refresh({"case_progress": getattr(state, "case_feed", None),
                           "inbox": getattr(state, "inbox_feed", None)})
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers={"cache-control": "no-store"})


def serve_worker_metrics(settings: Settings) -> Any:
    """`python -m backend worker`'s /metrics on WORKER_METRICS_PORT (a thread: the worker has no
    web server), for METRICS_ALLOW_IPS only. Returns the server; `.shutdown()` stops it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    allow = settings.metrics_allow

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] != "/metrics" or not _allowed(self.client_address[:2], allow):
                self.send_error(404 if self.path.split("?")[0] != "/metrics" else 403)
                return
            body, content_type = metrics.exposition()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
            pass

    server = ThreadingHTTPServer((settings.host, settings.worker_metrics_port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server

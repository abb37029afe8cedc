"""The Starlette application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz,
Prometheus metrics at /metrics, the PWA at /."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from asyncpg.exceptions import InterfaceError as PgInterfaceError, InternalClientError, PostgresConnectionError
from starlette.applications import Starlette
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from backend import bookings_http, ratings_http, uploads_http
from backend.auth import dev_idp
from backend.services.cases.feed import CaseFeed
from backend.services.notifications.feed import InboxFeed
from backend.auth.identity import DEV_IDP_PATH, Identity, build_identity
from backend.bus import Bus, create_bus, flush_announcements
from backend.keys import Keys, load_keys
from backend.ratelimit import RateLimiter
from backend.db import tortoise_config
from backend.migrations_runner import pending_migrations
from backend.observability import RequestContextMiddleware, metrics_endpoint
from backend.schema import build_schema
from backend.schema.view import GraphQLView
from backend.settings import Settings, get_settings
from backend.static import SpaStaticFiles, not_built
from notifications.vapid import application_server_key
from notifications.worker import Worker

log = logging.getLogger("backend.app")

# GraphQL answers larger than this are gzipped when the browser accepts it (40 catalog items,
# 4.8 KB of JSON, go out as 1.3 KB); smaller ones are not worth the CPU. Static files come
# precompressed (backend/static.py); the websocket is never touched.
API_GZIP_MIN_BYTES = 1024
# Level 6: nearly all of level 9's saving on JSON for a fraction of the CPU. Streamed answers
# (multipart subscriptions, event streams) must reach the client part by part: never buffered.
API_GZIP = {"minimum_size": API_GZIP_MIN_BYTES, "compresslevel": 6,
            "exclude_content_types": (*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed")}
LIVENESS_CHECK_SECONDS = 2.0


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database failure outside a resolver (signing the viewer in, an upload): the answer is
    JSON that says to try again, not Starlette's plain-text 500. A lost connection is the usual
    cause (a failover, an idle connection cut); the pool opens a fresh one for the retry."""
    if isinstance(exc, IntegrityError):  # a bug, not an outage: no point retrying
        log.error("integrity error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"errors": [{"message": "服务器内部错误", "extensions": {"code": "INTERNAL_ERROR"}}]},
                            status_code=500)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"errors": [{"message": "服务暂时不可用，请稍后重试", "extensions": {"code": "SERVICE_UNAVAILABLE"}}]},
                        status_code=503, headers={"retry-after": "1"})


async def healthz(request: Request) -> JSONResponse:
    """Liveness: 200 while the process serves requests, whatever the database or Redis do (an
    outage there must not get every instance restarted); the body says how they are. Traffic
    decisions belong to /readyz."""
    bus: Bus = request.app.state.bus
    settings: Settings = request.app.state.settings
    try:
        async with asyncio.timeout(LIVENESS_CHECK_SECONDS):
            await connections.get("default").execute_query("SELECT 1")
        database_ok = True
    except Exception:  # health must answer, whatever the failure
        log.exception("health check: database unreachable")
        database_ok = False
    bus_ok = await bus.ping()
    body = {
        "status": "ok" if database_ok and bus_ok else "degraded",
        "database": {"ok": database_ok, "kind": settings.database_kind},
        "bus": {"ok": bus_ok, "kind": bus.kind},
    }
    return JSONResponse(body, headers={"cache-control": "no-store"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness (liveness is /healthz): the database answers, Redis answers, and the schema is
    at the newest migration. A load balancer sends traffic only to a ready instance."""
    bus: Bus = request.app.state.bus
    settings: Settings = request.app.state.settings
    checks: dict[str, dict[str, object]] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as error:  # readiness must answer, whatever the failure
        checks["database"] = {"ok": False, "error": type(error).__name__}
    checks["redis"] = {"ok": await bus.ping(), "kind": bus.kind}
    if getattr(request.app.state, "migrations_at_head", False):
        checks["migrations"] = {"ok": True}
    elif not checks["database"]["ok"]:
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
    else:
        try:
            pending = await pending_migrations(settings)
        except Exception as error:  # no migration table yet, or it cannot be read
            checks["migrations"] = {"ok": False, "error": type(error).__name__}
        else:
            checks["migrations"] = {"ok": not pending, "pending": pending}
            request.app.state.migrations_at_head = not pending  # the head never moves back
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503,
                        headers={"cache-control": "no-store"})


async def app_jwks(request: Request) -> JSONResponse:
    """The app's own public signing keys, for anyone verifying codes and presentations it signs."""
    identity: Identity = request.app.state.identity
    return JSONResponse({"keys": identity.codes.published_jwks}, headers={"cache-control": "public, max-age=3600"})


async def auth_config(request: Request) -> JSONResponse:
    """What the PWA needs to start the standard OIDC code + PKCE flow. With the development
    provider its endpoints are same-origin paths, so the flow works whatever host name the
    browser used; a real provider is found by discovery from its issuer."""
    settings: Settings = request.app.state.settings
    identity: Identity = request.app.state.identity
    body: dict[str, str] = {"issuer": identity.issuer, "clientId": settings.oidc_client_id, "scope": "openid profile"}
    if settings.dev_idp_enabled:
        body |= {"authorizationEndpoint": f"{DEV_IDP_PATH}/authorize", "tokenEndpoint": f"{DEV_IDP_PATH}/token",
                 "development": "true"}
    return JSONResponse(body, headers={"cache-control": "no-cache"})


def create_app(settings: Settings | None = None, *, identity: Identity | None = None, keys: Keys | None = None) -> Starlette:
    settings = settings or get_settings()
    keys = keys or load_keys(settings)
    identity = identity or build_identity(settings, keys)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            bus = app.state.bus = create_bus(settings.redis_url)
            app.state.case_feed = CaseFeed(bus=bus, poll_seconds=settings.feed_poll_seconds)
            app.state.inbox_feed = InboxFeed(bus=bus, poll_seconds=settings.feed_poll_seconds)
            # Embedded default: pushes and 电子监察 run here; otherwise in `python -m backend worker`.
            app.state.worker = Worker(settings=settings, keys=keys, bus=bus) if settings.worker_mode == "inprocess" else None
            await app.state.case_feed.start()
            await app.state.inbox_feed.start()
            if app.state.worker is not None:
                await app.state.worker.start()
            try:
                yield
            finally:
                if app.state.worker is not None:
                    await app.state.worker.stop()
                await app.state.inbox_feed.stop()
                await app.state.case_feed.stop()
                await flush_announcements()
                await bus.close()
                await graphql.response_cache.close()
                await app.state.limiter.close()

    graphql = GraphQLView(build_schema(settings), settings=settings, identity=identity,
                          push_public_key=application_server_key(keys.vapid_pem))
    # The view takes both HTTP and the websocket upgrade used by subscriptions.
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/graphql", GZipMiddleware(graphql, **API_GZIP)),
        WebSocketRoute("/graphql", graphql),
        Route("/.well-known/jwks.json", app_jwks, methods=["GET"]),
        Route("/auth/config", auth_config, methods=["GET"]),
        Route("/uploads", uploads_http.upload, methods=["POST"]),
        Route("/uploads/{upload_id}", uploads_http.download, methods=["GET"]),
        Route("/ratings/quick", ratings_http.quick_rating, methods=["POST"]),
        Route("/bookings/{number}.ics", bookings_http.booking_calendar, methods=["GET"]),
    ]
    if settings.dev_idp_enabled:
        routes.append(Mount(DEV_IDP_PATH, routes=dev_idp.routes(identity, audience=settings.oidc_audience)))
    if (settings.static_dir / "index.html").exists():
        routes.append(Mount("/", SpaStaticFiles(directory=settings.static_dir)))
    else:
        routes.append(Route("/{path:path}", not_built))
    # Outermost first: the request id and metrics see every request; X-Forwarded-For/-Proto are
    # applied only when the connecting address is a trusted proxy (TRUSTED_PROXIES).
    middleware = [Middleware(RequestContextMiddleware),
                  Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
    # asyncpg's connection errors come through tortoise untranslated (ConnectionDoesNotExistError
    # after pg_terminate_backend; InternalClientError "another operation is in progress" when
    # the pool hands out the broken connection again).
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware, exception_handlers={
        error: database_unavailable
        for error in (OperationalError, DBConnectionError, PostgresConnectionError, PgInterfaceError, InternalClientError)})
    app.state.settings = settings
    app.state.graphql_view = graphql
    app.state.identity = identity
    app.state.limiter = RateLimiter.from_settings(settings)  # one counter store (Redis client) per app
    return app

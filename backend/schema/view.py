"""GraphQL over HTTP: strawberry's ASGI view plus what the GraphQL-over-HTTP spec and caches need.

- `application/graphql-response+json` when the client accepts it; then a request error
  (the document did not parse or validate, so nothing executed) answers 400.
- A successful query that reads only public catalog fields, made without credentials,
  carries `Cache-Control: public` and an ETag; a GET with a matching If-None-Match gets 304.
- Such an answer is also kept by the server (backend/schema/response_cache.py): a repeated public
  query made without credentials is answered, or revalidated to 304, before strawberry runs.
- Automatic persisted queries (Apollo's APQ): `extensions.persistedQuery = {version: 1,
  sha256Hash}` may stand for the document; an unknown hash answers PERSISTED_QUERY_NOT_FOUND (the
  client sends the text with the hash once), a hash that is not the text's is refused.
- Body-level HTTP errors answer in GraphQL's JSON error shape, never as a plain-text trace.
- A body (or GET query string) over GRAPHQL_MAX_REQUEST_BYTES is refused before it is read in
  full: by its Content-Length, or while counting a chunked body. A body that is not UTF-8, not
  JSON, nested too deeply, not an object, or whose fields have the wrong types is refused with a
  400 naming the problem; the wrong content type with a 415. Each such refusal is logged once
  on `backend.refused` (backend/schema/refusals.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import json
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, StrawberryGraphQLError
from strawberry.http.exceptions import WebSocketDisconnected
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from backend.auth.identity import Identity
from backend.auth.bearer import AuthError, authenticate, bearer_token
from backend.schema.context import Context
from backend.schema.errors import DocumentRefused
from backend.schema.fanout import next_message_text
from backend.schema.limits import DocumentLimits, check_tokens
from backend.schema.refusals import log_refused
from backend.schema.response_cache import CachedAnswer, PublicResponseCache, cache_key
from backend.settings import Settings

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

_HTTP_ERROR_MESSAGES = {
    400: "请求格式不正确",
    404: "未找到",
    405: "不支持该请求方式：查询可用 GET 或 POST，变更只能用 POST",
    415: "不支持的内容类型，请使用 application/json",
}


class RequestRefused(Exception):
    """A request refused before any GraphQL work: too large or malformed."""

    def __init__(self, message: str, *, status: int = 400, kind: str = "malformed", code: str = "BAD_REQUEST",
                 reason: str, size: int | None = None, extensions: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.kind, self.reason, self.size = message, status, kind, reason, size
        self.extensions = extensions or {"code": code}
        self.logged = True


def _persisted_query_not_found() -> RequestRefused:
    # Part of the protocol, not a refusal worth a log line: the client sends the text next.
    # The message is what Apollo's clients look for.
    refusal = RequestRefused("PersistedQueryNotFound", code="PERSISTED_QUERY_NOT_FOUND", reason="unknown hash")
    refusal.logged = False
    return refusal


def _malformed(message: str, reason: str) -> RequestRefused:
    return RequestRefused(f"请求格式不正确：{message}", reason=reason)


def _wants_graphql_response_json(request: Request) -> bool:
    # GraphQL over HTTP: a client that does not name the new media type (no Accept, or only
    # `*/*`) may be a legacy one, and gets application/json with its 200-status rules.
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the subscribe payload checked before strawberry reads it: the
    protocol says an invalid message closes the socket with 4400, and so it does here instead of
    failing inside execution (a list for `variables` used to be an unexpected error)."""

    async def handle_subscribe(self, message: Any) -> None:
        problem = _subscribe_problem(message)
        if problem is not None:
            await self.websocket.close(code=4400, reason=problem)
            return
        await super().handle_subscribe(message)

    async def send_message(self, message: Any) -> None:
        # A shared event result (schema/fanout.py) is serialised once for all its subscribers.
        text = next_message_text(message, self.view.encode_json) if message.get("type") == "next" else None
        if text is None:
            await super().send_message(message)
            return
        try:
            await self.websocket.ws.send_text(text)  # type: ignore[attr-defined]
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _subscribe_problem(message: Any) -> str | None:
    if not isinstance(message.get("id"), str):
        return "subscribe needs a string id"
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "subscribe payload needs a query string"
    for key in ("variables", "extensions"):
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"subscribe payload {key} must be an object"
    if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
        return "subscribe payload operationName must be a string"
    return None


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: BaseSchema, *, settings: Settings, identity: Identity, push_public_key: str) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.settings = settings
        self.limits = DocumentLimits.from_settings(settings)
        self.identity = identity
        self.push_public_key = push_public_key
        self.response_cache = PublicResponseCache(entries=settings.public_response_cache_entries,
                                                  redis_url=settings.redis_url)
        self.persisted: OrderedDict[str, str] = OrderedDict()  # APQ: sha256 hex -> document

    def encode_json(self, data: object) -> str:
        # UTF-8 as is: Chinese text takes 3 bytes instead of a 6-byte \u escape; escaped only when
        # the answer holds text UTF-8 cannot carry (a lone surrogate echoed from the request).
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(data, separators=(",", ":"))
        return text

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.app.state
        context = Context(settings=self.settings, request=request, response=response, identity=self.identity,
                          bus=getattr(state, "bus", None), feed=getattr(state, "case_feed", None),
                          inbox_feed=getattr(state, "inbox_feed", None), push_public_key=self.push_public_key)
        request.state.graphql_context = context
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            if header is not None:
                await self._authenticate(context, bearer_token(header))
        return context

    async def _authenticate(self, context: Context, token: str) -> None:
        signed_in = await authenticate(self.identity, token)
        context.viewer = signed_in.user
        context.token_expires_at = signed_in.expires_at

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # graphql-transport-ws: the token comes in the connection_init payload. A missing or
        # invalid one closes the socket (4403); an expired one closes it later (4401).
        params = context.connection_params or {}
        token = params.get("token") or params.get("authorization") or ""
        if isinstance(token, str) and token.lower().startswith("bearer "):
            token = token[7:]
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError()
        try:
            await self._authenticate(context, token)
        except AuthError:
            raise ConnectionRejectionError() from None
        websocket = context.request
        assert isinstance(websocket, WebSocket) and context.token_expires_at is not None
        delay = max(0.0, context.token_expires_at - time.time())
        task = asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(_close_expired(websocket)))
        websocket.state.expiry_timer = task
        return UNSET

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        data = await super().process_result(request, result)
        if result.errors and result.data is None and all(error.path is None for error in result.errors):
            request.state.graphql_request_error = True  # parse/validation error: nothing ran
            data.pop("data", None)
        return data

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            finally:
                # The connection is over: drop its expiry timer (it holds the socket).
                timer = scope.get("state", {}).get("expiry_timer")
                if timer is not None:
                    timer.cancel()
            return
        request = Request(scope=scope, receive=receive)
        try:
            await self._read_within_limit(request)
            cached = await self._from_cache(request)
            if cached is not None:
                await cached(scope, receive, send)
                return
            response = await self.run(request)
        except RequestRefused as refusal:
            size = refusal.size if refusal.size is not None else getattr(request.state, "body_size", None)
            if refusal.logged:
                log_refused(refusal.kind, request, size=size, reason=refusal.reason)
            response = JSONResponse(
                {"errors": [{"message": refusal.message, "extensions": refusal.extensions}]},
                status_code=refusal.status, headers={"cache-control": "no-store"},
            )
        except AuthError as error:
            response = JSONResponse(
                {"errors": [{"message": error.message,
                             "extensions": {"code": "NOT_AUTHENTICATED", "reason": error.reason}}]},
                status_code=401,
                headers={"www-authenticate": 'Bearer error="invalid_token"', "cache-control": "no-store"},
            )
        except (HTTPException, StrawberryGraphQLError) as error:
            status = getattr(error, "status_code", 400)
            response = JSONResponse(
                {"errors": [{
                    "message": _HTTP_ERROR_MESSAGES.get(status, "请求无法处理"),
                    "extensions": {"code": "BAD_REQUEST", "detail": getattr(error, "reason", str(error))},
                }]},
                status_code=status,
            )
        else:
            if not isinstance(response, StreamingResponse):
                response = await self._finish(request, response)
        await response(scope, receive, send)

    async def _read_within_limit(self, request: Request) -> None:
        """Read a POST body into the request, refusing it as soon as it is known to be too large."""
        limit = self.settings.graphql_max_request_bytes
        if request.method == "GET":
            size = len(request.scope.get("query_string", b""))
            if size > limit:
                raise RequestRefused(f"请求地址过长：查询参数不能超过 {limit} 字节，较大的请求请用 POST",
                                     status=414, kind="too_large", code="REQUEST_TOO_LARGE",
                                     reason=f"query string over {limit} bytes", size=size)
            return
        if request.method != "POST":
            return
        too_large = f"请求过大：不能超过 {limit} 字节"
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isascii() or not declared.isdigit():
                raise _malformed("Content-Length 无效", "invalid Content-Length")
            if int(declared) > limit:
                raise RequestRefused(too_large, status=413, kind="too_large", code="REQUEST_TOO_LARGE",
                                     reason=f"Content-Length over {limit} bytes", size=int(declared))
        chunks, size = [], 0
        async for chunk in request.stream():  # chunked bodies declare no length: count them
            size += len(chunk)
            if size > limit:
                raise RequestRefused(too_large, status=413, kind="too_large", code="REQUEST_TOO_LARGE",
                                     reason=f"body over {limit} bytes", size=size)
            chunks.append(chunk)
        request._body = b"".join(chunks)  # what Request.body() returns from now on
        request.state.body_size = size

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        # strawberry's own parser answers 500 for a body that is not an object (42, null),
        # not UTF-8 or nested deeper than the JSON decoder's recursion limit.
        transport = self._get_stream_transport_from_headers(request.headers)
        data: object
        if request.method == "GET":
            params = request.query_params
            data = {"query": params.get("query"), "operationName": params.get("operationName")} | {
                key: _decode_json(params[key], what=f"参数 {key} ") if params.get(key) else None
                for key in ("variables", "extensions")
            }
        else:
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type != "application/json":
                raise RequestRefused(_HTTP_ERROR_MESSAGES[415], status=415, code="UNSUPPORTED_MEDIA_TYPE",
                                     reason=f"content type {content_type[:40] or 'missing'}")
            data = _decode_json(await request.get_body(), what="正文")
        if isinstance(data, list):
            raise _malformed("不支持批量请求，正文须是一个 JSON 对象", "batch (JSON array)")
        if not isinstance(data, dict):
            found = "null" if data is None else {bool: "boolean", int: "number", float: "number"}.get(type(data), "string")
            raise _malformed("正文须是一个 JSON 对象，含 query 字段", f"JSON {found}, not an object")
        for key, kind, label in (("query", str, "字符串"), ("operationName", str, "字符串"),
                                 ("variables", dict, " JSON 对象"), ("extensions", dict, " JSON 对象")):
            if not isinstance(data.get(key), (kind, type(None))):
                raise _malformed(f"{key} 须是{label}", f"{key} of the wrong type")
        persisted = _persisted_hash(data.get("extensions"))
        if persisted is not None and data.get("query") is None:
            data["query"] = self.persisted.get(persisted)
            if data["query"] is None:
                raise _persisted_query_not_found()
            self.persisted.move_to_end(persisted)
        elif persisted is not None and hashlib.sha256(data["query"].encode()).hexdigest() != persisted:
            raise _malformed("persistedQuery 的 sha256Hash 与查询文本不符", "persisted query hash mismatch")
        elif isinstance(data.get("query"), str):
            try:
                check_tokens(data["query"], self.limits)
            except DocumentRefused as refusal:
                raise RequestRefused(refusal.message, kind="too_costly", extensions=refusal.extensions,
                                     reason=f"limit=tokens max={self.limits.max_tokens}") from None
            if persisted is not None and self.settings.persisted_queries_max:
                self.persisted[persisted] = data["query"]  # within the token limit, so bounded in size
                while len(self.persisted) > self.settings.persisted_queries_max:
                    self.persisted.popitem(last=False)
        return GraphQLRequestData(query=data.get("query"), variables=data.get("variables"),
                                  operation_name=data.get("operationName"), extensions=data.get("extensions"),
                                  protocol=transport.protocol if transport else "http")

    async def _from_cache(self, request: Request) -> Response | None:
        """A public answer kept from an earlier request, or None; on a miss that may be stored,
        notes where (request.state.cache_slot) for _finish."""
        cache = self.response_cache
        if not cache.enabled or "authorization" in request.headers or request.method not in ("GET", "POST"):
            return None  # a token-bearing request never reads (nor fills) the shared cache
        data = _request_fields(request)
        if data is None:
            return None
        query, extensions = data.get("query"), data.get("extensions")
        try:
            persisted = _persisted_hash(extensions)
        except RequestRefused:
            return None  # parse_http_body says what is wrong
        if isinstance(query, str):
            document_hash = hashlib.sha256(query.encode()).hexdigest()
            if persisted is not None and persisted != document_hash:
                return None  # refused by parse_http_body
        elif persisted is not None:
            document_hash = persisted
        else:
            return None
        media_type = GRAPHQL_RESPONSE_JSON if _wants_graphql_response_json(request) else "application/json"
        operation_name = data.get("operationName")
        key = cache_key(document_hash=document_hash, operation_name=operation_name if isinstance(operation_name, str) else None,
                        variables=data.get("variables"), media_type=media_type)
        version = await cache.version()
        if version is None:
            return None
        answer = await cache.get(version, key)
        if answer is None:
            request.state.cache_slot = (version, key)
            return None
        headers = {"vary": "Accept, Authorization", "etag": answer.etag,
                   "cache-control": f"public, max-age={answer.max_age}, stale-while-revalidate=60"}
        if request.method == "GET" and answer.etag in _if_none_match(request):
            return Response(status_code=304, headers=headers)
        return Response(answer.body, headers={**headers, "content-type": answer.media_type})

    async def _finish(self, request: Request, response: Response) -> Response:
        if response.media_type not in (None, "application/json"):
            return response  # GraphiQL page
        if _wants_graphql_response_json(request):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        response.headers["vary"] = "Accept, Authorization"
        context: Context | None = getattr(request.state, "graphql_context", None)
        max_age = context.cache.public_max_age if context else None
        if max_age is None or "authorization" in request.headers or response.status_code != 200:
            response.headers["cache-control"] = "no-store"
            return response
        etag = 'W/"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
        response.headers["cache-control"] = f"public, max-age={max_age}, stale-while-revalidate=60"
        response.headers["etag"] = etag
        slot = getattr(request.state, "cache_slot", None)
        if slot is not None and max_age > 0:
            answer = CachedAnswer(body=bytes(response.body), etag=etag, media_type=response.headers["content-type"],
                                  max_age=max_age, expires_at=time.time() + max_age)
            await self.response_cache.put(*slot, answer)
        if request.method == "GET" and etag in _if_none_match(request):
            return Response(status_code=304, headers={
                "etag": etag, "cache-control": response.headers["cache-control"], "vary": response.headers["vary"],
            })
        return response


async def _close_expired(websocket: WebSocket) -> None:
    try:
        await websocket.close(code=4401, reason="Token expired")
    except RuntimeError:
        pass  # already closed


def _decode_json(raw: bytes | str, *, what: str) -> object:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed(f"{what}不是 UTF-8 编码", "not UTF-8") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise _malformed(f"{what}不是有效的 JSON", "not JSON") from None
    except RecursionError:
        raise _malformed(f"{what}的 JSON 嵌套过深", "JSON nested too deeply") from None


def _request_fields(request: Request) -> dict[str, Any] | None:
    """query, operationName, variables and extensions of a GET or JSON POST, or None when they
    cannot be read cheaply (left to the full path, which says what is wrong)."""
    try:
        if request.method == "GET":
            params = request.query_params
            data: object = {"query": params.get("query"), "operationName": params.get("operationName")} | {
                key: json.loads(params[key]) if params.get(key) else None for key in ("variables", "extensions")}
        else:
            content_type, _ = parse_content_type(request.headers.get("content-type", ""))
            body = getattr(request, "_body", None)
            if content_type != "application/json" or body is None:
                return None
            data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _persisted_hash(extensions: object) -> str | None:
    """The sha256 (lower-case hex) an APQ request names, or None when it names none."""
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(digest, str) \
            or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise RequestRefused("请求格式不正确：persistedQuery 须为 {version: 1, sha256Hash: 64 位十六进制}",
                             code="PERSISTED_QUERY_NOT_SUPPORTED", reason="bad persistedQuery")
    return digest.lower()


def _if_none_match(request: Request) -> set[str]:
    raw = request.headers.get("if-none-match", "")
    return {tag.strip() for tag in raw.split(",") if tag.strip()}


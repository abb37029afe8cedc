"""Serves the built PWA: hashed assets cached for a year, the shell and service worker always
revalidated, and index.html for any unknown path without a file extension (client routes).

Text files have brotli (.br) and gzip (.gz) copies made at build time
(frontend/scripts/compress.mjs); the one the browser accepts is sent as it is, with the
original's Content-Type and an ETag of its own. Nothing is compressed per request here."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.datastructures import Headers
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

# Server paths: an unknown one is a 404, never the app shell.
_NOT_CLIENT_ROUTES = ("graphql", "healthz", "dev-idp/", "auth/", ".well-known/", "assets/", "uploads")

_ALWAYS_REVALIDATE = {"index.html", "sw.js", "manifest.webmanifest", "registerSW.js", ".", ""}

NOT_BUILT_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>掌上办</title>
<body style="font-family:sans-serif;padding:24px"><h1>掌上办</h1>
<p>前端尚未构建。请在项目根目录运行 <code>make run</code>（或 <code>make frontend</code>）。</p>
<p>GraphQL 接口位于 <a href="/graphql">/graphql</a>。</p></body></html>"""


# Preferred first: brotli is smaller than gzip for the same text.
_PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q=0 refuses one; `*` allows the rest)."""
    allowed, refused, star = set(), set(), False
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not name:
            continue
        if name == "*":
            star = q > 0
        elif q > 0:
            allowed.add(name)
        else:
            refused.add(name)
    if star:
        allowed |= {coding for coding, _ in _PRECOMPRESSED if coding not in refused}
    return allowed


class SpaStaticFiles(StaticFiles):
    def __init__(self, *, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as error:
            last = path.rsplit("/", 1)[-1]
            if error.status_code != 404 or "." in last or path.startswith(_NOT_CLIENT_ROUTES):
                raise
            path = "index.html"
            response = await super().get_response(path, scope)
        if path.startswith("assets/"):
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        elif path in _ALWAYS_REVALIDATE or path.endswith(".html"):
            response.headers["cache-control"] = "no-cache"
        else:
            response.headers["cache-control"] = "public, max-age=3600"
        if path == "sw.js":
            response.headers["service-worker-allowed"] = "/"
        return response

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        request_headers = Headers(scope=scope)
        accepted = accepted_encodings(request_headers.get("accept-encoding", ""))
        siblings = [(coding, f"{full_path}{suffix}") for coding, suffix in _PRECOMPRESSED]
        has_copies = any(os.path.isfile(path) for _, path in siblings)
        response: Response | None = None
        for coding, path in siblings:
            if coding in accepted and os.path.isfile(path):
                # The original's type, as FileResponse would guess it (charset added for text/).
                media_type = mimetypes.guess_type(str(full_path))[0] or "text/plain"
                response = FileResponse(path, status_code=status_code, media_type=media_type,
                                        stat_result=os.stat(path), headers={"content-encoding": coding})
                break
        if response is None:
            response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if has_copies:
            response.headers["vary"] = "Accept-Encoding"
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response


async def not_built(_request: object) -> HTMLResponse:
    return HTMLResponse(NOT_BUILT_PAGE, status_code=503, headers={"cache-control": "no-store"})

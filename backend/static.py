"""Serves the built PWA: hashed assets cached for a year, the shell and service worker always
revalidated, and index.html for any unknown path without a file extension (client routes)."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Server paths: an unknown one is a 404, never the app shell.
_NOT_CLIENT_ROUTES = ("graphql", "healthz", "dev-idp/", "auth/", ".well-known/", "assets/", "uploads")

_ALWAYS_REVALIDATE = {"index.html", "sw.js", "manifest.webmanifest", "registerSW.js", ".", ""}

NOT_BUILT_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>掌上办</title>
<body style="font-family:sans-serif;padding:24px"><h1>掌上办</h1>
<p>前端尚未构建。请在项目根目录运行 <code>make run</code>（或 <code>make frontend</code>）。</p>
<p>GraphQL 接口位于 <a href="/graphql">/graphql</a>。</p></body></html>"""


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


async def not_built(_request: object) -> HTMLResponse:
    return HTMLResponse(NOT_BUILT_PAGE, status_code=503, headers={"cache-control": "no-store"})

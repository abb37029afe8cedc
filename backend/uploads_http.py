"""HTTP adapter for material files: POST /uploads (raw body), GET /uploads/{id}.

Files travel outside GraphQL so they stream to disk and are size-checked as they arrive.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from backend.auth.bearer import AuthError, authenticate, bearer_token
from backend.auth.identity import Identity
from backend.models import User
from backend.services.cases import uploads
from backend.services.errors import DomainError, NotFoundError
from backend.settings import Settings

NO_STORE = {"cache-control": "no-store"}


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={**NO_STORE, **headers})


async def _user(request: Request) -> User:
    identity: Identity = request.app.state.identity
    return (await authenticate(identity, bearer_token(request.headers.get("authorization", "")))).user


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


async def upload(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    try:
        owner = await _user(request)
        stored = await uploads.store_upload(
            owner=owner, chunks=request.stream(), filename=request.query_params.get("filename"),
            declared_length=_declared_length(request), max_bytes=settings.upload_max_bytes,
            upload_dir=settings.upload_dir,
        )
    except AuthError as error:
        return _error(401, "NOT_AUTHENTICATED", error.message, **{"www-authenticate": 'Bearer error="invalid_token"'})
    except uploads.UploadRejected as error:
        return _error(error.status, "UPLOAD_REJECTED", error.message)
    return JSONResponse({"id": str(stored.id), "filename": stored.filename, "contentType": stored.content_type,
                         "size": stored.size, "sha256": stored.sha256}, status_code=201, headers=NO_STORE)


async def download(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    try:
        viewer = await _user(request)
        found = await uploads.open_upload(viewer=viewer, upload_id=request.path_params["upload_id"],
                                          upload_dir=settings.upload_dir)
    except AuthError as error:
        return _error(401, "NOT_AUTHENTICATED", error.message)
    except NotFoundError as error:
        return _error(404, "NOT_FOUND", error.message)
    except DomainError as error:
        return _error(400, str(error.code), error.message)
    # Only sniffed types are stored; nosniff keeps the browser from guessing otherwise.
    return FileResponse(found.path, media_type=found.upload.content_type, headers={
        **NO_STORE, "x-content-type-options": "nosniff",
        "content-disposition": f"inline; filename*=UTF-8''{quote(found.upload.filename, safe='')}",
    })

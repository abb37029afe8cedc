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
from backend.ratelimit import REFUSED_MESSAGE, UPLOAD, RateLimiter, subject_hash
from backend.ratelimit import refused_log as refused
from backend.services.cases import uploads
from backend.services.errors import DomainError, NotFoundError
from backend.settings import Settings

NO_STORE = {"cache-control": "no-store"}
# The body is the file itself (as the PWA sends it): a form would be stored as its own bytes and
# refused as an unknown type, which names the wrong problem.
FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")
FORM_REFUSED = "请直接上传文件本身，不支持以表单（multipart/form-data）提交"


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={**NO_STORE, **headers})


async def _user(request: Request) -> User:
    identity: Identity = request.app.state.identity
    return (await authenticate(identity, bearer_token(request.headers.get("authorization", "")))).user


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


async def upload(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    try:
        owner = await _user(request)
        refusal = await limiter.admit(kind=UPLOAD, subject=owner.sub,
                                      address=request.client.host if request.client else None)
        if refusal is not None:  # before a byte of the body is read
            return _error(429, "RATE_LIMITED", REFUSED_MESSAGE.format(seconds=refusal.retry_after),
                          **{"retry-after": str(refusal.retry_after)})
        if request.headers.get("content-type", "").strip().lower().startswith(FORM_TYPES):
            return _error(415, "UPLOAD_REJECTED", FORM_REFUSED)
        stored = await uploads.store_upload(
            owner=owner, chunks=request.stream(), filename=request.query_params.get("filename"),
            declared_length=_declared_length(request), max_bytes=settings.upload_max_bytes,
            upload_dir=settings.upload_dir,
            quota=uploads.Quota(files=settings.upload_daily_files, bytes=settings.upload_daily_bytes),
        )
    except AuthError as error:
        return _error(401, "NOT_AUTHENTICATED", error.message, **{"www-authenticate": 'Bearer error="invalid_token"'})
    except uploads.QuotaExceeded as error:
        refused.warning("refused upload: over the daily quota address=%s subject=%s",
                        request.client.host if request.client else "-", subject_hash(owner.sub))
        return _error(error.status, "UPLOAD_QUOTA_EXCEEDED", error.message)
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
    # Only sniffed types are stored, but a file can be a PDF or an image and HTML at once: nosniff
    # keeps the browser from guessing, sandbox keeps any script in it from running with this
    # origin, and only the images the app shows are inline; anything else is a download.
    disposition = "inline" if found.upload.content_type in uploads.INLINE_TYPES else "attachment"
    return FileResponse(found.path, media_type=found.upload.content_type, headers={
        **NO_STORE, "x-content-type-options": "nosniff", "content-security-policy": "sandbox",
        "content-disposition": f"{disposition}; filename*=UTF-8''{quote(found.upload.filename, safe='')}",
    })

"""Uploaded material files: sniffed, size-limited while streaming, stored by SHA-256 on disk.

The declared content type is not trusted: the first bytes decide. Files are written to a
temporary name and renamed into place only when complete, so a broken upload leaves nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterable

from backend.models import Upload, User
from backend.models.identity import Role
from backend.services.errors import DomainError, NotFoundError, ValidationError

SNIFF_BYTES = 16
MAX_FILENAME = 120


class UploadRejected(DomainError):
    """An upload that cannot be stored. `status` is the HTTP status an adapter should use."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def sniff(head: bytes) -> str | None:
    """The content type the bytes really are, among those accepted as materials."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_filename(raw: str | None) -> str:
    name = Path((raw or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())[:MAX_FILENAME]
    return name or "材料"


def stored_path(upload_dir: Path, sha256: str) -> Path:
    return upload_dir / sha256[:2] / sha256


async def store_upload(
    *, owner: User, chunks: AsyncIterable[bytes], filename: str | None, declared_length: int | None,
    max_bytes: int, upload_dir: Path,
) -> Upload:
    if declared_length is not None and declared_length > max_bytes:
        raise UploadRejected(f"文件过大：单个文件不能超过 {max_bytes // (1024 * 1024)} MB", status=413)
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=upload_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"文件过大：单个文件不能超过 {max_bytes // (1024 * 1024)} MB", status=413)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                tmp.write(chunk)
        if size == 0:
            raise UploadRejected("文件是空的，请重新选择", status=400)
        content_type = sniff(head)
        if content_type is None:
            raise UploadRejected("只能上传 PDF、JPG、PNG 或 WebP 格式的文件", status=415)
        sha256 = digest.hexdigest()
        target = stored_path(upload_dir, sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp_name, target)  # same bytes under the same name: replacing is harmless
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return await Upload.create(id=uuid.uuid4(), owner=owner, filename=clean_filename(filename),
                               content_type=content_type, size=size, sha256=sha256)


@dataclass(frozen=True)
class StoredFile:
    upload: Upload
    path: Path


async def open_upload(*, viewer: User, upload_id: str, upload_dir: Path) -> StoredFile:
    """A file for its owner, or for staff of the department whose case it belongs to."""
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        raise ValidationError(field="id", message="文件编号格式不正确") from None
    upload = await Upload.get_or_none(id=key).prefetch_related("case_material__case")
    if upload is None or not _may_read(viewer, upload):
        raise NotFoundError("未找到该文件")
    path = stored_path(upload_dir, upload.sha256)
    if not path.exists():
        raise NotFoundError("文件已不存在")
    return StoredFile(upload=upload, path=path)


def _may_read(viewer: User, upload: Upload) -> bool:
    if upload.owner_id == viewer.id:
        return True
    material = upload.case_material
    if material is None:
        return False
    return Role.STAFF in viewer.roles and viewer.department_id == material.case.department_id


async def claim_uploads(*, owner: User, upload_ids: list[str], field: str) -> list[Upload]:
    """The owner's unattached uploads with these ids, or an error naming the input at fault."""
    keys = []
    for raw in upload_ids:
        try:
            keys.append(uuid.UUID(str(raw)))
        except ValueError:
            raise ValidationError(field=field, message="上传文件编号格式不正确") from None
    rows = await Upload.filter(id__in=keys, owner=owner, case_material_id__isnull=True)
    if len(rows) != len(set(keys)):
        raise ValidationError(field=field, message="有文件未上传成功或已被使用，请重新上传")
    return rows

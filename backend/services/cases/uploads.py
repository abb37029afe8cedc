"""Uploaded material files: sniffed, size-limited while streaming, stored by SHA-256 on disk.

The declared content type is not trusted: the first bytes decide. Files are written to a
temporary name and renamed into place only when complete, so a broken upload leaves nothing.
Each person may upload so many files and bytes in any 24 hours; uploads never attached to a
case are removed after a while (`remove_unattached`), so nobody can fill the disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterable

from tortoise.functions import Count, Sum

from backend.models import Upload, User
from backend.models.identity import Role
from backend.services.errors import DomainError, NotFoundError, ValidationError

log = logging.getLogger("backend.uploads")

SNIFF_BYTES = 16
MAX_FILENAME = 120
QUOTA_PERIOD = timedelta(hours=24)
# Shown in the app (an <img> of the blob): served inline. Everything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


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
    name = "".join(ch for ch in name if ch.isprintable())[:MAX_FILENAME].strip()
    # Dots only (".." is the last part of "a/..", or what is left of ".\0."): a path, not a name.
    return name if name.strip(".") else "材料"


def stored_path(upload_dir: Path, sha256: str) -> Path:
    return upload_dir / sha256[:2] / sha256


@dataclass(frozen=True)
class Quota:
    files: int  # per person in any 24 hours; 0: no limit
    bytes: int


class QuotaExceeded(UploadRejected):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=429)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


async def _bytes_left(owner: User, quota: Quota) -> int | None:
    """What the owner may still upload now, None without a byte quota; QuotaExceeded when nothing."""
    if not quota.files and not quota.bytes:
        return None
    since = datetime.now(timezone.utc) - QUOTA_PERIOD
    row = await Upload.filter(owner=owner, created_at__gte=since).order_by().annotate(
        n=Count("id"), total=Sum("size")).first().values("n", "total")
    files, used = int(row["n"] or 0), int(row["total"] or 0)
    if quota.files and files >= quota.files:
        raise QuotaExceeded(f"24 小时内最多上传 {quota.files} 个文件，请稍后再试")
    if quota.bytes and used >= quota.bytes:
        raise QuotaExceeded(f"24 小时内最多上传 {_megabytes(quota.bytes)}，请稍后再试")
    return quota.bytes - used if quota.bytes else None


async def store_upload(
    *, owner: User, chunks: AsyncIterable[bytes], filename: str | None, declared_length: int | None,
    max_bytes: int, upload_dir: Path, quota: Quota = Quota(files=0, bytes=0),
) -> Upload:
    if declared_length is not None and declared_length > max_bytes:
        raise UploadRejected(f"文件过大：单个文件不能超过 {max_bytes // (1024 * 1024)} MB", status=413)
    left = await _bytes_left(owner, quota)
    if left is not None and declared_length is not None and declared_length > left:
        raise QuotaExceeded(f"24 小时内最多上传 {_megabytes(quota.bytes)}，这个文件超出了剩余额度")
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=upload_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"文件过大：单个文件不能超过 {max_bytes // (1024 * 1024)} MB", status=413)
                if left is not None and size > left:
                    raise QuotaExceeded(f"24 小时内最多上传 {_megabytes(quota.bytes)}，这个文件超出了剩余额度")
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


# ---- removing what was never attached ----------------------------------------------------------


@dataclass(frozen=True)
class Cleanup:
    rows: int
    files: int


async def remove_unattached(*, upload_dir: Path, older_than: timedelta, now: datetime | None = None) -> Cleanup:
    """Removes uploads no case took within `older_than`: the rows, then each file no other row
    still names. Safe to run twice and on several instances at once (a second run finds nothing,
    a missing file is no error)."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    stale = await Upload.filter(case_material_id__isnull=True, created_at__lt=cutoff).values_list("id", "sha256")
    if not stale:
        return Cleanup(rows=0, files=_remove_incoming(upload_dir, cutoff))
    ids = [row[0] for row in stale]
    # Attached meanwhile (a submission in flight): the condition keeps it.
    rows = await Upload.filter(id__in=ids, case_material_id__isnull=True).delete()
    hashes = {row[1] for row in stale}
    kept = set(await Upload.filter(sha256__in=hashes).values_list("sha256", flat=True))
    files = 0
    for sha256 in hashes - kept:
        path = stored_path(upload_dir, sha256)
        try:
            # The same bytes uploaded again just now are renamed into place before their row is
            # written: a file newer than the cutoff may be about to be named again, so it stays.
            if path.stat().st_mtime >= cutoff.timestamp():
                continue
            path.unlink()
            files += 1
        except FileNotFoundError:
            pass
    files += _remove_incoming(upload_dir, cutoff)
    log.info("uploads: removed %s unattached uploads and %s files", rows, files)
    return Cleanup(rows=rows, files=files)


def _remove_incoming(upload_dir: Path, cutoff: datetime) -> int:
    """Temporary files of uploads cut off by a crash (a live upload's is younger)."""
    removed = 0
    limit = min(cutoff.timestamp(), time.time() - 3600)
    for path in upload_dir.glob(".incoming-*") if upload_dir.exists() else ():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed

"""Uploads cannot fill the disk nor run script with the app's origin (issue 18, part 5): a daily
quota per person, unattached uploads removed after a while, and safe headers on every file."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from backend.auth.personas import PERSONAS
from backend.keys import load_keys
from backend.bus import InProcessBus
from backend.models import Upload, User
from backend.ratelimit import subject_hash
from backend.services.cases.uploads import remove_unattached, stored_path
from backend.settings import Settings
from notifications.worker import Worker
from tests.cases_helpers import PDF, PNG, bearer, submitted_case, upload


@pytest.fixture
def low_limits(app: Starlette) -> Iterator[Starlette]:
    """The app, for a test that gives it its own settings; the suite's come back after."""
    original = app.state.settings
    yield app
    app.state.settings = original


def _files(upload_dir: Path) -> set[str]:
    return {p.name for p in upload_dir.rglob("*") if p.is_file()}


async def test_material_files_are_downloads_in_a_sandbox_unless_shown_images(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    citizen = bearer(token("citizen"))
    # A PDF that is HTML with script too (a polyglot): stored as a PDF, served as a download.
    polyglot = PDF + b"<html><script>alert(document.cookie)</script></html>"
    served = {}
    for data, name in [(PNG, "照片.png"), (polyglot, "证明.pdf")]:
        uploaded = await upload(client, token("citizen"), data, name)
        response = await client.get(f"/uploads/{uploaded}", headers=citizen)
        assert response.status_code == 200
        served[response.headers["content-type"]] = response.headers
    image, pdf = served["image/png"], served["application/pdf"]
    assert image["content-disposition"] == "inline; filename*=UTF-8''%E7%85%A7%E7%89%87.png"
    assert pdf["content-disposition"] == "attachment; filename*=UTF-8''%E8%AF%81%E6%98%8E.pdf"
    for headers in (image, pdf):
        assert (headers["content-security-policy"], headers["x-content-type-options"]) == ("sandbox", "nosniff")


async def _used_today(user: User) -> tuple[int, int]:
    rows = await Upload.filter(owner=user, created_at__gte=datetime.now(timezone.utc) - timedelta(hours=24))
    return len(rows), sum(r.size for r in rows)


async def test_a_daily_quota_per_person_counts_files_and_bytes(
    low_limits: Starlette, client: httpx.AsyncClient, settings: Settings, token: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = low_limits
    supervisor = token("supervisor")
    await upload(client, supervisor)  # signs the person in, and uses some of the quota
    user = await User.get(sub=PERSONAS["supervisor"].claims()["sub"])
    files, used = await _used_today(user)
    on_disk = _files(settings.upload_dir)

    app.state.settings = replace(settings, upload_daily_files=files + 1)
    await upload(client, supervisor, PDF, "第二份.pdf")
    with caplog.at_level("WARNING", logger="backend.refused"):
        refused = await client.post("/uploads", content=PNG + b"1", headers=bearer(supervisor))
    assert (refused.status_code, refused.json()["error"]) == (429, {
        "code": "UPLOAD_QUOTA_EXCEEDED", "message": f"24 小时内最多上传 {files + 1} 个文件，请稍后再试"})
    assert [r.getMessage() for r in caplog.records if r.name == "backend.refused"] == [
        f"refused upload: over the daily quota address=127.0.0.1 subject={subject_hash(user.sub)}"]
    assert await _used_today(user) == (files + 1, used + len(PDF))

    # Bytes: refused by the declared length, and while streaming when none is declared.
    app.state.settings = replace(settings, upload_daily_bytes=used + len(PDF) + 10)
    async def streamed() -> AsyncIterator[bytes]:  # no content-length: counted as it arrives
        yield PNG
        yield PNG

    for content in [PNG * 2, streamed()]:
        over = await client.post("/uploads", content=content, headers=bearer(supervisor))
        assert (over.status_code, over.json()["error"]["code"]) == (429, "UPLOAD_QUOTA_EXCEEDED")
    assert await _used_today(user) == (files + 1, used + len(PDF))
    refused_hashes = {hashlib.sha256(data).hexdigest() for data in (PNG + b"1", PNG * 2)}
    assert not (_files(settings.upload_dir) - on_disk) & refused_hashes
    assert not [p for p in settings.upload_dir.iterdir() if p.name.startswith(".incoming-")]


async def _age(upload_id: str, settings: Settings, hours: float) -> None:
    then = datetime.now(timezone.utc) - timedelta(hours=hours)
    await Upload.filter(id=upload_id).update(created_at=then)
    row = await Upload.get(id=upload_id)
    os.utime(stored_path(settings.upload_dir, row.sha256), (then.timestamp(), then.timestamp()))


async def test_uploads_never_attached_are_removed_file_and_row(
    client: httpx.AsyncClient, settings: Settings, token: Callable[..., str],
) -> None:
    citizen, other = token("citizen"), token("citizen2")
    stale = await upload(client, citizen, PDF + b"stale", "旧.pdf")
    shared_old = await upload(client, citizen, PDF + b"shared", "同一文件.pdf")
    shared_new = await upload(client, other, PDF + b"shared", "同一文件.pdf")  # same bytes, one file
    recent = await upload(client, citizen, PDF + b"recent", "新.pdf")
    case = await submitted_case(client, citizen)
    attached = await Upload.filter(case_material__case__number=case["number"]).first()
    assert attached is not None
    for upload_id in (stale, shared_old, str(attached.id)):
        await _age(upload_id, settings, hours=25)
    stale_path = stored_path(settings.upload_dir, (await Upload.get(id=stale)).sha256)
    shared_path = stored_path(settings.upload_dir, (await Upload.get(id=shared_new)).sha256)

    done = await remove_unattached(upload_dir=settings.upload_dir, older_than=timedelta(hours=24))
    assert (done.rows, done.files) == (2, 1)
    remaining = {str(u) for u in await Upload.filter(id__in=[stale, shared_old, shared_new, recent, attached.id])
                 .values_list("id", flat=True)}
    assert remaining == {shared_new, recent, str(attached.id)}
    assert not stale_path.exists() and shared_path.exists()
    assert (await client.get(f"/uploads/{stale}", headers=bearer(citizen))).status_code == 404

    again = await remove_unattached(upload_dir=settings.upload_dir, older_than=timedelta(hours=24))
    assert (again.rows, again.files) == (0, 0)  # safe to run twice


async def test_the_worker_removes_them_periodically(
    client: httpx.AsyncClient, settings: Settings, token: Callable[..., str],
) -> None:
    stale = await upload(client, token("citizen"), PDF + b"for the worker", "旧.pdf")
    await _age(stale, settings, hours=2)
    every_second = replace(settings, upload_cleanup_interval_seconds=1, upload_unattached_hours=1,
                           supervision_interval_seconds=0, redis_url=None)
    worker = Worker(settings=every_second, keys=load_keys(every_second), bus=InProcessBus())
    await worker.start()
    try:
        assert "housekeeping" in {task.get_name() for task in worker._loops}
        for _ in range(60):
            if not await Upload.filter(id=stale).exists():
                break
            await asyncio.sleep(0.05)
        assert not await Upload.filter(id=stale).exists()
    finally:
        await worker.stop()

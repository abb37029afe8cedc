"""Upload endpoint fuzzing (POST /uploads, GET /uploads/{id}): generated uploads without a token,
with a broken one, as a citizen and as staff — declared types right, wrong and odd, bodies
empty, tiny, at UPLOAD_MAX_BYTES and one byte over, declared lengths that lie, chunked bodies,
file names with `../`, NUL, control and bidi characters, very long and any unicode, duplicate
`filename` parameters or none, polyglots (a PNG header then HTML and script, a PDF with
JavaScript, GIF/HTML, SVG), forms with a file part, two file parts or none.

Pass, for every upload: never a 5xx; the answer is JSON; a refusal is `{"error": {"code",
"message"}}` with a stable code, a Chinese message, no traceback or exception text, and exactly
the status and message the input calls for (computed here from what was sent: no token 401,
a form 415, too big 413, empty 400, not PDF/JPG/PNG/WebP 415); nothing is stored for a refusal
(no row, no file, no temporary file left). An accepted upload is the bytes sent (size, SHA-256,
sniffed type), its name is a name (no path, no control character, not only dots, at most 120
characters), and it is served as sent with nosniff and a sandbox, inline only for images.

Runs after the schema fuzzer (file name order); removes what it stored. CI draws the same
examples every run; `make soak` (SOAK=1) draws 10x more, anew. FUZZ_UPLOAD_EXAMPLES overrides.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import given, settings, strategies as st

from backend.models import Upload
from backend.services.cases.uploads import INLINE_TYPES, MAX_FILENAME, stored_path
from backend.settings import Settings
from backend.uploads_http import FORM_REFUSED
from tests.cases_helpers import PDF, PNG
from tests.test_zz_fuzz_schema import EXCEPTION_TEXT, FUZZ, SOAK, STABLE_CODE

EXAMPLES = int(os.environ.get("FUZZ_UPLOAD_EXAMPLES") or (4_000 if SOAK else 400))
DOWNLOAD_EXAMPLES = max(50, EXAMPLES // 4)
ROLES = ("none", "broken", "basic", "citizen", "staff")
SIGNED_IN_MOSTLY = st.sampled_from(ROLES + ("citizen", "staff", "citizen", "staff"))  # refusals past the token
SUBS = {"citizen": "dev-citizen", "staff": "dev-staff"}

TOO_BIG = "文件过大：单个文件不能超过 {mb} MB"
EMPTY = "文件是空的，请重新选择"
WRONG_TYPE = "只能上传 PDF、JPG、PNG 或 WebP 格式的文件"
HAN = re.compile(r"[\u4e00-\u9fff]")

BOUNDARY = "zsbFuzzBoundary"


def _form(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body, as a browser form would post it."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


# Bodies by name; AT_MAX / OVER_MAX are built from the settings' limit when drawn.
BODIES: dict[str, bytes] = {
    "png": PNG,
    "pdf": PDF,
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24,
    "png+html": PNG + b"<html><body><script>alert(document.cookie)</script></body></html>",
    "pdf+js": b"%PDF-1.7\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n",
    "pdf+html": PDF + b"<html><script>fetch('/graphql')</script></html>",
    "gif+js": b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(1)//",
    "html": b"<!doctype html><html><script>alert(1)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20,
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 20,
    "bom+pdf": b"\xef\xbb\xbf%PDF-1.4\n",
    "short png": b"\x89PNG",
    "riff wave": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 16,
    "text": "身份证复印件".encode(),
    "nul": b"\x00",
    "empty": b"",
    "form with a file": _form(("file", "照片.png", PNG)),
    "form with two files": _form(("file", "a.png", PNG), ("file", "../b.pdf", PDF)),
    "form without a file": _form(("note", None, "备注".encode())),
    "AT_MAX": b"",
    "OVER_MAX": b"",
}
CONTENT_TYPES = [None, "application/octet-stream", "image/png", "application/pdf", "image/jpeg", "text/html",
                 "image/svg+xml", f"multipart/form-data; boundary={BOUNDARY}", f"Multipart/Form-Data; boundary={BOUNDARY}",
                 "application/x-www-form-urlencoded", "", "x" * 300, 'image/png; charset="utf-8"', "*/*"]
ODD_NAMES = ["照片.png", "../../etc/passwd", "..\\..\\windows\\win.ini", "../", "..", ".", "...", "/", "a/../..",
             "a\x00b.png", "\x00", "evil\u202egnp.exe", "\u200b", "名" * 300, "x" * 5000, "%00.png", "%2e%2e%2f",
             "CON", "a\r\nSet-Cookie: x=1", "😀.pdf", " ", "<script>alert(1)</script>.png", ".bashrc"]
NAMES = st.one_of(st.sampled_from(ODD_NAMES), st.text(max_size=300))
# What the content-length header says: the true length (httpx), a lie, junk, or none (chunked).
DECLARED = ["true", "chunked", "0", "1", "abc", "-1", "99999999999999999999", "OVER_MAX"]
STATS: Counter[str] = Counter()


def _mb(settings: Settings) -> int:
    return settings.upload_max_bytes // (1024 * 1024)


def _body(kind: str, settings: Settings, random: bytes) -> bytes:
    if kind == "AT_MAX":
        return PNG + b"\x00" * (settings.upload_max_bytes - len(PNG))
    if kind == "OVER_MAX":
        return PNG + b"\x00" * (settings.upload_max_bytes + 1 - len(PNG))
    if kind == "random":
        return random
    return BODIES[kind]


def _sniffed(body: bytes) -> str | None:
    """The accepted types, by their magic numbers (written out here, not the service's sniff)."""
    for magic, kind in ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
                        (b"\x89PNG\r\n\x1a\n", "image/png")):
        if body.startswith(magic):
            return kind
    return "image/webp" if body[:4] == b"RIFF" and body[8:12] == b"WEBP" else None


def _expected(*, role: str, content_type: str | None, declared: int | None, body: bytes,
              settings: Settings) -> tuple[int, str | None]:
    """The status and message this upload calls for, in the order the endpoint decides."""
    if role not in SUBS:
        return 401, None  # the message is the identity layer's; checked for being Chinese
    if (content_type or "").strip().lower().startswith(("multipart/", "application/x-www-form-urlencoded")):
        return 415, FORM_REFUSED
    too_big = TOO_BIG.format(mb=_mb(settings))
    if declared is not None and declared > settings.upload_max_bytes:
        return 413, too_big
    if len(body) > settings.upload_max_bytes:
        return 413, too_big
    if not body:
        return 400, EMPTY
    if _sniffed(body) is None:
        return 415, WRONG_TYPE
    return 201, None


def _headers(role: str, token: Callable[..., str]) -> dict[str, str]:
    if role in SUBS:
        return {"authorization": f"Bearer {token(role)}"}
    return {"none": {}, "broken": {"authorization": "Bearer not.a.token"},
            "basic": {"authorization": "Basic YWRtaW46YWRtaW4="}}[role]


def _on_disk(upload_dir: Any) -> set[str]:
    return {str(p) for p in upload_dir.rglob("*") if p.is_file()} if upload_dir.exists() else set()


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start:start + 64 * 1024]


def _refusal_problems(answer: Any, status: int, message: str | None, got: httpx.Response, *,
                      upload: bool) -> list[str]:
    found = []
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict) or set(error) - {"code", "message"}:
        return [f"not an error answer: {got.text[:200]}"]
    code, text = error.get("code"), str(error.get("message", ""))
    if not isinstance(code, str) or not STABLE_CODE.match(code):
        found.append(f"no stable code: {code!r}")
    if EXCEPTION_TEXT.search(got.text):
        found.append(f"exception text: {got.text[:200]}")
    if not HAN.search(text):
        found.append(f"message not for a person: {text!r}")
    if message is not None and text != message:
        found.append(f"message {text!r}, expected {message!r}")
    wanted = {401: "NOT_AUTHENTICATED", 404: "NOT_FOUND"}.get(status) or {400: "INVALID_INPUT"}.get(status, code)
    if upload and status in (400, 413, 415):
        wanted = "UPLOAD_REJECTED"
    if code != wanted:
        found.append(f"code {code} for HTTP {status}, expected {wanted}")
    return found


async def _accepted_problems(client: httpx.AsyncClient, headers: dict[str, str], answer: Any, body: bytes,
                             settings: Settings) -> list[str]:
    found = []
    facts = {k: answer.get(k) for k in ("contentType", "size", "sha256")}
    wanted = {"contentType": _sniffed(body), "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    if facts != wanted:
        found.append(f"stored {facts}, sent {wanted}")
    name = str(answer.get("filename", ""))
    if (not name or len(name) > MAX_FILENAME or "/" in name or "\\" in name or not name.strip(".")
            or not name.isprintable() or name != name.strip()):
        found.append(f"file name {name!r} is not a name")
    served = await client.get(f"/uploads/{answer['id']}", headers=headers)
    if served.status_code != 200 or hashlib.sha256(served.content).hexdigest() != wanted["sha256"]:
        found.append(f"served {served.status_code}, not the bytes sent")
    disposition = "inline" if wanted["contentType"] in INLINE_TYPES else "attachment"
    if (served.headers.get("x-content-type-options"), served.headers.get("content-security-policy")) != (
            "nosniff", "sandbox") or not served.headers.get("content-disposition", "").startswith(disposition):
        found.append(f"served with {dict(served.headers)}")
    if served.headers.get("content-type") != wanted["contentType"]:
        found.append(f"served as {served.headers.get('content-type')}")
    await _remove(answer["id"], settings)
    return found


async def _remove(upload_id: str, settings: Settings) -> None:
    """What the fuzzer stored goes (the row, and the file when no other row names it), so the
    personas' daily quota and the disk stay as they were."""
    row = await Upload.get_or_none(id=upload_id)
    if row is None:
        return
    await row.delete()
    if not await Upload.exists(sha256=row.sha256):
        stored_path(settings.upload_dir, row.sha256).unlink(missing_ok=True)


@settings(FUZZ, max_examples=EXAMPLES)
@given(role=SIGNED_IN_MOSTLY, kind=st.sampled_from([*BODIES, "random"]), random=st.binary(max_size=256),
       content_type=st.sampled_from(CONTENT_TYPES), declared=st.sampled_from(DECLARED),
       names=st.lists(st.one_of(st.none(), NAMES), min_size=0, max_size=2))
async def test_generated_uploads_are_stored_as_sent_or_refused_clearly(
        client: httpx.AsyncClient, token: Callable[..., str], settings: Settings, role: str, kind: str,
        random: bytes, content_type: str | None, declared: str, names: list[str | None]) -> None:
    body = _body(kind, settings, random)
    headers = _headers(role, token)
    if content_type is not None:
        headers["content-type"] = content_type
    declared_length: int | None = len(body)
    if declared == "chunked":
        declared_length = None
    elif declared != "true":
        value = str(settings.upload_max_bytes + 1) if declared == "OVER_MAX" else declared
        headers["content-length"] = value
        declared_length = int(value) if value.isdigit() else None
    params = [("filename", name) for name in names if name is not None]  # none, one, or two of them
    owner = SUBS.get(role)
    rows_before = await Upload.filter(owner__sub=owner).count() if owner else 0
    disk_before = _on_disk(settings.upload_dir)

    got = await client.post("/uploads", params=params, headers=headers,
                            content=_chunks(body) if declared == "chunked" else body)
    status, message = _expected(role=role, content_type=content_type, declared=declared_length, body=body,
                                settings=settings)
    STATS[f"HTTP {got.status_code}"] += 1
    case = f"[{role}] {kind} type={content_type!r} length={declared} names={[n and n[:40] for n in names]}"
    try:
        answer = json.loads(got.content)
    except ValueError:
        raise AssertionError(f"{case}: not JSON: {got.status_code} {got.text[:200]}") from None
    assert got.status_code < 500 and got.status_code == status, f"{case}: {got.status_code}, expected {status}: {answer}"
    if status == 201:
        assert await _accepted_problems(client, headers, answer, body, settings) == [], case
        return
    assert _refusal_problems(answer, status, message, got, upload=True) == [], case
    if owner is not None:
        assert await Upload.filter(owner__sub=owner).count() == rows_before, f"{case}: a refused upload left a row"
    left = _on_disk(settings.upload_dir) - disk_before
    assert left == set(), f"{case}: a refused upload left {left}"


ODD_IDS = st.one_of(st.uuids().map(str), st.text(max_size=80).filter(lambda s: "/" not in s and "?" not in s),
                    st.sampled_from(["..", ".", "%2e%2e", "00000000-0000-0000-0000-000000000000", "0" * 400,
                                     "\x00", "{{7*7}}", "' OR 1=1 --", "😀"]))


@settings(FUZZ, max_examples=DOWNLOAD_EXAMPLES)
@given(role=st.sampled_from(ROLES), upload_id=ODD_IDS)
async def test_generated_file_ids_are_refused_clearly(client: httpx.AsyncClient, token: Callable[..., str],
                                                      role: str, upload_id: str) -> None:
    got = await client.get(f"/uploads/{quote(upload_id, safe='')}", headers=_headers(role, token))
    if got.request.url.path.rstrip("/") in ("/uploads", ""):  # "." and ".." resolve to another path
        STATS["GET another path"] += 1
        return
    STATS[f"GET {got.status_code}"] += 1
    case = f"[{role}] GET /uploads/{upload_id!r}"
    expected = 401 if role not in SUBS else None
    assert got.status_code in ((401,) if expected else (400, 404)), f"{case}: {got.status_code} {got.text[:200]}"
    assert _refusal_problems(got.json(), got.status_code, None, got, upload=False) == [], case


def test_the_upload_battery_ran_in_full() -> None:
    print(f"\nupload fuzz statistics: {dict(STATS)}")
    assert sum(n for key, n in STATS.items() if key.startswith("HTTP")) >= EXAMPLES
    assert sum(n for key, n in STATS.items() if key.startswith("GET")) >= DOWNLOAD_EXAMPLES


async def test_what_the_battery_found_stays_fixed(client: httpx.AsyncClient, token: Callable[..., str],
                                                  settings: Settings) -> None:
    """A browser form with a PNG in it was refused as "only PDF, JPG, PNG or WebP" (the wrong
    problem); a name of dots ("../", "a/..") was stored as "..", a path and not a name."""
    citizen = {"authorization": f"Bearer {token('citizen')}"}
    disk = _on_disk(settings.upload_dir)
    form = await client.post("/uploads", content=BODIES["form with a file"], headers={
        **citizen, "content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert (form.status_code, form.json()) == (415, {"error": {"code": "UPLOAD_REJECTED", "message": FORM_REFUSED}})
    assert _on_disk(settings.upload_dir) == disk
    for name in ("../", "a/..", ".\x00.", " . "):
        stored = await client.post("/uploads", params={"filename": name}, content=PNG, headers=citizen)
        assert (stored.status_code, stored.json()["filename"]) == (201, "材料"), name
        await _remove(stored.json()["id"], settings)

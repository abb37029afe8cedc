"""Static files go out precompressed (brotli, else gzip, chosen by Accept-Encoding); GraphQL
answers above a size are gzipped; small answers, 304s and the websocket are left alone."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from backend.app import API_GZIP_MIN_BYTES
from backend.static import SpaStaticFiles, accepted_encodings

SCRIPT = b"export const words = '" + "掌上办".encode() * 600 + b"';\n"


def _static_app(root: Path) -> Starlette:
    (root / "assets").mkdir()
    (root / "assets" / "app-abc.js").write_bytes(SCRIPT)
    (root / "assets" / "app-abc.js.gz").write_bytes(gzip.compress(SCRIPT))
    (root / "assets" / "app-abc.js.br").write_bytes(b"brotli-bytes-stand-in")  # served as they are
    (root / "assets" / "plain-abc.js").write_bytes(b"let x = 1\n")  # too small: no copies
    (root / "index.html").write_bytes(b"<!doctype html><div id=\"app\"></div>" + b" " * 2000)
    (root / "index.html.gz").write_bytes(gzip.compress((root / "index.html").read_bytes()))
    return Starlette(routes=[Mount("/", SpaStaticFiles(directory=root))])


async def _raw(client: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    async with client.stream("GET", path, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_precompressed_copy_is_chosen_by_accept_encoding(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=_static_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        br, body = await _raw(client, "/assets/app-abc.js", **{"accept-encoding": "gzip, deflate, br"})
        assert (br.status_code, br.headers["content-encoding"], body) == (200, "br", b"brotli-bytes-stand-in")
        assert br.headers["content-type"] == "text/javascript; charset=utf-8"
        assert br.headers["vary"] == "Accept-Encoding"
        assert br.headers["cache-control"] == "public, max-age=31536000, immutable"

        gz, body = await _raw(client, "/assets/app-abc.js", **{"accept-encoding": "gzip, br;q=0"})
        assert (gz.headers["content-encoding"], gzip.decompress(body)) == ("gzip", SCRIPT)
        assert gz.headers["content-type"] == "text/javascript; charset=utf-8"

        plain, body = await _raw(client, "/assets/app-abc.js", **{"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and body == SCRIPT
        assert plain.headers["vary"] == "Accept-Encoding"
        # Each representation has its own validator, and each revalidates to a 304.
        assert len({br.headers["etag"], gz.headers["etag"], plain.headers["etag"]}) == 3
        again = await client.get("/assets/app-abc.js", headers={"accept-encoding": "br", "if-none-match": br.headers["etag"]})
        assert again.status_code == 304 and again.headers["vary"] == "Accept-Encoding"
        other = await client.get("/assets/app-abc.js", headers={"accept-encoding": "gzip", "if-none-match": br.headers["etag"]})
        assert other.status_code == 200 and other.headers["content-encoding"] == "gzip"

        small, body = await _raw(client, "/assets/plain-abc.js", **{"accept-encoding": "br, gzip"})
        assert "content-encoding" not in small.headers and "vary" not in small.headers and body == b"let x = 1\n"

        # A client route is the shell, compressed like the file itself.
        route, body = await _raw(client, "/cases/ZSB-1", **{"accept-encoding": "gzip"})
        assert route.headers["content-encoding"] == "gzip" and b'<div id="app">' in gzip.decompress(body)
        assert route.headers["content-type"] == "text/html; charset=utf-8" and route.headers["cache-control"] == "no-cache"
        missing = await client.get("/assets/missing.js", headers={"accept-encoding": "br"})
        assert missing.status_code == 404


def test_accept_encoding_is_read_with_its_weights() -> None:
    assert accepted_encodings("gzip, deflate, br, zstd") == {"gzip", "deflate", "br", "zstd"}
    assert accepted_encodings("br;q=0, gzip;q=0.5") == {"gzip"}
    assert accepted_encodings("*") == {"br", "gzip"}
    assert accepted_encodings("*;q=0.1, gzip;q=0") == {"br"}
    assert accepted_encodings("") == set()
    assert accepted_encodings("br;q=abc") == set()


CATALOG = "{ serviceItems(first: 40) { edges { node { code name department { name } } } } }"


async def test_large_graphql_answers_are_gzipped_and_keep_their_etag(client: httpx.AsyncClient) -> None:
    headers = {"accept": "application/graphql-response+json", "accept-encoding": "gzip"}
    response, body = await _raw(client, f"/graphql?query={CATALOG}", **headers)
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    plain = gzip.decompress(body)
    assert len(plain) > API_GZIP_MIN_BYTES and len(body) < len(plain) / 3
    assert "Accept-Encoding" in response.headers["vary"]
    etag = response.headers["etag"]
    assert etag == 'W/"' + hashlib.sha256(plain).hexdigest()[:32] + '"'  # the same validator as uncompressed
    again = await client.get(f"/graphql?query={CATALOG}", headers={**headers, "if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and "content-encoding" not in again.headers

    identity, body = await _raw(client, f"/graphql?query={CATALOG}", **{**headers, "accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers and body == plain

    small, body = await _raw(client, "/graphql?query={ departments { id } }", **{**headers, "accept-encoding": "gzip"})
    assert small.status_code == 200
    if len(body) < API_GZIP_MIN_BYTES:
        assert "content-encoding" not in small.headers

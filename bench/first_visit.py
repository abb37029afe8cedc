"""What a first visit to 首页 costs: the JavaScript home loads (raw and as it crossed the wire)
and what the service worker precaches (URL count, raw bytes, bytes fetched).

    .venv/bin/python -m bench.first_visit http://127.0.0.1:8000

Needs a running server (`make run`) and Debian's chromium; the precache list is read from the
built frontend/static/sw.js. Figures are reported in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "frontend" / "static"
CHROMIUM = "/usr/bin/chromium"


def home_scripts(base: str) -> list[dict]:
    """Every script 首页 fetched on a cold first visit, with its encoding and sizes."""
    seen: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                      service_workers="block")
        page = context.new_page()

        def record(response):  # type: ignore[no-untyped-def]
            if response.request.resource_type != "script" or "/assets/" not in response.url:
                return
            body = response.body()
            seen.append({"url": response.url.split("/assets/")[1], "raw": len(body), "gzip": len(gzip.compress(body, 9)),
                         "wire": response.request.sizes()["responseBodySize"],
                         "encoding": response.headers.get("content-encoding", "identity")})

        page.on("response", record)
        page.goto(base + "/", wait_until="networkidle")
        browser.close()
    return seen


def precache() -> tuple[int, int, int, int]:
    """(URL count, raw bytes, brotli bytes fetched, gzip bytes) of the service worker's precache."""
    text = (STATIC / "sw.js").read_text()
    # vite-plugin-pwa lists includeAssets twice in some versions; the worker fetches each once.
    urls = list(dict.fromkeys(re.findall(r'"url":\s*"([^"]+)"', text)))
    raw = br = gz = 0
    for url in urls:
        path = STATIC / url
        data = path.read_bytes()
        raw += len(data)
        packed = path.with_name(path.name + ".br")
        br += packed.stat().st_size if packed.exists() else len(data)
        gz += len(gzip.compress(data, 9)) if not url.endswith((".png", ".woff2")) else len(data)
    return len(urls), raw, br, gz


def main() -> None:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    scripts = home_scripts(base)
    count, raw, br, gz = precache()
    report = {
        "home_js_files": len(scripts),
        "home_js_raw_bytes": sum(s["raw"] for s in scripts),
        "home_js_wire_bytes": sum(s["wire"] for s in scripts),
        "home_js_gzip9_bytes": sum(s["gzip"] for s in scripts),  # what gzip alone would send
        "home_js_encodings": sorted({s["encoding"] for s in scripts}),
        "precache_urls": count, "precache_raw_bytes": raw, "precache_br_bytes": br, "precache_gzip_bytes": gz,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

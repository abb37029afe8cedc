"""First load in a real browser (issue 14): Lighthouse (npm `lighthouse`, a dev dependency of the
front end) driving Debian's chromium, with its default mobile emulation and simulated slow 4G,
on 首页, a guide page and the e-license list, 3 runs each; prints the medians of the four
category scores and of LCP, TBT and CLS as one table.

    .venv/bin/python -m bench.lighthouse http://127.0.0.1:8000

Needs a running, seeded server with the built app (`make run`). The browser's language is
Chinese (`--lang=zh-CN`), the app's default: Lighthouse's chromium otherwise says en-US, and the
app would then load English before its first paint. `BENCH_LANG=en` measures that first load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
CLI = FRONTEND / "node_modules" / "lighthouse" / "cli" / "index.js"
PAGES = {"首页": "/", "办事指南": "/items/61010102006", "我的证照": "/licenses"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
AUDITS = {"LCP ms": "largest-contentful-paint", "TBT ms": "total-blocking-time", "CLS": "cumulative-layout-shift"}
RUNS = 3
LANG = os.environ.get("BENCH_LANG", "zh-CN")


def run_once(url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run(["node", str(CLI), url, "--output=json", f"--output-path={out}", "--quiet",
                        "--form-factor=mobile", "--throttling-method=simulate",
                        f"--only-categories={','.join(CATEGORIES)}",
                        f"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --lang={LANG}"],
                       check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, timeout=300)
        report = json.loads(out.read_text(encoding="utf-8"))
    figures = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    for label, audit in AUDITS.items():
        figures[label] = report["audits"][audit]["numericValue"]
    return figures


def main(base: str) -> None:
    rows = []
    for label, path in PAGES.items():
        runs = [run_once(base.rstrip("/") + path) for _ in range(RUNS)]
        rows.append((label, {k: statistics.median(r[k] for r in runs) for k in runs[0]}))
    keys = [*CATEGORIES, *AUDITS]
    print("| page | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for label, med in rows:
        cells = [f"{med[k]:.0f}" if k != "CLS" else f"{med[k]:.3f}" for k in keys]
        print(f"| {label} | " + " | ".join(cells) + " |")
    version = json.loads((CLI.parent.parent / "package.json").read_text(encoding="utf-8"))["version"]
    print(f"(medians of {RUNS} runs; Lighthouse {version}, mobile, simulated slow 4G, /usr/bin/chromium, "
          f"browser language {LANG})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")

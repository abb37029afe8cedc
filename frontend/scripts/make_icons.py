"""Renders the PWA icons (public/favicon.svg, public/icons/*.png) with headless Debian chromium.

Run from the repo root when the artwork changes:  .venv/bin/python frontend/scripts/make_icons.py
Needs Playwright for Python (already in the repo venv); never downloads a browser.
"""

import os

from playwright.sync_api import sync_playwright

PUBLIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public")


def svg(maskable: bool = False, size: int = 512) -> str:
    # 512x512 design grid. "any" icons: a rounded tile on transparency. Maskable: full-bleed
    # background with the artwork inside the central safe zone (radius 40%).
    scale = 0.72 if maskable else 1.0
    bg = ('<rect width="512" height="512" fill="url(#g)"/>' if maskable
          else '<rect x="16" y="16" width="480" height="480" rx="112" fill="url(#g)"/>')
    art = f'''
    <g transform="translate(256 256) scale({scale}) translate(-256 -256)">
      <rect x="150" y="92" width="212" height="328" rx="40" fill="none" stroke="#fff" stroke-width="26"/>
      <rect x="226" y="124" width="60" height="12" rx="6" fill="#fff"/>
      <circle cx="256" cy="380" r="13" fill="#fff"/>
      <path d="M196 262 L240 306 L320 210" fill="none" stroke="#ffcf4a" stroke-width="30" stroke-linecap="round" stroke-linejoin="round"/>
    </g>'''
    return f'''<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="{size}" height="{size}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#2f86ea"/><stop offset="1" stop-color="#1349a0"/></linearGradient></defs>
  {bg}{art}
</svg>'''


TARGETS = [("icon-192.png", 192, False), ("icon-512.png", 512, False),
           ("icon-maskable-512.png", 512, True), ("apple-touch-icon.png", 180, True)]


def main() -> None:
    os.makedirs(os.path.join(PUBLIC, "icons"), exist_ok=True)
    with open(os.path.join(PUBLIC, "favicon.svg"), "w") as f:
        f.write(svg())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, size, maskable in TARGETS:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(f'<html><body style="margin:0;background:transparent">{svg(maskable, size)}</body></html>')
            page.screenshot(path=os.path.join(PUBLIC, "icons", name), omit_background=True,
                            clip={"x": 0, "y": 0, "width": size, "height": size})
        browser.close()


if __name__ == "__main__":
    main()

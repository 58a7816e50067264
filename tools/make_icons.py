"""Draws the PWA's icons (PNG) with Pillow: `python tools/make_icons.py` writes pwa/icons/.

A white "查" (check) on the app's blue, with a green tick; the maskable variant keeps
everything inside the central 80 % safe zone. The font is Noto Sans SC from the pinned
pip package the record PDF already uses; without it a plain tick is drawn.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "pwa" / "icons"
BLUE, WHITE, GREEN = (11, 79, 138), (255, 255, 255), (46, 204, 113)


def _font(size: int):
    sys.path.insert(0, str(ROOT))
    try:
        from server.review.pdf_font import locate_font

        src = locate_font()
        return ImageFont.truetype(str(src.path), size, index=src.index)
    except Exception:
        return None


def draw(size: int, maskable: bool) -> Image.Image:
    im = Image.new("RGB", (size, size), BLUE)
    d = ImageDraw.Draw(im)
    inner = int(size * (0.62 if maskable else 0.8))
    font = _font(inner)
    if font is not None:
        box = d.textbbox((0, 0), "查", font=font)
        w, h = box[2] - box[0], box[3] - box[1]
        d.text(((size - w) / 2 - box[0], (size - h) / 2 - box[1] - size * 0.03), "查", font=font, fill=WHITE)
    s = size / 512
    tick_w = max(3, int(34 * s))
    x0, y0 = size * (0.62 if not maskable else 0.58), size * (0.74 if not maskable else 0.68)
    d.line([(x0, y0), (x0 + 40 * s, y0 + 40 * s), (x0 + 120 * s, y0 - 50 * s)], fill=GREEN, width=tick_w, joint="curve")
    return im


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("maskable-512.png", 512, True), ("apple-touch-180.png", 180, False)]:
        draw(size, maskable).save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()

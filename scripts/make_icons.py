#!/usr/bin/env python3
"""Draws Tend's app icons (a white sprout on the theme colour) into public/icons/ and public/favicon.ico.

Standard library only (zlib writes the PNGs), so anyone can reproduce the committed files:
    python3 scripts/make_icons.py
Shapes are sampled 4x4 per pixel for smooth edges. Maskable icons keep the sprout well inside the
central safe zone (a circle of 80 % of the icon's width), since launchers crop them to any shape.
"""
import math
import struct
import zlib
from pathlib import Path

THEME = (0x1F, 0x5F, 0x5B)  # --color-primary in style/main.css
WHITE = (0xFF, 0xFF, 0xFF)
ROOT = Path(__file__).resolve().parent.parent / "public"


def in_ellipse(x, y, cx, cy, a, b, angle):
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = x - cx, y - cy
    u, v = dx * c + dy * s, -dx * s + dy * c
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def in_sprout(x, y):
    """The glyph in unit coordinates (centre 0,0; y grows downwards; fits a circle of radius ~0.8)."""
    if abs(x) <= 0.085 and -0.15 <= y <= 0.72:  # stem
        return True
    if math.hypot(x, y - 0.72) <= 0.085:  # rounded foot
        return True
    if in_ellipse(x, y, -0.33, -0.22, 0.40, 0.19, math.radians(30)):  # left leaf
        return True
    return in_ellipse(x, y, 0.33, -0.42, 0.40, 0.19, math.radians(-30))  # right leaf


def in_rounded_square(x, y, radius):
    """Square [-1, 1]² with rounded corners."""
    qx, qy = abs(x) - (1 - radius), abs(y) - (1 - radius)
    if qx <= 0 or qy <= 0:
        return abs(x) <= 1 and abs(y) <= 1
    return math.hypot(qx, qy) <= radius


def render(size, glyph_scale, corner_radius=None):
    """RGBA rows. corner_radius None = full-bleed background (maskable, Apple), else a rounded tile."""
    samples = 4
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            bg = fg = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = ((px + (sx + 0.5) / samples) / size) * 2 - 1
                    y = ((py + (sy + 0.5) / samples) / size) * 2 - 1
                    if corner_radius is not None and not in_rounded_square(x, y, corner_radius):
                        continue
                    bg += 1
                    if in_sprout(x / glyph_scale, y / glyph_scale):
                        fg += 1
            n = samples * samples
            if bg == 0:
                row += bytes(4)
                continue
            t = fg / bg
            rgb = [round(THEME[i] * (1 - t) + WHITE[i] * t) for i in range(3)]
            row += bytes(rgb + [round(255 * bg / n)])
        rows.append(bytes(row))
    return rows


def png(rows):
    size = len(rows)
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(png_bytes, size):
    """An .ico holding one PNG image (supported by every current browser)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png_bytes), 6 + 16)
    return header + entry + png_bytes


def main():
    icons = ROOT / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (icons / f"icon-{size}.png").write_bytes(png(render(size, 0.72, corner_radius=0.22)))
        (icons / f"maskable-{size}.png").write_bytes(png(render(size, 0.5)))
    (icons / "apple-touch-icon-180.png").write_bytes(png(render(180, 0.6)))
    (ROOT / "favicon.ico").write_bytes(ico(png(render(32, 0.8, corner_radius=0.22)), 32))


if __name__ == "__main__":
    main()

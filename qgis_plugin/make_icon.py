"""Draw the plugin's icon, ``superad_geo_qgis/icon.png``, with the standard library only.

The icon is a 64 × 64 pixel scene: a smooth spectral background in blue and
green tones with one bright red pixel cluster, the "anomaly".

Run it after changing the design and commit the PNG::

    python qgis_plugin/make_icon.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 64
ICON_PATH = Path(__file__).resolve().parent / "superad_geo_qgis" / "icon.png"


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """Return the RGBA colour of pixel ``(x, y)``."""
    margin = 4
    if not (margin <= x < SIZE - margin and margin <= y < SIZE - margin):
        return (0, 0, 0, 0)  # transparent border
    # anomaly: a red disc with a white core, off centre
    dx, dy = x - 41, y - 23
    r2 = dx * dx + dy * dy
    if r2 <= 9:
        return (255, 245, 235, 255)
    if r2 <= 49:
        return (225, 40, 30, 255)
    # background: diagonal bands, like a false-colour rendering of fields
    band = ((x + 2 * y) // 10) % 3
    shade = (x * 3 + y * 5) % 24
    base = [(30, 70, 130), (40, 110, 90), (60, 140, 160)][band]
    return (base[0] + shade, base[1] + shade, base[2] + shade, 255)


def png_bytes() -> bytes:
    """Encode the icon as an 8-bit RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter type: none
        for x in range(SIZE):
            rows.extend(_pixel(x, y))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    ICON_PATH.write_bytes(png_bytes())
    print(ICON_PATH)

"""What identifying an input by its content costs: SHA-256 of a 1 Mpx × 205-band GeoTIFF.

Writes an uncompressed float32 GeoTIFF of 1000 × 1000 pixels and 205 bands
(820 MB, the size of a 1 Mpx satellite scene), then times
:func:`superad_geo.scene.identity.content_identity` on it in a fresh
process, twice: with the file dropped from the page cache first (read from
disk, as a batch over an archive finds it), and again with it cached. A
third call in the same process shows the per-process reuse of a digest.

\b
    python benchmarks/identity_cost.py [--folder /tmp]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from machine import cpu_model
from rasterio.transform import from_origin

ROWS = COLS = 1000
BANDS = 205

TIMED = """
import sys, time
from superad_geo.scene.identity import content_identity
for _ in range(2):
    start = time.perf_counter()
    content_identity(sys.argv[1])
    print(time.perf_counter() - start)
"""


def write_scene(path: Path) -> None:
    """An 820 MB float32 GeoTIFF, written a band at a time."""
    rng = np.random.default_rng(0)
    with rasterio.open(
        path, "w", driver="GTiff", width=COLS, height=ROWS, count=BANDS, dtype="float32",
        crs="EPSG:32633", transform=from_origin(0, 0, 30, 30), INTERLEAVE="BAND",
    ) as ds:  # fmt: skip
        for band in range(1, BANDS + 1):
            ds.write(rng.random((ROWS, COLS), dtype=np.float32), band)


def drop_from_cache(path: Path) -> None:
    """Ask the kernel to forget the file's pages (so the next read comes from disk)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(path: Path) -> list[float]:
    """Seconds of a first and a second ``content_identity`` call in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", TIMED, str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [float(line) for line in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / "scene.tif"
        start = time.perf_counter()
        write_scene(path)
        size = path.stat().st_size / 1e6
        print(f"{cpu_model()}; {size:.0f} MB written in {time.perf_counter() - start:.1f} s")
        drop_from_cache(path)
        cold, again = timed(path)
        warm, _ = timed(path)
        print(f"from disk: {cold:.2f} s ({size / cold:.0f} MB/s)")
        print(f"cached:    {warm:.2f} s ({size / warm:.0f} MB/s)")
        print(f"again in the same process: {again * 1000:.1f} ms")


if __name__ == "__main__":
    main()

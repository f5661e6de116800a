"""Peak memory of the scene pipeline: 1024 x 1024 vs 2048 x 2048 x 100 bands.

Each size runs in a fresh process (so peaks do not mix) on a lazily generated
synthetic scene (never held whole in memory), with 512-pixel tiles, the
``fast`` preset and one training step: memory should depend on the tile size,
not on the scene. Prints one line per size and the ratio.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/scene_memory.py [--sizes 1024 2048] [--steps 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from superad_geo.pipeline import detect_file
from superad_geo.scene.synthetic import make_scene
size, bands, tile, steps = (int(v) for v in sys.argv[1:5])
dst = sys.argv[5]
scene, _ = make_scene((size, size), bands, seed=0, chunks=256)
start = time.perf_counter()
result = detect_file(scene, dst, tile_size=tile, preset="fast", steps=steps, seed=0)
elapsed = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"size": size, "bands": bands, "tiles": result.tiles,
                  "seconds": round(elapsed, 1), "peak_mib": round(peak_kib / 1024, 1)}))
"""


def run(size: int, bands: int, tile: int, steps: int) -> dict:
    """Run one size in a child process and return its figures."""
    with tempfile.TemporaryDirectory() as folder:
        dst = str(Path(folder) / f"scores_{size}.tif")
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(size), str(bands), str(tile), str(steps), dst],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--bands", type=int, default=100)
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=1)
    args = parser.parse_args()
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    results = []
    for size in args.sizes:
        figures = run(size, args.bands, args.tile_size, args.steps)
        results.append(figures)
        print(
            f"{size}x{size}x{args.bands}: {figures['tiles']} tiles of {args.tile_size}, "
            f"{figures['seconds']} s, peak RSS {figures['peak_mib']} MiB",
            flush=True,
        )
    if len(results) >= 2:
        ratio = results[-1]["peak_mib"] / results[0]["peak_mib"]
        print(f"peak ratio {results[-1]['size']}/{results[0]['size']}: {ratio:.2f}")


if __name__ == "__main__":
    main()

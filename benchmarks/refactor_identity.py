"""Scores and tags bit-identical across a refactor: record runs at one commit, compare at another.

Four runs through the public API, each with one compute thread (scores are
bit-identical between runs with the same ``threads``):

- ``tile``: Super-AD trained per tile (``fast``, 5 steps) on
  ``abu-beach-2.mat``, cut into 2 × 2 tiles, with a mask;
- ``scene``: Super-AD trained once per scene (``training="scene"``, 5 steps)
  on a synthetic 320 × 320 GeoTIFF, above the scene-training size, 3 × 3 tiles;
- ``rx``: the RX baseline on the same ``.mat`` cube, with a region of interest;
- ``array``: :func:`superad_geo.detect` of the synthetic scene as a DataArray
  (the in-memory path), with RX.

``record FOLDER`` writes each run's rasters (or ``array.npz``) into FOLDER;
``compare BEFORE AFTER`` checks every pixel (``np.array_equal(...,
equal_nan=True)``) and every tag of the two folders and exits 1 on a difference.

\b
    git stash; python benchmarks/refactor_identity.py record /tmp/before; git stash pop
    python benchmarks/refactor_identity.py record /tmp/after
    python benchmarks/refactor_identity.py compare /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

import superad_geo

MAT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "had" / "abu-beach-2.mat"
SCENE_SIZE = (320, 320)


def synthetic_scene(folder: Path) -> Path:
    """The synthetic scene as a GeoTIFF (the same bytes at every commit)."""
    scene, _ = superad_geo.make_scene(SCENE_SIZE, 24, seed=3)
    path = folder / "synthetic.tif"
    values = np.asarray(scene.values, dtype=np.float32)
    profile = {"driver": "GTiff", "width": SCENE_SIZE[1], "height": SCENE_SIZE[0],
               "count": values.shape[0], "dtype": "float32", "crs": "EPSG:32633",
               "transform": from_origin(500000, 5800000, 2, 2), "nodata": -9999}  # fmt: skip
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(values)
    return path


def record(folder: Path, mat: Path) -> None:
    """Run the four cases into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    scene = synthetic_scene(folder)
    roi = np.zeros((100, 100), dtype=bool)
    roi[10:90, 20:95] = True
    common = {"seed": 0, "threads": 1, "overwrite": True}
    superad_geo.detect_file(mat, folder / "tile.tif", preset="fast", steps=5, tile_size=64,
                            overlap=16, mask_out=folder / "tile-mask.tif", far=0.01,
                            **common)  # fmt: skip
    superad_geo.detect_file(scene, folder / "scene.tif", preset="fast", steps=5,
                            training="scene", tile_size=128, overlap=32, **common)  # fmt: skip
    superad_geo.detect_file(mat, folder / "rx.tif", method="rx", roi=roi, **common)
    opened = superad_geo.open_scene(scene)
    scores = superad_geo.detect(opened, method="rx", tile_size=100, threads=1)
    np.savez(folder / "array.npz", scores=scores.values, attrs=json.dumps(scores.attrs))


def differences(before: Path, after: Path) -> list[str]:
    """What differs between two recorded folders, one line each."""
    found = []
    for name in ("tile.tif", "tile-mask.tif", "scene.tif", "rx.tif"):
        with rasterio.open(before / name) as a, rasterio.open(after / name) as b:
            if not np.array_equal(a.read(), b.read(), equal_nan=True):
                found.append(f"{name}: pixels differ")
            tags_a, tags_b = a.tags(), b.tags()
            for key in sorted(set(tags_a) | set(tags_b)):
                if tags_a.get(key) != tags_b.get(key):
                    found.append(f"{name}: tag {key}: {tags_a.get(key)!r} != {tags_b.get(key)!r}")
    with np.load(before / "array.npz") as a, np.load(after / "array.npz") as b:
        if not np.array_equal(a["scores"], b["scores"], equal_nan=True):
            found.append("array.npz: scores differ")
        if str(a["attrs"]) != str(b["attrs"]):
            found.append(f"array.npz: attrs {a['attrs']} != {b['attrs']}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run the cases into FOLDER")
    rec.add_argument("folder", type=Path)
    rec.add_argument("--mat", type=Path, default=MAT, help="the HAD cube (abu-beach-2.mat)")
    cmp = sub.add_parser("compare", help="compare two recorded folders")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args.folder, args.mat)
        print(f"recorded {args.folder}")
        return 0
    found = differences(args.before, args.after)
    print("\n".join(found) if found else "identical: every pixel and every tag of 5 results")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

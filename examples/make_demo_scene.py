"""Write the bundled demo scene: a small synthetic georeferenced cube and its truth.

Usage::

    python examples/make_demo_scene.py            # writes examples/data/demo_scene.tif
    superad-geo detect examples/data/demo_scene.tif scores.tif

The scene is 128 x 128 pixels x 60 bands (400-2500 nm, WGS 84 / UTM 33N,
30 m pixels), four background materials and implanted whole- and sub-pixel
anomalies; ``demo_truth.tif`` marks them (1 anomaly, 0 background). It is
deterministic: the same seed writes the same pixels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import rasterio

from superad_geo.scene.synthetic import make_scene

HERE = Path(__file__).resolve().parent


def write_demo(
    folder: Path, *, size: int = 128, bands: int = 60, seed: int = 0
) -> tuple[Path, Path]:
    """Write ``demo_scene.tif`` and ``demo_truth.tif`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    scene, truth = make_scene((size, size), bands, seed=seed)
    common = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "crs": scene.rio.crs,
        "transform": scene.rio.transform(),
        "tiled": True,
        "blockxsize": 64,
        "blockysize": 64,
        "compress": "deflate",
    }
    scene_path, truth_path = folder / "demo_scene.tif", folder / "demo_truth.tif"
    with rasterio.open(
        scene_path, "w", count=bands, dtype="float32", nodata=-9999.0, **common
    ) as ds:
        ds.write(np.asarray(scene.values, dtype=np.float32))
        for i, wl in enumerate(scene["wavelength"].values, start=1):
            ds.update_tags(i, wavelength=f"{wl:.2f}", wavelength_units="Nanometers")
            ds.set_band_description(i, f"band {i} ({wl:.2f} Nanometers)")
    with rasterio.open(truth_path, "w", count=1, dtype="uint8", **common) as ds:
        ds.write(np.asarray(truth.values, dtype=np.uint8), 1)
    return scene_path, truth_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data", help="output folder")
    parser.add_argument("--size", type=int, default=128, help="rows and columns")
    parser.add_argument("--bands", type=int, default=60, help="number of bands")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scene, truth = write_demo(args.out, size=args.size, bands=args.bands, seed=args.seed)
    print(f"wrote {scene} and {truth}")


if __name__ == "__main__":
    main()

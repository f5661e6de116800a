"""Probe (issue 23): one scene network per background type against one network, same steps.

The pixels of ``had-regions`` (made by ``scripts/make_large_scenes.py``) are cut into
``--types`` types: k-means of their spectra averaged over 5 × 5 pixels and projected on
10 principal components (``--oracle``: the source scene of each region instead). For
each type, a copy of the scene with every other pixel nodata is trained as a scene with
the ``fast`` preset for 200 steps × the share of the crops that hold the type, and
scored; each pixel takes its type's scores. One network then trains the scene for the
types' steps in all, its learning-rate decay stretched alike. Prints wall time, pooled
AUC and the mean AUC of the regions for both.

\b
    python benchmarks/background_types.py --seed 0
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from machine import cpu_model
from scene_speed import SCENES, accuracy, read_truth
from scipy import ndimage
from scipy.cluster.vq import kmeans2

from superad_geo import detect_file
from superad_geo.model.crops import crop_windows
from superad_geo.model.presets import FAST

SCENE = "had-regions"
SOURCES = 6  # had-regions fills region r with benchmark scene r % 6
NODATA = -9999.0


def spectral_types(cube: np.ndarray, types: int) -> np.ndarray:
    """``(y, x)`` k-means labels of the 5 × 5-averaged spectra on 10 principal components."""
    smooth = ndimage.uniform_filter(cube, size=(1, 5, 5))
    pixels = smooth.reshape(cube.shape[0], -1).T
    pixels = pixels - pixels.mean(axis=0)
    _, _, components = np.linalg.svd(pixels[::7], full_matrices=False)
    _, labels = kmeans2(pixels @ components[:10].T, types, seed=0, minit="++")
    return labels.reshape(cube.shape[1:])


def timed_scores(source: Path, out: Path, **options) -> tuple[np.ndarray, float]:
    """Run ``detect_file`` with the ``fast`` preset's scene training; scores and wall seconds."""
    start = time.perf_counter()
    detect_file(source, out, preset="fast", training="scene", overwrite=True, **options)
    with rasterio.open(out) as scores:
        return scores.read(1), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--types", type=int, default=6, help="k-means types (default 6)")
    parser.add_argument("--oracle", action="store_true", help="types = the source scenes")
    parser.add_argument("--seed", type=int, default=0, help="the networks' seed")
    args = parser.parse_args()
    truth, regions, _ = read_truth(SCENE)
    with rasterio.open(SCENES / f"{SCENE}.tif") as src:
        cube, profile = src.read().astype(np.float32), src.profile
    labels = regions.astype(int) % SOURCES if args.oracle else spectral_types(cube, args.types)
    windows = crop_windows(truth.shape, int(FAST["crop_size"]))
    combined = np.full(truth.shape, np.nan, np.float32)
    seconds, steps_in_all = 0.0, 0
    print(f"CPU: {cpu_model()}; {SCENE}, seed {args.seed}")
    with tempfile.TemporaryDirectory() as work:
        for kind in np.unique(labels):
            inside = labels == kind
            held = sum(bool(inside[w.rows, w.cols].any()) for w in windows)
            steps = max(1, round(FAST["steps"] * held / len(windows)))
            copy = Path(work) / f"type-{kind}.tif"
            with rasterio.open(copy, "w", **{**profile, "nodata": NODATA}) as dst:
                dst.write(np.where(inside[None], cube, NODATA).astype(profile["dtype"]))
            scores, spent = timed_scores(copy, copy.with_suffix(".scores.tif"), steps=steps,
                                         seed=args.seed)  # fmt: skip
            combined[inside] = scores[inside]
            seconds, steps_in_all = seconds + spent, steps_in_all + steps
            print(f"type {kind}: {inside.sum()} px, {held}/{len(windows)} crops, {steps} steps")
        lr_step = round(FAST["lr_step"] * steps_in_all / FAST["steps"])
        one, spent = timed_scores(SCENES / f"{SCENE}.tif", Path(work) / "one.tif",
                                  steps=steps_in_all, lr_step=lr_step, seed=args.seed)  # fmt: skip
    kind = "source scenes" if args.oracle else f"{args.types} k-means types"
    typed = accuracy(combined, truth, regions)
    print(f"{kind}, {steps_in_all} steps in all: {seconds:.0f} s,", typed)
    print(f"one network, {steps_in_all} steps: {spent:.0f} s,", accuracy(one, truth, regions))


if __name__ == "__main__":
    main()

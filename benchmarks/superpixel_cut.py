"""Fraction of superpixels cut by a tile edge, with and without the context halo.

A superpixel of a tile is *cut* when it has pixels in the tile's core and
touches an edge of the scored (padded) window that lies inside the scene:
it continues beyond what the tile saw, so its pooled token is a partial mean.
The halo moves those edges away from the core.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/superpixel_cut.py [--size 512] [--tile-size 256]
"""

from __future__ import annotations

import argparse

import numpy as np

from superad_geo.detectors.superad import default_halo
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.scene.synthetic import make_scene
from superad_geo.scene.tiling import tile_windows


def cut_fraction(cube: np.ndarray, tile_size: int, halo: int, preset: str, wl) -> tuple[int, int]:
    """Return (cut superpixels, superpixels with core pixels) summed over tiles."""
    _, rows, cols = cube.shape
    options = resolve_params(preset, wavelengths=wl)
    lo, hi = float(cube.min()), float(cube.max())
    cut = total = 0
    for tile in tile_windows((rows, cols), tile_size, 0, halo=halo):
        p = tile.padded
        prepared = prepare_cube(cube[:, p.rows, p.cols], options, scaling=(lo, hi))
        labels = prepared.labels
        r, c = tile.window.within(p)
        in_core = np.unique(labels[r, c])
        edges = []
        if p.row_off > 0:
            edges.append(labels[0, :])
        if p.row_off + p.height < rows:
            edges.append(labels[-1, :])
        if p.col_off > 0:
            edges.append(labels[:, 0])
        if p.col_off + p.width < cols:
            edges.append(labels[:, -1])
        touching = np.unique(np.concatenate(edges)) if edges else np.array([], int)
        cut += int(np.isin(in_core, touching).sum())
        total += int(in_core.size)
    return cut, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--tile-size", type=int, default=256)
    parser.add_argument("--bands", type=int, default=60)
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()
    scene, _ = make_scene((args.size, args.size), args.bands, seed=0)
    cube = scene.values
    wl = [float(v) for v in scene["wavelength"].values]
    sp = resolve_params(args.preset)["superpixel_size"]
    for halo in (0, default_halo(sp)):
        cut, total = cut_fraction(cube, args.tile_size, halo, args.preset, wl)
        print(
            f"{args.size}^2 scene, {args.tile_size} px tiles, halo {halo}: "
            f"{cut}/{total} superpixels cut ({100 * cut / total:.1f} %)",
            flush=True,
        )


if __name__ == "__main__":
    main()

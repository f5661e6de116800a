"""Build large test scenes with ground truth (test data, not committed).

Writes, as float32 GeoTIFFs ``<name>.tif`` with a ``<name>.truth.tif`` (uint8, 1 = anomaly)
beside each, into ``--out`` (default ``out/large-scenes/``, git-ignored):

Mosaics of benchmark scenes carry their block side as the truth's
``BLOCK_SIZE`` tag, so that benchmarks can give an AUC per block (one
background each) beside the AUC over the whole scene.

``grid-1000``
    1000 × 1000 × 200 bands: a 10 × 10 grid of the six benchmark scenes of
    ``../shared/data/had/``, each block a seeded random choice under a random
    flip and quarter turn, for speed.
``had-mosaic``
    200 × 300 × 200 bands: the six benchmark scenes side by side, 2 rows of 3,
    a scene with several backgrounds.
``had-regions``
    320 × 256 × 200 bands: the six benchmark scenes in twelve irregular
    regions (a seeded Voronoi partition), each region filled with one scene
    (chosen in turn, under a random flip and quarter turn, mirrored across
    its edges where the region is larger than the scene), so that no
    background boundary falls on a grid of any size. No ``BLOCK_SIZE``:
    its truth carries the region of each pixel instead (``REGIONS`` band 2).
``enmap-implants``
    The EnMAP mosaic (``../shared/data/enmap-potsdam/mosaic.vrt``, 192 × 160 × 224,
    with nodata gaps) with implanted targets: a foreign spectrum (the mean
    spectrum of a benchmark scene's anomalies, resampled to EnMAP's bands)
    linearly mixed into blobs of 1–9 pixels at fractions 0.1–1.0.

Every benchmark scene is brought to 200 bands by linear interpolation along
its band axis and scaled to its own [0, 1] (min–max over the cube), so scenes
of different sensors and units sit side by side; ``hydice-urban`` (80 rows) is
reflect-padded to 100 rows, its truth with it.

\b
    python scripts/make_large_scenes.py
    python scripts/make_large_scenes.py --only had-mosaic --out /tmp/scenes
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from superad_geo.model.pretrained import band_grid_matrix
from superad_geo.scene.mat import read_mat

ROOT = Path(__file__).resolve().parents[1]
HAD_DIR = ROOT.parent / "shared" / "data" / "had"
ENMAP_VRT = ROOT.parent / "shared" / "data" / "enmap-potsdam" / "mosaic.vrt"
BANDS = 200
BLOCK = 100
CRS = "EPSG:32633"
NAMES = ("grid-1000", "had-mosaic", "had-regions", "enmap-implants")


def benchmark_blocks() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The six benchmark scenes as (name, (BANDS, 100, 100) float32 in [0, 1], truth)."""
    blocks = []
    for path in sorted(HAD_DIR.glob("*.mat")):
        scene, truth = read_mat(path)
        cube = on_band_grid(scene.values)
        pad = BLOCK - cube.shape[1]
        if pad > 0:
            cube = np.pad(cube, ((0, 0), (0, pad), (0, 0)), mode="reflect")
            truth = np.pad(truth, ((0, pad), (0, 0)), mode="reflect")
        blocks.append(
            (path.stem, cube[:, :BLOCK, :BLOCK].astype(np.float32), truth[:BLOCK, :BLOCK])
        )
    return blocks


def on_band_grid(cube: np.ndarray) -> np.ndarray:
    """A ``(band, y, x)`` cube brought to ``BANDS`` bands by index and scaled to [0, 1]."""
    cube = np.asarray(cube, dtype=np.float64)
    cube = np.tensordot(band_grid_matrix(cube.shape[0], BANDS), cube, axes=1)
    return (cube - cube.min()) / (cube.max() - cube.min())


def grid_scene(blocks, cells: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``cells × cells`` grid of randomly chosen, flipped and turned blocks."""
    rng = np.random.default_rng(seed)
    cube = np.empty((BANDS, cells * BLOCK, cells * BLOCK), np.float32)
    truth = np.empty((cells * BLOCK, cells * BLOCK), np.uint8)
    for row in range(cells):
        for col in range(cells):
            _, block, block_truth = blocks[rng.integers(len(blocks))]
            turns, flip = int(rng.integers(4)), bool(rng.integers(2))
            block = np.rot90(block, turns, axes=(1, 2))
            block_truth = np.rot90(block_truth, turns)
            if flip:
                block, block_truth = block[:, :, ::-1], block_truth[:, ::-1]
            rows, cols = (
                slice(row * BLOCK, (row + 1) * BLOCK),
                slice(col * BLOCK, (col + 1) * BLOCK),
            )
            cube[:, rows, cols] = block
            truth[rows, cols] = block_truth
    return cube, truth


def mosaic_scene(blocks) -> tuple[np.ndarray, np.ndarray]:
    """The six blocks in 2 rows of 3, in name order."""
    rows = [
        (
            np.concatenate([b[1] for b in blocks[i : i + 3]], axis=2),
            np.concatenate([b[2] for b in blocks[i : i + 3]], axis=1),
        )
        for i in (0, 3)
    ]
    return np.concatenate([r[0] for r in rows], axis=1), np.concatenate(
        [r[1] for r in rows], axis=0
    )


def regions_scene(
    blocks, shape: tuple[int, int], regions: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``regions`` Voronoi cells of seeded centres, each filled with one block.

    Returns the cube, its truth and the cell of each pixel.
    """
    rng = np.random.default_rng(seed)
    rows, cols = shape
    centres = rng.uniform((0, 0), shape, size=(regions, 2))
    grid = np.stack(np.mgrid[:rows, :cols], axis=-1).astype(float)
    cells = np.argmin(((grid[:, :, None] - centres) ** 2).sum(axis=-1), axis=-1)
    cube = np.empty((BANDS, rows, cols), np.float32)
    truth = np.empty(shape, np.uint8)
    for cell in range(regions):
        _, block, block_truth = blocks[cell % len(blocks)]
        turns, flip = int(rng.integers(4)), bool(rng.integers(2))
        block, block_truth = np.rot90(block, turns, axes=(1, 2)), np.rot90(block_truth, turns)
        if flip:
            block, block_truth = block[:, :, ::-1], block_truth[:, ::-1]
        offset = rng.integers(0, BLOCK, size=2)
        # the block mirrored across its edges to the scene's size, shifted by a random offset
        index = np.ix_(_mirror(rows, offset[0]), _mirror(cols, offset[1]))
        inside = cells == cell
        cube[:, inside] = block[:, index[0], index[1]][:, inside]
        truth[inside] = block_truth[index][inside]
    return cube, truth, cells.astype(np.uint8)


def _mirror(length: int, offset: int) -> np.ndarray:
    """Indices into a BLOCK-long axis that run back and forth over it, ``length`` of them."""
    position = (np.arange(length) + offset) % (2 * BLOCK)
    return np.where(position < BLOCK, position, 2 * BLOCK - 1 - position)


def implant_scene(seed: int, targets: int = 40) -> tuple[np.ndarray, np.ndarray, dict]:
    """The EnMAP mosaic with ``targets`` blobs of a foreign spectrum mixed in."""
    with rasterio.open(ENMAP_VRT) as src:
        cube = src.read().astype(np.float32)
        profile = src.profile
        nodata = src.nodata
        wavelengths = [src.tags(b).get("wavelength") for b in src.indexes]
        descriptions = src.descriptions
    valid = ~(cube == nodata).all(axis=0)
    usable = ~(cube == nodata).all(axis=(1, 2))
    # the foreign spectrum: abu-beach-2's anomalies, band axis stretched to EnMAP's usable bands
    scene, truth = read_mat(HAD_DIR / "abu-beach-2.mat")
    foreign = scene.values[:, truth.astype(bool)].mean(axis=1).astype(np.float64)
    foreign = np.interp(
        np.linspace(0, 1, int(usable.sum())), np.linspace(0, 1, foreign.size), foreign
    )
    background = cube[:, valid][usable].mean(axis=1)
    foreign = foreign / foreign.mean() * background.mean()
    rng = np.random.default_rng(seed)
    implanted = np.zeros(valid.shape, np.uint8)
    rows, cols = valid.shape
    placed = 0
    while placed < targets:
        size = int(rng.integers(1, 10))
        fraction = float(rng.uniform(0.1, 1.0))
        r, c = int(rng.integers(3, rows - 6)), int(rng.integers(3, cols - 6))
        blob = _blob(rng, size, r, c)
        if not all(valid[p] for p in blob) or implanted[r - 3 : r + 6, c - 3 : c + 6].any():
            continue
        for p in blob:
            spectrum = cube[usable, p[0], p[1]]
            cube[usable, p[0], p[1]] = (1 - fraction) * spectrum + fraction * foreign
            implanted[p] = 1
        placed += 1
    return cube, implanted, {"profile": profile, "wavelengths": wavelengths, "names": descriptions}


def _blob(rng: np.random.Generator, size: int, row: int, col: int) -> list[tuple[int, int]]:
    """``size`` 4-connected pixels grown from (row, col), inside a 3-pixel radius."""
    blob = [(row, col)]
    while len(blob) < size:
        r, c = blob[int(rng.integers(len(blob)))]
        dr, dc = [(0, 1), (1, 0), (0, -1), (-1, 0)][int(rng.integers(4))]
        candidate = (r + dr, c + dc)
        if candidate not in blob and abs(candidate[0] - row) <= 2 and abs(candidate[1] - col) <= 2:
            blob.append(candidate)
    return blob


def write(
    out: Path,
    name: str,
    cube: np.ndarray,
    truth: np.ndarray,
    profile=None,
    meta=None,
    block: int | None = None,
    regions: np.ndarray | None = None,
):
    """Write ``<name>.tif`` (tiled, float32) and ``<name>.truth.tif``.

    ``block``: the side of the scene's blocks (mosaics of benchmark scenes),
    kept as the truth's ``BLOCK_SIZE`` tag for per-block AUCs; ``regions``:
    the background region of each pixel, kept as the truth's second band
    (``REGIONS``) for per-region AUCs.
    """
    out.mkdir(parents=True, exist_ok=True)
    if profile is None:
        profile = {"crs": CRS, "transform": Affine(30.0, 0, 500000.0, 0, -30.0, 5800000.0)}
    common = {
        "driver": "GTiff",
        "height": cube.shape[1],
        "width": cube.shape[2],
        "crs": profile["crs"],
        "transform": profile["transform"],
        "tiled": True,
        "blockxsize": 128,
        "blockysize": 128,
    }
    nodata = profile.get("nodata")
    with rasterio.open(
        out / f"{name}.tif",
        "w",
        count=cube.shape[0],
        dtype="float32",
        nodata=nodata,
        interleave="pixel",
        **common,
    ) as dst:
        dst.write(cube)
        if meta:
            for band, wavelength in enumerate(meta["wavelengths"], start=1):
                if wavelength is not None:
                    dst.update_tags(band, wavelength=wavelength)
            dst.descriptions = meta["names"]
    bands = [truth] if regions is None else [truth, regions]
    with rasterio.open(
        out / f"{name}.truth.tif", "w", count=len(bands), dtype="uint8", **common
    ) as dst:
        dst.write(np.stack(bands).astype(np.uint8))
        if block:
            dst.update_tags(BLOCK_SIZE=block)
        if regions is not None:
            dst.update_tags(REGIONS=2)
    print(
        f"{out / name}.tif: {cube.shape[1]}×{cube.shape[2]}×{cube.shape[0]}, "
        f"{int(truth.sum())} anomalous pixels"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "large-scenes")
    parser.add_argument("--only", choices=NAMES, action="append", help="build only these")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = args.only or NAMES
    blocks = benchmark_blocks() if {"grid-1000", "had-mosaic", "had-regions"} & set(names) else []
    if "grid-1000" in names:
        write(args.out, "grid-1000", *grid_scene(blocks, 10, args.seed), block=BLOCK)
    if "had-mosaic" in names:
        write(args.out, "had-mosaic", *mosaic_scene(blocks), block=BLOCK)
    if "had-regions" in names:
        cube, truth, regions = regions_scene(blocks, (320, 256), 12, args.seed)
        write(args.out, "had-regions", cube, truth, regions=regions)
    if "enmap-implants" in names:
        cube, truth, meta = implant_scene(args.seed)
        write(args.out, "enmap-implants", cube, truth, meta["profile"], meta)


if __name__ == "__main__":
    main()

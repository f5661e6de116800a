"""Planning a run: open, select bands, scene statistics, tiles and the fingerprint."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from superad_geo.detectors.rx import rx_block_moments, rx_statistics
from superad_geo.errors import InputError
from superad_geo.model.presets import PRESETS
from superad_geo.pipeline.execute import Executor
from superad_geo.pipeline.tasks import automatic_batch_size
from superad_geo.scene.bands import select_bands
from superad_geo.scene.io import open_scene, prepare_scene, read_roi
from superad_geo.scene.statistics import SceneStatistics, scene_statistics
from superad_geo.scene.tiling import Tile, default_halo, tile_windows
from superad_geo.scene.validity import declares_nodata

DEFAULT_TILE_SIZE = 512
DEFAULT_OVERLAP = 64

#: Rows of the mosaic assembled at a time when writing.
WRITE_ROWS = 512

#: Version of the work-folder layout; bump when tile files change meaning.
WORK_FORMAT = 1

ProgressCallback = Callable[[int, int, str], None]
METHODS = ("superad", "rx")


@dataclass
class Run:
    """Everything fixed before tiles are processed."""

    scene: xr.DataArray  # (band, y, x), kept bands only
    roi: Any  # (y, x) bool numpy/dask array or None
    stats: SceneStatistics
    tiles: list[Tile]
    config: dict[str, Any]
    parameters: dict[str, Any]
    fingerprint: str
    done: dict[str, Any] = field(default_factory=dict)



def _superpixel_size(preset: str, params: Mapping[str, Any]) -> float | None:
    value = params.get("superpixel_size") or PRESETS.get(preset, {}).get("superpixel_size")
    return float(value) if value else None


def default_threads(workers: int, distributed: bool) -> int:
    if distributed:
        return 1
    import torch

    return max(1, torch.get_num_threads() // max(1, workers))


def scene_blocks(scene: xr.DataArray, roi: Any) -> list[tuple[Any, Any]]:
    """All-band blocks of the scene (its spatial chunks) with matching ROI blocks."""
    data = scene.data
    if not isinstance(data, da.Array):  # pragma: no cover - prepare_scene makes dask
        data = da.from_array(data, chunks=(-1, 1024, 1024))
    if data.numblocks[0] != 1:
        data = data.rechunk({0: -1})
    row_edges = np.cumsum((0,) + data.chunks[1])
    col_edges = np.cumsum((0,) + data.chunks[2])
    out = []
    for r0, r1 in zip(row_edges[:-1], row_edges[1:], strict=True):
        for c0, c1 in zip(col_edges[:-1], col_edges[1:], strict=True):
            block = data[:, r0:r1, c0:c1]
            out.append((block, None if roi is None else roi[r0:r1, c0:c1]))
    return out


def source_identity(src: Any, scene: xr.DataArray) -> dict[str, Any]:
    """What identifies the input for resuming (never written to output tags)."""
    ident: dict[str, Any] = {"name": str(scene.attrs.get("source", scene.name))}
    if isinstance(src, (str, os.PathLike)) and os.path.exists(os.fspath(src)):
        st = os.stat(os.fspath(src))
        ident.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    elif isinstance(scene.data, da.Array):
        ident["dask"] = scene.data.name
    return ident


def plan_run(
    scene_or_src: Any,
    *,
    tile_size: int | Sequence[int],
    overlap: int | Sequence[int],
    halo: int | None,
    preset: str,
    steps: int | None,
    seed: int,
    device: str,
    bands: Any,
    drop_water_bands: bool,
    nodata: float | None,
    roi: Any,
    method: str,
    scaling: Any,
    threads: int,
    batch_size: int | None,
    params: Mapping[str, Any],
    executor: Executor,
    progress: ProgressCallback | None,
    cached: Mapping[str, Any] | None = None,
) -> Run:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if isinstance(scene_or_src, xr.DataArray):
        scene = prepare_scene(scene_or_src, nodata=nodata)
    else:
        scene = open_scene(scene_or_src, nodata=nodata)
    identity = source_identity(scene_or_src, scene)
    scene = select_bands(scene, bands, drop_water_bands=drop_water_bands)
    rows, cols = scene.sizes["y"], scene.sizes["x"]
    roi_mask = read_roi(roi, scene) if roi is not None else None
    if scaling is None:
        preset_scaling = PRESETS.get(preset, {}).get("input_scaling", "minmax")
        scaling = "minmax" if method == "rx" else preset_scaling
    if halo is None:
        halo = default_halo(_superpixel_size(preset, params)) if method == "superad" else 0
    if method == "rx":
        overlap, halo = 0, 0
    transform = scene.rio.transform()
    parameters: dict[str, Any] = {
        "method": method,
        "tile_size": tile_size,
        "overlap": overlap,
        "halo": halo,
        "bands": bands if bands is None or isinstance(bands, str) else list(bands),
        "drop_water_bands": bool(drop_water_bands),
        "nodata": nodata,
        "roi": None
        if roi is None
        else (os.path.basename(os.fspath(roi)) if isinstance(roi, (str, os.PathLike)) else "array"),
        "scaling": scaling if isinstance(scaling, str) else [float(v) for v in scaling],
        "normalisation": "median-mad" if method == "superad" else "none",
    }
    if method == "superad":
        parameters.update(
            preset=preset,
            steps=steps,
            seed=seed,
            device=device,
            params=dict(params),
            threads=threads,
            batch_size=batch_size or "auto",
        )
    pre_key = {
        "format": WORK_FORMAT,
        "source": identity,
        "shape": [int(v) for v in scene.shape],
        "band_numbers": [int(v) for v in scene["band"].values],
        "transform": list(transform)[:6],
        "parameters": parameters,
    }
    fingerprint = hashlib.sha256(
        json.dumps(pre_key, sort_keys=True, default=str).encode()
    ).hexdigest()[:20]
    blocks = scene_blocks(scene, roi_mask)
    if cached and cached.get("fingerprint") == fingerprint and "stats" in cached:
        stats = SceneStatistics.from_dict(cached["stats"])
    else:
        stats = scene_statistics(
            blocks,
            scene.sizes["band"],
            scaling=scaling,
            mapper=executor.ordered,
            progress=progress,
            nodata_declared=declares_nodata(scene_or_src, nodata),
        )
    keep = np.flatnonzero(stats.keep)
    if keep.size < scene.sizes["band"]:
        scene = scene.isel(band=keep)
        blocks = scene_blocks(scene, roi_mask)
    wavelengths = None
    if "wavelength" in scene.coords:
        wl = np.asarray(scene["wavelength"].values, dtype=float)
        if np.isfinite(wl).all():
            wavelengths = [float(v) for v in wl]
    config: dict[str, Any] = {
        "method": method,
        "fill": stats.fill[keep],
        "lo": stats.lo,
        "hi": stats.hi,
        "preset": preset,
        "steps": steps,
        "seed": seed,
        "device": device,
        "threads": threads,
        "batch_size": batch_size,
        "params": {**dict(params), **({"wavelengths": wavelengths} if wavelengths else {})},
    }
    if method == "rx":
        shift = np.asarray(stats.fill[keep], dtype=np.float64)
        items = [(b, r, config["fill"], shift) for b, r in blocks]
        moments = []
        for i, m in enumerate(executor.ordered(rx_block_moments, items)):
            moments.append(m)
            if progress is not None:
                progress(i + 1, len(items), "rx")
        config["rx"] = rx_statistics(moments, shift)
    parameters["scaling_range"] = [stats.lo, stats.hi]
    parameters["bands_used"] = int(keep.size)
    tiles = tile_windows((rows, cols), tile_size, overlap, halo=halo, transform=transform)
    if config["batch_size"] is None:
        largest = max(tile.padded.height * tile.padded.width for tile in tiles)
        config["batch_size"] = (
            automatic_batch_size(device, largest, int(keep.size)) if method == "superad" else 1
        )
    return Run(scene, roi_mask, stats, tiles, config, parameters, fingerprint)


"""Planning a run: open, select bands, tiles, scene statistics and the fingerprint.

Also what the command line asks before a run: :func:`preflight` (is the
scene usable by the method?) and :func:`tile_plan` (the tiles a run would
make), so ``info`` shows the plan ``detect`` follows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from superad_geo.detectors import get_detector
from superad_geo.detectors.base import WindowReader
from superad_geo.errors import InputError
from superad_geo.options import DetectOptions, Execution
from superad_geo.pipeline.execute import Executor
from superad_geo.pipeline.resume import load_fit, save_fit
from superad_geo.scene.bands import scene_wavelengths, select_bands
from superad_geo.scene.identity import content_identity
from superad_geo.scene.io import open_scene, prepare_scene
from superad_geo.scene.roi import read_roi
from superad_geo.scene.statistics import SceneStatistics, scene_statistics
from superad_geo.scene.tiling import Tile, cheaper_tile_size, tile_windows, work_ratio
from superad_geo.scene.validity import declares_nodata, read_filled

#: Rows of the mosaic assembled at a time when writing.
WRITE_ROWS = 512

#: Version of the work-folder layout; bump when tile files change meaning.
WORK_FORMAT = 1

#: A tiling scoring more than this many pixels per scene pixel (halo and overlap
#: scored again by every tile) is warned about, naming a tile size that scores
#: at most :data:`CHEAP_RATIO` times the scene.
WORK_RATIO_WARNING = 2.0
CHEAP_RATIO = 1.5

ProgressCallback = Callable[[int, int, str], None]


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


def source_identity(src: Any, scene: xr.DataArray) -> Any:
    """What identifies the input for resuming: a file's content, an array's dask name."""
    if isinstance(src, xr.DataArray):
        return {"name": str(scene.attrs.get("source", scene.name)), "dask": scene.data.name}
    return content_identity(src)


def resolve(options: DetectOptions) -> DetectOptions:
    """``options`` with the detector's overlap, halo and scaling filled in."""
    detector = get_detector(options.method)
    overlap, halo = detector.tiling(options)
    return dataclasses.replace(
        options, overlap=overlap, halo=halo, scaling=detector.scaling(options)
    )


def tile_plan(scene: xr.DataArray, options: DetectOptions) -> tuple[DetectOptions, list[Tile]]:
    """The resolved options and the tiles of a run on a band-selected ``scene``.

    Raises
    ------
    TilingError
        If the tile size, overlap and halo make no tiling of this scene.
    """
    resolved = resolve(options)
    shape = (scene.sizes["y"], scene.sizes["x"])
    tiles = tile_windows(
        shape,
        resolved.tile_size,
        resolved.overlap,
        halo=resolved.halo,
        transform=scene.rio.transform(),
    )
    warn_costly_tiling(shape, resolved)
    return resolved, tiles


def warn_costly_tiling(shape: tuple[int, int], resolved: DetectOptions) -> None:
    """Warn when the tiles' halo and overlap make the detector score over 2× the scene's pixels.

    The warning names a tile size that scores at most 1.5× (or the least).
    """
    ratio = work_ratio(shape, resolved.tile_size, resolved.overlap, resolved.halo)
    if ratio <= WORK_RATIO_WARNING:
        return
    overlaps = _as_tuple(resolved.overlap)
    better, better_ratio = cheaper_tile_size(
        shape, resolved.tile_size, max(overlaps), resolved.halo, CHEAP_RATIO
    )
    size = "×".join(str(v) for v in _as_tuple(resolved.tile_size))
    overlap = "×".join(str(v) for v in overlaps)
    warnings.warn(
        f"tiles of {size} px with a {overlap}-px overlap and a {resolved.halo}-px halo make "
        f"the detector process {ratio:.1f}× the scene's {shape[0]}×{shape[1]} pixels; "
        f"a tile size of {better} px would process {better_ratio:.1f}×",
        UserWarning,
        stacklevel=3,
    )


def _as_tuple(value: int | Sequence[int]) -> tuple[int, ...]:
    return (int(value),) if isinstance(value, int) else tuple(int(v) for v in value)


def preflight(src: Any, options: DetectOptions) -> xr.DataArray:
    """Check that the method can score the scene; return the band-selected lazy scene.

    Reads no pixel: the file's metadata, the band selection and the scene's
    size against what the detector needs.

    Raises
    ------
    InputError
        If the file cannot be read as a raster, has fewer bands than the
        method needs, or is too small for it.
    BandSelectionError
        If the band specification selects nothing.
    """
    detector = get_detector(options.method)
    scene = open_checked(src, nodata=options.nodata)
    scene = select_bands(scene, options.bands, drop_water_bands=options.drop_water_bands)
    n_bands, rows, cols = (int(v) for v in scene.shape)
    name = src if isinstance(src, (str, os.PathLike)) else "the scene"
    if n_bands < detector.min_bands:
        raise InputError(
            f"{os.fspath(name)!r} has {n_bands} usable band{'s' if n_bands != 1 else ''}; "
            f"method {options.method!r} needs at least {detector.min_bands}"
        )
    problem = detector.check_scene(options, rows, cols)
    if problem is not None:
        raise InputError(f"{os.fspath(name)!r} {problem}; use a larger scene or method 'rx'")
    tile_plan(scene, options)
    return scene


def open_checked(src: Any, *, nodata: float | None = None) -> xr.DataArray:
    """:func:`superad_geo.open_scene`, with any reading failure turned into ``InputError``."""
    from superad_geo.errors import SuperadGeoError
    from superad_geo.files import one_line

    try:
        return open_scene(src, nodata=nodata)
    except SuperadGeoError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is bad input
        raise InputError(f"cannot read {os.fspath(src)!r} as a raster: {one_line(exc)}") from exc


def window_reader(data: Any, roi: Any, fill: np.ndarray) -> WindowReader:
    """A reader of any window (with ``rows`` and ``cols`` slices) of a ``(band, y, x)`` scene."""

    def read(window: Any) -> tuple[np.ndarray, np.ndarray]:
        roi_window = None if roi is None else roi[window.rows, window.cols]
        return read_filled(data[:, window.rows, window.cols], roi_window, fill)

    return read


def plan_run(
    scene_or_src: Any,
    options: DetectOptions,
    execution: Execution,
    *,
    executor: Executor,
    progress: ProgressCallback | None,
    cached: Mapping[str, Any] | None = None,
) -> Run:
    """Open the scene, fix its tiles and statistics, and the tile tasks' configuration.

    ``execution.threads`` must be resolved (not None). Options are checked
    and the tiles made before the statistics pass, the first read of pixels.
    """
    detector = get_detector(options.method)
    if isinstance(scene_or_src, xr.DataArray):
        scene = prepare_scene(scene_or_src, nodata=options.nodata)
        as_given = scene_or_src
    else:
        scene = as_given = open_scene(scene_or_src, nodata=options.nodata)
    identity = source_identity(scene_or_src, scene)
    scene = select_bands(scene, options.bands, drop_water_bands=options.drop_water_bands)
    roi_mask = read_roi(options.roi, scene) if options.roi is not None else None
    resolved, tiles = tile_plan(scene, options)
    parameters: dict[str, Any] = {
        **resolved.record(),
        "normalisation": detector.normalisation,
        **detector.record(resolved, execution),
    }
    pre_key = {
        "format": WORK_FORMAT,
        "source": identity,
        "shape": [int(v) for v in scene.shape],
        "band_numbers": [int(v) for v in scene["band"].values],
        "transform": list(scene.rio.transform())[:6],
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
            scaling=resolved.scaling,
            mapper=executor.ordered,
            progress=progress,
            nodata_declared=declares_nodata(as_given, options.nodata),
        )
    keep = np.flatnonzero(stats.keep)
    if keep.size < scene.sizes["band"]:
        scene = scene.isel(band=keep)
        blocks = scene_blocks(scene, roi_mask)
    wl = scene_wavelengths(scene)
    wavelengths = None if wl is None else [float(v) for v in wl]
    config: dict[str, Any] = {
        "method": options.method,
        "fill": stats.fill[keep],
        "lo": stats.lo,
        "hi": stats.hi,
        "threads": execution.threads,
        "batch_size": execution.batch_size,
        **detector.config(resolved, execution, wavelengths),
    }
    config.update(detector.scene_pass(blocks, config["fill"], executor.ordered, progress))
    parameters["scaling_range"] = [stats.lo, stats.hi]
    parameters["bands_used"] = int(keep.size)
    if config["batch_size"] is None:
        largest = max(tile.padded.height * tile.padded.width for tile in tiles)
        config["batch_size"] = detector.batch_size(execution, largest, int(keep.size))
    return Run(scene, roi_mask, stats, tiles, config, parameters, fingerprint)


def fit_model(run: Run, work: Path | None, progress: ProgressCallback | None) -> None:
    """Put the detector's model of the whole scene (Super-AD's scene training) in the run.

    The model is fitted once: it is kept in the work folder ``work`` with the
    run's fingerprint, and an interrupted run of the same fingerprint takes it
    from there instead of fitting it again.
    """
    detector = get_detector(run.config["method"])
    model = load_fit(work, run.fingerprint) if work is not None else None
    if model is None:
        reader = window_reader(run.scene.data, run.roi, run.config["fill"])
        shape = (run.scene.sizes["y"], run.scene.sizes["x"])
        model = detector.fit(reader, shape, run.config, progress)
        if work is not None:
            save_fit(work, run.fingerprint, model)
    run.config.update(model)
    run.parameters.update(detector.resources_used(run.config))

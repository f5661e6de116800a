"""Planning a run before any pixel is read: open, select bands, check, tile, fingerprint; once.

:func:`plan_scene` opens the scene, selects its bands and asks the detector
whether it can score it and how its tiles are cut (also what ``info``
shows); :func:`plan_run` adds what a run records (the region of interest,
the options' record, the fingerprint of the input's content and options).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from superad_geo.detectors import get_detector
from superad_geo.detectors.base import Detector, Estimate
from superad_geo.errors import InputError
from superad_geo.options import DetectOptions, Execution
from superad_geo.pipeline.fingerprint import result_fingerprint, source_identity
from superad_geo.scene.bands import select_bands
from superad_geo.scene.io import open_scene, prepare_scene
from superad_geo.scene.roi import read_roi
from superad_geo.scene.statistics import SceneStatistics
from superad_geo.scene.tiling import Tile, cheaper_tile_size, tile_windows, work_ratio
from superad_geo.scene.validity import declares_nodata

#: Version of the work-folder layout; bump when tile files change meaning.
WORK_FORMAT = 1

#: A tiling scoring more than this many pixels per scene pixel (halo and overlap
#: scored again by every tile) is warned about, naming a tile size that scores
#: at most :data:`CHEAP_RATIO` times the scene.
WORK_RATIO_WARNING = 2.0
CHEAP_RATIO = 1.5


@dataclass(frozen=True)
class ScenePlan:
    """A scene as a run would score it: opened, its bands selected, checked and tiled."""

    detector: Detector
    options: DetectOptions
    """The options with the detector's overlap, halo and scaling filled in."""
    opened: xr.DataArray
    """The scene as opened: every band, nodata as NaN."""
    scene: xr.DataArray
    """The selected bands, ``(band, y, x)``."""
    tiles: list[Tile]
    nodata_declared: bool
    """Whether the input's NaN are its declared nodata (a stray NaN is warned about)."""


@dataclass
class Run:
    """Everything a run fixes before the tiles: the plan, then what the pixels told."""

    plan: ScenePlan
    execution: Execution
    """Threads resolved; the batch size once the bands are known (:func:`prepare_run`)."""
    roi: Any
    """``(y, x)`` bool numpy/dask array, or None."""
    parameters: dict[str, Any]
    """The record written in the output's tags."""
    fingerprint: str
    """The result's fingerprint: the input's content and the options it depends on."""
    work_key: str
    """Key of the work folder: the fingerprint and how the run is executed."""
    scene: xr.DataArray
    """The bands scored: the plan's, less those without any valid value."""
    stats: SceneStatistics | None = None
    state: Any = None
    """The detector's per-run state (:meth:`~superad_geo.detectors.base.Detector.prepare`)."""
    done: dict[str, str] = field(default_factory=dict)

    @property
    def detector(self) -> Detector:
        return self.plan.detector

    @property
    def tiles(self) -> list[Tile]:
        return self.plan.tiles

    @property
    def fill(self) -> np.ndarray:
        """Per-band fill value of nodata, of the bands scored."""
        return self.stats.fill[self.stats.keep]


def resolve(options: DetectOptions, shape: tuple[int, int]) -> DetectOptions:
    """``options`` with the detector's overlap, halo and scaling for a ``(rows, cols)`` scene."""
    detector = get_detector(options.method)
    overlap, halo = detector.tiling(options, shape)
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
    shape = (scene.sizes["y"], scene.sizes["x"])
    resolved = resolve(options, shape)
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
        stacklevel=4,
    )


def _as_tuple(value: int | Sequence[int]) -> tuple[int, ...]:
    return (int(value),) if isinstance(value, int) else tuple(int(v) for v in value)


def plan_scene(
    source: Any,
    options: DetectOptions,
    execution: Execution | None = None,
    *,
    band_dim: str | None = None,
    check: bool = True,
) -> ScenePlan:
    """Open ``source`` (a path or a DataArray), select its bands, check and tile it.

    Reads no pixel: the file's metadata, the band selection and, with
    ``check``, the options and the scene's size against what the detector
    needs (``info`` describes scenes the detector cannot score: no ``check``).

    Raises
    ------
    OptionError
        If the options do not suit the method (unknown method, preset, parameter).
    InputError
        If the file cannot be read as a raster, has fewer bands than the
        method needs, or is too small for it.
    BandSelectionError
        If the band specification selects nothing.
    TilingError
        If the options make no tiling of the scene.
    """
    detector = get_detector(options.method)
    if check:
        detector.check(options, execution or Execution())
    if isinstance(source, xr.DataArray):
        opened = prepare_scene(source, nodata=options.nodata, band_dim=band_dim)
        declared = declares_nodata(source, options.nodata)
    else:
        opened = open_scene(source, nodata=options.nodata)
        declared = declares_nodata(opened, options.nodata)
    scene = select_bands(opened, options.bands, drop_water_bands=options.drop_water_bands)
    if check:
        _check_scene(detector, options, source, scene)
    resolved, tiles = tile_plan(scene, options)
    return ScenePlan(detector, resolved, opened, scene, tiles, declared)


def _check_scene(detector: Detector, options: DetectOptions, source: Any, scene: Any) -> None:
    """Refuse a band-selected scene with too few bands, or too small, for the detector."""
    n_bands, rows, cols = (int(v) for v in scene.shape)
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "the scene"
    if n_bands < detector.min_bands:
        raise InputError(
            f"{name!r} has {n_bands} usable band{'s' if n_bands != 1 else ''}; "
            f"method {options.method!r} needs at least {detector.min_bands}"
        )
    problem = detector.check_scene(options, rows, cols)
    if problem is not None:
        raise InputError(f"{name!r} {problem}; use a larger scene or method 'rx'")


def estimate_run(plan: ScenePlan, execution: Execution) -> Estimate | None:
    """The training a run of ``plan`` will use and its wall time on this machine (None: the
    detector foresees none). Measures a few training steps the first time in a process."""
    shape = tuple(int(v) for v in plan.scene.shape)
    return plan.detector.estimate(plan.options, execution, shape, plan.tiles)


def plan_run(
    source: Any, options: DetectOptions, execution: Execution, *, band_dim: str | None = None
) -> Run:
    """Plan a run: the scene's plan, its region of interest, its record and its fingerprint.

    Threads left to the detector (``execution.threads`` None) are resolved here.
    """
    plan = plan_scene(source, options, execution, band_dim=band_dim)
    detector, scene = plan.detector, plan.scene
    if execution.threads is None:
        threads = detector.default_threads(execution.workers, execution.scheduler is not None)
        execution = dataclasses.replace(execution, threads=threads)
    roi = read_roi(options.roi, scene) if options.roi is not None else None
    parameters = {
        **plan.options.record(),
        "normalisation": detector.normalisation,
        **detector.record(plan.options, execution),
    }
    fingerprint = result_fingerprint(source_identity(source, plan.opened), options)
    key = {
        "format": WORK_FORMAT,
        "fingerprint": fingerprint,
        "shape": [int(v) for v in scene.shape],
        "band_numbers": [int(v) for v in scene["band"].values],
        "transform": list(scene.rio.transform())[:6],
        "parameters": parameters,
    }
    work_key = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return Run(plan, execution, roi, parameters, fingerprint, work_key[:20], scene)


__all__ = ["Run", "ScenePlan", "plan_run", "plan_scene", "resolve", "tile_plan"]

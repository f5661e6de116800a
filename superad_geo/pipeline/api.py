"""Scenes of any size: the public ``detect`` and ``detect_file``.

:func:`detect` scores a ``(band, y, x)`` DataArray and returns the ``(y, x)``
score DataArray on the same grid; :func:`detect_file` reads any input a
reader knows (GDAL rasters, products, ``.mat`` cubes) and writes a
Cloud-Optimized GeoTIFF, resuming an interrupted run from the finished tiles
kept in ``<dst>.superad-work/``.

The steps (``docs/architecture.md`` walks them):

1. plan (:mod:`.plan`): open lazily, select bands, check the scene against
   the detector, cut the tiles, fingerprint the input's content and the
   options; no pixel is read;
2. one pass over the scene's blocks (:mod:`.prepare`) gives the valid-pixel
   count, bands to drop (nodata everywhere), per-band fill values, the
   scaling ``(lo, hi)`` used by every tile and the detector's state;
3. each tile is read with its halo, scored by the detector, cropped to its
   core and put on the mosaic's scale (:mod:`.tasks`);
4. cores are blended with smooth weights across their overlaps and written.

Execution: tiles run one at a time, or in ``workers`` local processes
(``threads`` compute threads per tile), or on a ``dask.distributed``
cluster when ``scheduler`` is given (an address or a ``Client``); then
inputs, outputs and the work folder must be on storage every worker can
reach. Memory is bounded by the tile size and the number of workers, never
by the scene.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import xarray as xr

from superad_geo.detectors.base import Estimate, ProgressCallback
from superad_geo.errors import InputError
from superad_geo.evaluation.threshold import threshold_raster
from superad_geo.files import check_geotiff_output
from superad_geo.options import DEFAULTS, DetectOptions, Execution, options_from
from superad_geo.pipeline.fingerprint import FINGERPRINT_TAG
from superad_geo.pipeline.plan import Run, plan_run
from superad_geo.pipeline.resume import tile_loader
from superad_geo.pipeline.tasks import WRITE_ROWS, mosaic_strips, score_tiles
from superad_geo.scene.geolocation import geolocation_metadata
from superad_geo.scene.io import output_nodata
from superad_geo.scene.statistics import SceneStatistics
from superad_geo.scene.tiling import Tile, Window
from superad_geo.scene.write import band_tags, software_tags, write_cog

Function = TypeVar("Function", bound=Callable[..., Any])


def takes_options(func: Function) -> Function:
    """Show every option as a keyword of ``func`` (which takes them as ``**keywords``).

    The signature (``help()``, ``inspect.signature``, editors) lists each
    option with its default, before the engine parameters.
    """
    signature = inspect.signature(func)
    named = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    rest = [p for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD]
    keywords = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in DEFAULTS.items()
    ]
    func.__signature__ = signature.replace(parameters=[*named, *keywords, *rest])  # type: ignore[attr-defined]
    return func


#: The mask's threshold rule when ``mask_out`` is given without one.
DEFAULT_QUANTILE = 0.999


@dataclass
class FileResult:
    """What :func:`detect_file` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The score COG.
    mask_path : pathlib.Path or None
        The binary mask, when ``mask_out`` was given.
    threshold : float or None
        Score threshold of the mask.
    tiles : int
        Tiles in the grid.
    skipped : int
        Tiles without any valid pixel (not scored).
    resumed : int
        Tiles taken from an earlier, interrupted run.
    statistics : SceneStatistics
        Scene-wide statistics used.
    """

    path: Path
    mask_path: Path | None
    threshold: float | None
    tiles: int
    skipped: int
    resumed: int
    statistics: SceneStatistics


@takes_options
def detect(
    scene: xr.DataArray | str | os.PathLike,
    *,
    options: DetectOptions | None = None,
    execution: Execution | None = None,
    progress: ProgressCallback | None = None,
    work_dir: str | os.PathLike | None = None,
    band_dim: str | None = None,
    **keywords: Any,
) -> xr.DataArray:
    """Detect anomalies in a scene of any size; return the score map.

    Parameters
    ----------
    scene : xarray.DataArray or path
        ``(band, y, x)`` scene (e.g. from :func:`superad_geo.open_scene`), or a
        path to open. Dimensions are taken by name, never by position.
    options, execution : DetectOptions, Execution, optional
        What is computed and how; or give their fields as keywords
        (``tile_size=256``, ``method="rx"``, ``workers=4``), over these values.
        ``superad-geo detect --help`` says what each option does.
    progress : callable, optional
        ``progress(done, total, stage)``; stages ``"scaling"``, ``"rx"``,
        ``"tiles"``, ``"training"`` (steps of a single tile's or the scene's training).
    work_dir : path, optional
        Keep finished tiles there, so that an interrupted call resumes (tiles
        of a run with other inputs or options are wiped); default in memory.
    band_dim : str, optional
        Name of the band dimension of a DataArray whose bands are not ``band``
        (e.g. ``"wavelength"``); see :func:`superad_geo.scene.io.prepare_scene`.
    **keywords
        Options by name, and engine parameter overrides (``superpixel_size``, ``lr``, ...).

    Returns
    -------
    xarray.DataArray
        float32 ``(y, x)`` scores on the scene's grid (same CRS, transform and
        coordinates), NaN where the scene has no valid pixel; ``attrs`` hold the
        method and parameters. Super-AD scores are robust z-scores of the
        engine's scores (:func:`superad_geo.score_cube`: reconstruction error,
        local contrast, smoothing), tile background median 0, MAD-scaled
        spread 1.

    Raises
    ------
    SuperadGeoError
        Subclasses for unusable input (no valid pixel, bad band selection, ...).

    Examples
    --------
    >>> from superad_geo.scene.synthetic import make_scene
    >>> scene, truth = make_scene((64, 64), 20)
    >>> scores = detect(scene, method="rx")
    >>> scores.dims, scores.shape
    (('y', 'x'), (64, 64))
    """
    options, execution = options_from(keywords, options, execution)
    run = plan_run(scene, options, execution, band_dim=band_dim)
    work = Path(work_dir) if work_dir is not None else None
    out_dir, results = score_tiles(run, work, progress)
    load = tile_loader(out_dir, results)
    scores = np.empty((run.scene.sizes["y"], run.scene.sizes["x"]), dtype=np.float32)
    for window, block in mosaic_strips(run, load, float("nan")):
        scores[window.rows, window.cols] = block
    out = xr.DataArray(
        scores,
        dims=("y", "x"),
        coords={"y": run.scene["y"].values, "x": run.scene["x"].values},
        name="score",
        attrs={
            "long_name": "anomaly score",
            "method": options.method,
            "parameters": json.dumps(run.parameters, sort_keys=True, default=str),
        },
    )
    if "geolocation" in run.scene.attrs:
        out.attrs["geolocation"] = run.scene.attrs["geolocation"]
    if run.scene.rio.crs is not None:
        out = out.rio.write_crs(run.scene.rio.crs)
    out = out.rio.write_transform(run.scene.rio.transform())
    return out.rio.write_nodata(output_nodata(run.scene), encoded=True)


@takes_options
def detect_file(
    src: str | os.PathLike | xr.DataArray,
    dst: str | os.PathLike,
    *,
    options: DetectOptions | None = None,
    execution: Execution | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    mask_out: str | os.PathLike | None = None,
    quantile: float | None = None,
    far: float | None = None,
    keep_work: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
    **keywords: Any,
) -> FileResult:
    """Detect anomalies in a raster file and write the score map as a COG.

    Takes the options of :func:`detect`, plus:

    Parameters
    ----------
    src : path or xarray.DataArray
        Any GDAL raster (GeoTIFF, ENVI, VRT, ``/vsis3/...``), product or ``.mat`` cube.
    dst : path
        Output score raster: single-band float32 COG with the input's CRS,
        transform and nodata (NaN when the input has none), written atomically;
        a sensor-geometry input with a ``_loc`` file gives scores in sensor
        geometry with GDAL's ``GEOLOCATION`` domain pointing at that file.
    overwrite : bool
        Replace existing outputs.
    mask_out : path, optional
        Also write a binary mask (1 anomaly, 0 background, 255 nodata) at the
        threshold given by ``quantile`` or ``far`` (default quantile 0.999).
    quantile, far : float, optional
        Threshold rule of the mask (see :mod:`superad_geo.evaluation.threshold`).
    keep_work : bool
        Keep ``<dst>.superad-work/`` after success (it is removed by default).
    on_estimate : callable, optional
        Called with the run's :class:`~superad_geo.detectors.base.Estimate` (the
        training it will use, its wall time on this machine) once the pass over
        the scene has accepted it, before any training, where the detector
        foresees one.

    Finished tiles (and a scene training's network) are kept in
    ``<dst>.superad-work/`` while running: rerun the same command after an
    interruption and it resumes, giving the same pixel values as an
    uninterrupted run; a change to any byte of the input starts over. With a
    distributed ``scheduler``, ``src``, ``dst`` and that folder must be
    reachable by every worker.

    Returns
    -------
    FileResult

    Raises
    ------
    OutputError
        If ``dst`` (or ``mask_out``) exists and ``overwrite`` is false.
    SuperadGeoError
        Subclasses for unusable input.
    """
    options, execution = options_from(keywords, options, execution)
    dst = check_geotiff_output(dst, src, options.roi, overwrite=overwrite)
    if mask_out is not None:
        check_geotiff_output(mask_out, src, options.roi, overwrite=overwrite, what="mask output")
        if quantile is None and far is None:
            quantile = DEFAULT_QUANTILE
    elif quantile is not None or far is not None:
        raise InputError("quantile/far set a mask threshold; give mask_out as well")
    run = plan_run(src, options, execution)
    work = Path(os.fspath(dst) + ".superad-work")
    out_dir, _ = score_tiles(run, work, progress, on_estimate)
    write_scores(run, dst, tile_loader(out_dir, {}), work, progress)
    mask_path, threshold = None, None
    if mask_out is not None:
        if progress is not None:
            progress(0, 1, "mask")
        mask = threshold_raster(dst, mask_out, quantile=quantile, far=far, overwrite=overwrite)
        mask_path, threshold = Path(mask_out), float(mask.threshold)
        if progress is not None:
            progress(1, 1, "mask")
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    counts = list(run.done.values())
    return FileResult(
        path=dst,
        mask_path=mask_path,
        threshold=threshold,
        tiles=len(run.tiles),
        skipped=counts.count("skipped"),
        resumed=counts.count("resumed"),
        statistics=run.stats,
    )


def write_scores(
    run: Run,
    dst: Path,
    load: Callable[[Tile], Any],
    work: Path,
    progress: ProgressCallback | None,
) -> None:
    """Write the run's blended scores to ``dst`` as a COG, with the run's record as tags."""
    scene = run.scene
    nodata = output_nodata(scene)
    record = {**run.parameters, "source": str(scene.attrs.get("source", ""))}
    tags = software_tags(run.plan.options.method, record, run.detector.score_meaning)
    tags |= band_tags(scene) | {FINGERPRINT_TAG: run.fingerprint}
    loc = scene.attrs.get("geolocation")

    def strips() -> Iterator[tuple[Window, np.ndarray]]:
        total = math.ceil(scene.sizes["y"] / WRITE_ROWS)
        for i, (window, block) in enumerate(mosaic_strips(run, load, nodata)):
            yield window, block
            if progress is not None:
                progress(i + 1, total, "writing")

    write_cog(
        dst,
        strips(),
        shape=(scene.sizes["y"], scene.sizes["x"]),
        transform=scene.rio.transform(),
        crs=scene.rio.crs,
        nodata=nodata,
        tags=tags,
        overwrite=True,
        work_dir=work,
        geolocation=geolocation_metadata(loc) if loc else None,
    )


__all__ = ["FileResult", "detect", "detect_file"]

"""Scenes of any size: scene-wide statistics, overlapping tiles, seamless mosaic.

:func:`detect` scores a ``(band, y, x)`` DataArray and returns the ``(y, x)``
score DataArray on the same grid; :func:`detect_file` reads any GDAL raster
(or ``.mat`` cube) and writes a Cloud-Optimized GeoTIFF, resuming an
interrupted run from the finished tiles kept in ``<dst>.superad-work/``.

The steps:

1. open lazily, select bands (index or wavelength ranges, bad-band flags,
   optional water-vapour removal), mask nodata;
2. one pass over the scene's blocks gives the valid-pixel count, bands to
   drop (nodata everywhere), per-band fill values and the scaling
   ``(lo, hi)`` used by every tile;
3. each tile is read with a halo (receptive field plus two superpixel
   diameters), scored by the engine, cropped to its core and normalised by
   its background's median and MAD (:mod:`superad_geo.scene.mosaic`);
4. cores are blended with smooth weights across their overlaps and written.

Execution: tiles run one at a time, or in ``workers`` local processes
(torch set to ``threads`` threads per tile), or on a ``dask.distributed``
cluster when ``scheduler``
is given (an address or a ``Client``); then inputs, outputs and the work
folder must be on storage every worker can reach. Memory is bounded by the
tile size and the number of workers, never by the scene.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from superad_geo.errors import InputError
from superad_geo.files import check_output, refuse_input_as_output, refuse_unless_geotiff_name
from superad_geo.options import DEFAULTS, split_options
from superad_geo.pipeline.plan import WRITE_ROWS, ProgressCallback
from superad_geo.pipeline.resume import FINGERPRINT_TAG, result_fingerprint, tile_loader
from superad_geo.pipeline.tasks import mosaic_strips, score_tiles
from superad_geo.scene.geolocation import geolocation_metadata
from superad_geo.scene.io import order_dims, output_nodata
from superad_geo.scene.statistics import SceneStatistics
from superad_geo.scene.tiling import Window
from superad_geo.scene.write import band_tags, software_tags, write_cog, write_mask


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


# --------------------------------------------------------------------------- public API


def detect(
    scene: xr.DataArray | str | os.PathLike,
    *,
    tile_size: int | Sequence[int] = DEFAULTS["tile_size"],
    overlap: int | Sequence[int] = DEFAULTS["overlap"],
    halo: int | None = DEFAULTS["halo"],
    training: str | None = DEFAULTS["training"],
    preset: str = DEFAULTS["preset"],
    steps: int | None = DEFAULTS["steps"],
    seed: int = DEFAULTS["seed"],
    device: str = DEFAULTS["device"],
    bands: str | Sequence[int] | None = DEFAULTS["bands"],
    drop_water_bands: bool = DEFAULTS["drop_water_bands"],
    nodata: float | None = DEFAULTS["nodata"],
    roi: Any = DEFAULTS["roi"],
    method: str = DEFAULTS["method"],
    scaling: str | tuple[float, float] | None = DEFAULTS["scaling"],
    scheduler: Any = DEFAULTS["scheduler"],
    workers: int = DEFAULTS["workers"],
    threads: int | None = DEFAULTS["threads"],
    batch_size: int | None = DEFAULTS["batch_size"],
    progress: ProgressCallback | None = None,
    work_dir: str | os.PathLike | None = None,
    band_dim: str | None = None,
    **params: Any,
) -> xr.DataArray:
    """Detect anomalies in a scene of any size; return the score map.

    Parameters
    ----------
    scene : xarray.DataArray or path
        ``(band, y, x)`` scene (e.g. from :func:`superad_geo.open_scene`), or a
        path to open. Dimensions are taken by name, never by position.
    tile_size : int or (int, int)
        Tile (core) size in pixels; a scene no larger is one tile.
    overlap : int or (int, int)
        Overlap of neighbouring cores in pixels, blended smoothly.
    halo : int, optional
        Context read around each tile and discarded after scoring; default
        ``20 + ceil(2 * sqrt(superpixel_size))`` (40 pixels by default).
    training : {"auto", "scene", "tile"}, optional
        Super-AD's training: ``"tile"`` trains a fresh network on every tile
        (``steps`` steps each); ``"scene"`` trains one network for the scene
        on crops across it (``steps`` crop steps in all) and scores every tile
        with it, a fixed cost per scene; ``"auto"`` trains per tile a scene of
        at most ``tile_training_pixels`` pixels (256 × 256), where that is
        affordable, and per scene a larger one. A scene that fits in one crop
        (``crop_size``, 128 pixels) is trained as one tile in any case.
        Default: the preset's (``"auto"``; ``"tile"`` for ``reference``).
    preset, steps, seed, device
        Engine settings (see :func:`superad_geo.score_cube`).
    bands : str or sequence of int, optional
        Band selection: ``"1-100,120-150"`` (1-based), ``"400-1300nm"``, ...
    drop_water_bands : bool
        Drop the 1.4 and 1.9 µm water-vapour bands (needs wavelengths).
    nodata : float, optional
        Raw nodata value, overriding the input's.
    roi : array or path, optional
        Region of interest: a ``(y, x)`` boolean array, a raster (non-zero
        inside) or a vector file (polygons); pixels outside are nodata.
    method : {"superad", "rx"}
        Super-AD, or the global RX baseline.
    scaling : {"minmax", "percentile"} or (float, float), optional
        Scene-wide input scaling; default the preset's (``"minmax"``).
    scheduler : str or distributed.Client, optional
        Run tiles on a dask.distributed cluster (address or client).
    workers : int
        Tiles processed at once locally (worker processes when above 1; the
        statistics pass uses as many threads).
    threads : int, optional
        Torch threads per tile task; default torch's thread count divided by
        ``workers`` locally, and 1 on a cluster. Results are bit-identical between runs with the
        same value.
    batch_size : int, optional
        Tiles of one shape trained side by side in one step, one network
        each (equal to one at a time to float tolerance); default
        :func:`automatic_batch_size`: 1 on the CPU, by free memory on a GPU.
    progress : callable, optional
        ``progress(done, total, stage)``; stages ``"scaling"``, ``"rx"``,
        ``"tiles"``, ``"training"`` (steps of a single tile's or the scene's training).
    work_dir : path, optional
        Keep finished tiles there, so that an interrupted call resumes (tiles
        of a run with other inputs or options are wiped); default in memory.
    band_dim : str, optional
        Name of the band dimension of a DataArray whose bands are not ``band``
        (e.g. ``"wavelength"``); see :func:`superad_geo.scene.io.prepare_scene`.
    **params
        Engine parameter overrides (``superpixel_size``, ``lr``, ...).

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
    options, execution = split_options(locals())
    if isinstance(scene, xr.DataArray):
        scene = order_dims(scene, band_dim)
    work = Path(work_dir) if work_dir is not None else None
    run, out_dir, results = score_tiles(scene, work, options, execution, progress)
    load = tile_loader(out_dir, results)
    rows, cols = run.scene.sizes["y"], run.scene.sizes["x"]
    scores = np.empty((rows, cols), dtype=np.float32)
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


def detect_file(
    src: str | os.PathLike | xr.DataArray,
    dst: str | os.PathLike,
    *,
    tile_size: int | Sequence[int] = DEFAULTS["tile_size"],
    overlap: int | Sequence[int] = DEFAULTS["overlap"],
    halo: int | None = DEFAULTS["halo"],
    training: str | None = DEFAULTS["training"],
    preset: str = DEFAULTS["preset"],
    steps: int | None = DEFAULTS["steps"],
    seed: int = DEFAULTS["seed"],
    device: str = DEFAULTS["device"],
    bands: str | Sequence[int] | None = DEFAULTS["bands"],
    drop_water_bands: bool = DEFAULTS["drop_water_bands"],
    nodata: float | None = DEFAULTS["nodata"],
    roi: Any = DEFAULTS["roi"],
    method: str = DEFAULTS["method"],
    scaling: str | tuple[float, float] | None = DEFAULTS["scaling"],
    scheduler: Any = DEFAULTS["scheduler"],
    workers: int = DEFAULTS["workers"],
    threads: int | None = DEFAULTS["threads"],
    batch_size: int | None = DEFAULTS["batch_size"],
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    mask_out: str | os.PathLike | None = None,
    quantile: float | None = None,
    far: float | None = None,
    keep_work: bool = False,
    **params: Any,
) -> FileResult:
    """Detect anomalies in a raster file and write the score map as a COG.

    Takes the options of :func:`detect`, plus:

    Parameters
    ----------
    src : path or xarray.DataArray
        Any GDAL raster (GeoTIFF, ENVI, VRT, ``/vsis3/...``) or ``.mat`` cube.
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
    options, execution = split_options(locals())
    dst = check_output(dst, overwrite=overwrite)
    refuse_input_as_output(dst, src, roi)
    refuse_unless_geotiff_name(dst)
    if mask_out is not None:
        check_output(mask_out, overwrite=overwrite, what="mask output")
        refuse_input_as_output(mask_out, src, roi)
        refuse_unless_geotiff_name(mask_out, "mask output")
        if quantile is None and far is None:
            quantile = 0.999
    elif quantile is not None or far is not None:
        raise InputError("quantile/far set a mask threshold; give mask_out as well")
    fingerprint = result_fingerprint(src, options)
    work = Path(os.fspath(dst) + ".superad-work")
    run, tiles_dir, _ = score_tiles(src, work, options, execution, progress)
    nodata_out = output_nodata(run.scene)
    load = tile_loader(tiles_dir, {})
    tags = software_tags(
        options.method, {**run.parameters, "source": str(run.scene.attrs.get("source", ""))}
    ) | band_tags(run.scene)
    tags[FINGERPRINT_TAG] = fingerprint

    def strips() -> Iterator[tuple[Window, np.ndarray]]:
        total = math.ceil(run.scene.sizes["y"] / WRITE_ROWS)
        for i, (window, block) in enumerate(mosaic_strips(run, load, nodata_out)):
            if not math.isnan(nodata_out):
                block = np.where(np.isnan(block), np.float32(nodata_out), block)
            yield window, block
            if progress is not None:
                progress(i + 1, total, "writing")

    write_cog(
        dst,
        strips(),
        shape=(run.scene.sizes["y"], run.scene.sizes["x"]),
        transform=run.scene.rio.transform(),
        crs=run.scene.rio.crs,
        nodata=nodata_out,
        tags=tags,
        overwrite=True,
        work_dir=work,
        geolocation=_geolocation_of(run.scene),
    )
    mask_path, threshold = None, None
    if mask_out is not None:
        if progress is not None:
            progress(0, 1, "mask")
        mask_path, threshold = write_mask(
            dst, mask_out, quantile=quantile, far=far, overwrite=overwrite
        )
        if progress is not None:
            progress(1, 1, "mask")
    counts = list(run.done.values())
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return FileResult(
        path=dst,
        mask_path=mask_path,
        threshold=threshold,
        tiles=len(run.tiles),
        skipped=sum(1 for c in counts if c == "skipped"),
        resumed=sum(1 for c in counts if c == "resumed"),
        statistics=run.stats,
    )


def _geolocation_of(scene: xr.DataArray) -> dict[str, str] | None:
    """The ``GEOLOCATION`` domain of the scores of a sensor-geometry scene with a ``_loc`` file."""
    loc = scene.attrs.get("geolocation")
    return geolocation_metadata(loc) if loc else None


__all__ = ["FileResult", "detect", "detect_file"]

"""The pass over the pixels before the tiles: scene statistics, the detector's state and its fit.

:func:`prepare_run` reduces the scene's blocks to its statistics (valid
pixels, bands without any valid value, fill values, scaling), drops the empty
bands and has the detector prepare its per-run state (RX: its own pass for
the scene's mean and covariance); :func:`fit_model` puts the detector's
model of the whole scene in the run (Super-AD's scene training), from the
work folder of an interrupted run where it was kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from superad_geo.detectors.base import ProgressCallback, SceneSummary, WindowReader
from superad_geo.pipeline.execute import Executor
from superad_geo.pipeline.plan import Run
from superad_geo.pipeline.resume import load_fit, save_fit
from superad_geo.scene.bands import scene_wavelengths
from superad_geo.scene.statistics import SceneStatistics, scene_statistics
from superad_geo.scene.validity import read_filled


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


def prepare_run(
    run: Run,
    executor: Executor,
    cached: Mapping[str, Any] | None,
    progress: ProgressCallback | None,
) -> None:
    """Fill in the run's statistics, scored bands, batch size and detector state.

    The statistics of an interrupted run with the same work key are taken from
    its manifest (``cached``) instead of being computed again.
    """
    plan = run.plan
    blocks = scene_blocks(run.scene, run.roi)
    if cached and cached.get("fingerprint") == run.work_key and "stats" in cached:
        run.stats = SceneStatistics.from_dict(cached["stats"])
    else:
        run.stats = scene_statistics(
            blocks,
            run.scene.sizes["band"],
            scaling=plan.options.scaling,
            mapper=executor.ordered,
            progress=progress,
            nodata_declared=plan.nodata_declared,
        )
    keep = np.flatnonzero(run.stats.keep)
    if keep.size < run.scene.sizes["band"]:
        run.scene = run.scene.isel(band=keep)
        blocks = scene_blocks(run.scene, run.roi)
    if run.execution.batch_size is None:
        largest = max(tile.padded.height * tile.padded.width for tile in run.tiles)
        size = plan.detector.batch_size(run.execution, largest, int(keep.size))
        run.execution = dataclasses.replace(run.execution, batch_size=size)
    wavelengths = scene_wavelengths(run.scene)
    summary = SceneSummary(
        fill=run.fill,
        scaling=(run.stats.lo, run.stats.hi),
        wavelengths=None if wavelengths is None else [float(v) for v in wavelengths],
        blocks=blocks,
        mapper=executor.ordered,
        progress=progress,
    )
    run.state = plan.detector.prepare(plan.options, run.execution, summary)
    run.parameters["scaling_range"] = [run.stats.lo, run.stats.hi]
    run.parameters["bands_used"] = int(keep.size)


def window_reader(data: Any, roi: Any, fill: np.ndarray) -> WindowReader:
    """A reader of any window (with ``rows`` and ``cols`` slices) of a ``(band, y, x)`` scene."""

    def read(window: Any) -> tuple[np.ndarray, np.ndarray]:
        roi_window = None if roi is None else roi[window.rows, window.cols]
        return read_filled(data[:, window.rows, window.cols], roi_window, fill)

    return read


def fit_model(run: Run, work: Path | None, progress: ProgressCallback | None) -> None:
    """Put the detector's model of the whole scene (Super-AD's scene training) in the run.

    The model is fitted once: it is kept in the work folder ``work`` under the
    run's work key, and an interrupted run of the same key takes it from
    there instead of fitting it again.
    """
    detector = run.detector
    model = load_fit(work, run.work_key) if work is not None else None
    if model is None:
        reader = window_reader(run.scene.data, run.roi, run.fill)
        shape = (run.scene.sizes["y"], run.scene.sizes["x"])
        model = detector.fit(run.state, reader, shape, progress)
        if work is not None:
            save_fit(work, run.work_key, model)
    run.state = detector.with_model(run.state, model)
    run.parameters.update(detector.resources_used(run.state, run.execution))


__all__ = ["fit_model", "prepare_run", "scene_blocks", "window_reader"]

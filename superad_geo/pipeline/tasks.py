"""Running a planned run's tiles: the tile task on the workers, and the mosaic of their cores.

:func:`score_tiles` makes the pass over the scene (:mod:`.prepare`) and scores
every tile not finished yet (:func:`run_tiles`, in batches of
:func:`process_tiles`, the task a worker runs); :func:`mosaic_strips`
blends the finished cores strip by strip.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.detectors.base import Detector, Estimate, ProgressCallback
from superad_geo.files import atomic_write
from superad_geo.pipeline.execute import Executor
from superad_geo.pipeline.plan import Run, estimate_run
from superad_geo.pipeline.prepare import fit_model, prepare_run
from superad_geo.pipeline.resume import open_work, read_manifest
from superad_geo.scene.mosaic import blend, normalise
from superad_geo.scene.tiling import Tile, Window
from superad_geo.scene.validity import read_filled

#: Rows of the mosaic assembled at a time.
WRITE_ROWS = 512


@dataclass(frozen=True)
class TileTask:
    """What a worker needs to score tiles (picklable)."""

    detector: Detector
    fill: np.ndarray
    """Per-band fill value of nodata."""
    state: Any
    """The detector's per-run state."""


def process_tiles(
    tiles: Sequence[Tile],
    cube_sources: Sequence[Any],
    roi_sources: Sequence[Any],
    task: TileTask,
    out_dir: str | None,
    engine_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Score a batch of tiles (one padded shape); save (or return) their cores' scores.

    Runs on a worker: reads each padded window, fills nodata, has the
    detector score the batch, crops the cores, puts each on the mosaic's
    scale (:meth:`~superad_geo.detectors.base.Detector.tile_scale`) and
    writes ``<out_dir>/<tile>.npy`` atomically (``.skip`` for a tile with no
    valid core pixel). A tile's warning rides in its result's ``"warning"``,
    for the process that shows it (a worker's own warnings would not reach the user).
    """
    results: list[dict[str, Any]] = []
    work = []  # (tile, result, filled cube, valid, core slices)
    for tile, cube_source, roi_source in zip(tiles, cube_sources, roi_sources, strict=True):
        filled, valid = read_filled(cube_source, roi_source, task.fill)
        rows, cols = tile.window.within(tile.padded)
        result: dict[str, Any] = {"name": tile.name, "skipped": False}
        results.append(result)
        if not valid[rows, cols].any():
            result["skipped"] = True
            if out_dir is not None:
                Path(out_dir, tile.name + ".skip").touch()
            continue
        work.append((tile, result, filled, valid, rows, cols))
    if not work:
        return results
    detector = task.detector
    maps = detector.score([w[2] for w in work], [w[3] for w in work], task.state, engine_progress)
    for (tile, result, filled, valid, rows, cols), scores in zip(work, maps, strict=True):
        core = np.where(valid, scores, np.nan)[rows, cols]
        scale = detector.tile_scale(filled[:, rows, cols], valid[rows, cols], core, tile)
        core = normalise(core, scale.centre, scale.spread)
        result["warning"] = scale.warning
        if out_dir is None:
            result["scores"] = core
            continue
        with atomic_write(Path(out_dir, tile.name + ".npy")) as tmp:
            np.save(tmp, core)
    return results


def tile_batches(tiles: Sequence[Tile], batch_size: int) -> list[list[Tile]]:
    """Group tiles of one padded shape into batches of at most ``batch_size``, in order."""
    groups: dict[tuple[int, int], list[Tile]] = {}
    for tile in tiles:
        groups.setdefault((tile.padded.height, tile.padded.width), []).append(tile)
    batches = []
    for group in groups.values():
        for i in range(0, len(group), max(1, batch_size)):
            batches.append(group[i : i + max(1, batch_size)])
    return sorted(batches, key=lambda b: b[0].index)


def run_tiles(
    run: Run,
    executor: Executor,
    out_dir: str | None,
    progress: ProgressCallback | None,
) -> dict[str, Any]:
    """Process every tile not already finished; return in-memory results (if no out_dir)."""
    results: dict[str, Any] = {}
    todo = []
    for tile in run.tiles:
        if out_dir is not None and (
            Path(out_dir, tile.name + ".npy").exists()
            or Path(out_dir, tile.name + ".skip").exists()
        ):
            run.done[tile.name] = "resumed"
            continue
        todo.append(tile)
    total = len(run.tiles)
    done = total - len(todo)
    if progress is not None:
        progress(done, total, "tiles")
    engine_progress = None
    if progress is not None and not executor.distributed and executor.workers == 1 and total == 1:

        def engine_progress(step: int, steps: int) -> None:
            progress(step, steps, "training")

    data = run.scene.data
    task = TileTask(run.detector, run.fill, run.state)
    items = []
    for batch in tile_batches(todo, run.execution.batch_size):
        cubes = tuple(data[:, t.padded.rows, t.padded.cols] for t in batch)
        rois = tuple(
            None if run.roi is None else run.roi[t.padded.rows, t.padded.cols] for t in batch
        )
        items.append((tuple(batch), cubes, rois, task, out_dir, engine_progress))
    for batch_results in executor.unordered(process_tiles, items):
        for result in batch_results:
            if result.get("warning"):
                warnings.warn(result["warning"], UserWarning, stacklevel=2)
            done += 1
            run.done[result["name"]] = "skipped" if result["skipped"] else "scored"
            if out_dir is None and not result["skipped"]:
                results[result["name"]] = result["scores"]
            if progress is not None:
                progress(done, total, "tiles")
    return results


def mosaic_strips(
    run: Run, load: Callable[[Tile], Any], nodata: float
) -> Iterator[tuple[Window, np.ndarray]]:
    """The blended mosaic in strips of ``WRITE_ROWS`` rows, no score as ``nodata``.

    A score equal to a finite ``nodata`` is nudged above it (it would read as no score).
    """
    rows, cols = run.scene.sizes["y"], run.scene.sizes["x"]
    for r0 in range(0, rows, WRITE_ROWS):
        window = Window(r0, 0, min(WRITE_ROWS, rows - r0), cols)
        block = blend(window, run.tiles, load)
        if not math.isnan(nodata):
            hit = np.isfinite(block) & (block == np.float32(nodata))
            block[hit] = np.nextafter(np.float32(nodata), np.float32(np.inf))
            block = np.where(np.isnan(block), np.float32(nodata), block)
        yield window, block


def score_tiles(
    run: Run,
    work: Path | None,
    progress: ProgressCallback | None,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """Make the pass over the scene, then score every tile not finished yet (resuming from
    ``work``); the folder of the finished tiles, or their scores in memory without ``work``.
    ``on_estimate`` gets the run's estimate between the two (:func:`.plan.estimate_run`)."""
    cached = read_manifest(work) if work is not None else None
    executor = Executor(run.execution.scheduler, run.execution.workers)
    try:
        prepare_run(run, executor, cached, progress)
        if on_estimate is not None and (estimate := estimate_run(run.plan, run.execution)):
            on_estimate(estimate)
        out_dir = open_work(work, run, cached) if work is not None else None
        with run.detector.threads(run.execution.threads):
            fit_model(run, work, progress)
            results = run_tiles(run, executor, out_dir, progress)
    finally:
        executor.close()
    return out_dir, results


__all__ = ["WRITE_ROWS", "TileTask", "mosaic_strips", "process_tiles", "run_tiles", "score_tiles"]

"""Running a planned run's tiles: the tile task on the workers, and the mosaic of their cores.

:func:`score_tiles` plans the run and scores every tile not finished yet
(:func:`run_tiles`, in batches of :func:`process_tiles`, the task a worker
runs); :func:`mosaic_strips` blends the finished cores strip by strip.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.detectors import get_detector
from superad_geo.files import atomic_write
from superad_geo.options import DetectOptions, Execution
from superad_geo.pipeline.execute import Executor
from superad_geo.pipeline.plan import WRITE_ROWS, ProgressCallback, Run, fit_model, plan_run
from superad_geo.pipeline.resume import open_work, read_manifest
from superad_geo.scene.mosaic import (
    background_statistics,
    blend,
    constant_patch_warning,
    constant_spectrum_share,
    normalise,
)
from superad_geo.scene.tiling import Tile, Window
from superad_geo.scene.validity import read_filled


def process_tiles(
    tiles: Sequence[Tile],
    cube_sources: Sequence[Any],
    roi_sources: Sequence[Any],
    config: Mapping[str, Any],
    out_dir: str | None,
    engine_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Score a batch of tiles (one padded shape); save (or return) normalised core scores.

    Runs on a worker: reads each padded window, fills nodata, calls the
    detector named by ``config["method"]`` (Super-AD trains several tiles
    side by side), crops the cores, normalises each by its background (when
    the detector asks for it) and writes ``<out_dir>/<tile>.npy`` atomically
    (``.skip`` for a tile with no valid core pixel). A tile largely of one
    constant patch carries the warning in its result's ``"warning"``, for the
    process that shows it (a worker's own warnings would not reach the user).
    """
    detector = get_detector(config["method"])
    results: list[dict[str, Any]] = []
    work = []  # (result, filled cube, valid, core slices)
    for tile, cube_source, roi_source in zip(tiles, cube_sources, roi_sources, strict=True):
        filled, valid = read_filled(cube_source, roi_source, config["fill"])
        rows, cols = tile.window.within(tile.padded)
        result: dict[str, Any] = {"name": tile.name, "skipped": False}
        results.append(result)
        if not valid[rows, cols].any():
            result["skipped"] = True
            if out_dir is not None:
                Path(out_dir, tile.name + ".skip").touch()
            continue
        if detector.normalisation == "median-mad":
            share = constant_spectrum_share(filled[:, rows, cols], valid[rows, cols])
            result.update(constant=share, warning=constant_patch_warning(share, tile.name))
        work.append((result, filled, valid, rows, cols))
    if not work:
        return results
    maps = detector.score([w[1] for w in work], [w[2] for w in work], config, engine_progress)
    for (result, _, valid, rows, cols), scores in zip(work, maps, strict=True):
        core = np.where(valid, scores, np.nan)[rows, cols]
        centre, spread = (0.0, 1.0)
        if detector.normalisation == "median-mad":
            centre, spread = background_statistics(core, result["constant"])
        core = normalise(core, centre, spread)
        result.update(centre=centre, spread=spread, n_valid=int(valid[rows, cols].sum()))
        if out_dir is None:
            result["scores"] = core
            continue
        with atomic_write(Path(out_dir, result["name"] + ".npy")) as tmp:
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
    data = run.scene.data
    engine_progress = None
    if progress is not None and not executor.distributed and executor.workers == 1 and total == 1:

        def engine_progress(step: int, steps: int) -> None:
            progress(step, steps, "training")

    items = []
    for batch in tile_batches(todo, run.config["batch_size"]):
        cubes = tuple(data[:, t.padded.rows, t.padded.cols] for t in batch)
        rois = tuple(
            None if run.roi is None else run.roi[t.padded.rows, t.padded.cols] for t in batch
        )
        items.append((tuple(batch), cubes, rois, run.config, out_dir, engine_progress))
    detector = get_detector(run.config["method"])
    with detector.threads(None if executor.distributed else run.config["threads"]):
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
    """The blended mosaic in strips of ``WRITE_ROWS`` rows; scores equal to ``nodata`` nudged."""
    rows, cols = run.scene.sizes["y"], run.scene.sizes["x"]
    for r0 in range(0, rows, WRITE_ROWS):
        window = Window(r0, 0, min(WRITE_ROWS, rows - r0), cols)
        block = blend(window, run.tiles, load)
        if not math.isnan(nodata):
            hit = np.isfinite(block) & (block == np.float32(nodata))
            block[hit] = np.nextafter(np.float32(nodata), np.float32(np.inf))
        yield window, block


def score_tiles(
    source: Any,
    work: Path | None,
    options: DetectOptions,
    execution: Execution,
    progress: ProgressCallback | None,
) -> tuple[Run, str | None, dict[str, Any]]:
    """Plan the run and score every tile not finished yet (resuming from ``work``)."""
    cached = read_manifest(work) if work is not None else None
    executor = Executor(execution.scheduler, execution.workers)
    if execution.threads is None:
        threads = get_detector(options.method).default_threads(
            execution.workers, executor.distributed
        )
        execution = dataclasses.replace(execution, threads=threads)
    try:
        run = plan_run(
            source, options, execution, executor=executor, progress=progress, cached=cached
        )
        out_dir = open_work(work, run, cached) if work is not None else None
        fit_model(run, work, progress)
        results = run_tiles(run, executor, out_dir, progress)
    finally:
        executor.close()
    return run, out_dir, results

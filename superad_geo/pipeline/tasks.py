"""The tile task: score a batch of tiles on a worker and keep their normalised cores."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.detectors import get_detector
from superad_geo.detectors.base import WindowReader
from superad_geo.files import atomic_write
from superad_geo.scene.mosaic import background_statistics, normalise
from superad_geo.scene.tiling import Tile
from superad_geo.scene.validity import fill_block, materialise, valid_pixels


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
    (``.skip`` for a tile with no valid core pixel).
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
        work.append((result, filled, valid, rows, cols))
    if not work:
        return results
    maps = detector.score([w[1] for w in work], [w[2] for w in work], config, engine_progress)
    for (result, _, valid, rows, cols), scores in zip(work, maps, strict=True):
        core = np.where(valid, scores, np.nan)[rows, cols]
        centre, spread = (
            background_statistics(core) if detector.normalisation == "median-mad" else (0.0, 1.0)
        )
        core = normalise(core, centre, spread)
        result.update(centre=centre, spread=spread, n_valid=int(valid[rows, cols].sum()))
        if out_dir is None:
            result["scores"] = core
            continue
        with atomic_write(Path(out_dir, result["name"] + ".npy")) as tmp:
            np.save(tmp, core)
    return results


def read_filled(
    cube_source: Any, roi_source: Any, fill: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Read a window (numpy or dask): its float32 cube, nodata filled, and its validity mask."""
    cube = materialise(cube_source).astype(np.float32, copy=False)
    roi = None if roi_source is None else materialise(roi_source)
    return fill_block(cube, np.asarray(fill)), valid_pixels(cube, roi)


def window_reader(data: Any, roi: Any, fill: np.ndarray) -> WindowReader:
    """A reader of any window (with ``rows`` and ``cols`` slices) of a ``(band, y, x)`` scene."""

    def read(window: Any) -> tuple[np.ndarray, np.ndarray]:
        roi_window = None if roi is None else roi[window.rows, window.cols]
        return read_filled(data[:, window.rows, window.cols], roi_window, fill)

    return read


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

"""The tile task: score a batch of tiles on a worker and keep their normalised cores."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.detectors.rx import rx_apply
from superad_geo.pipeline.resume import save_tile
from superad_geo.scene.mosaic import background_statistics, normalise, warn_if_constant
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
    engine (``score_cube``, or ``score_cubes`` for several tiles trained side
    by side) or RX, crops the cores, normalises each by its background and
    writes ``<out_dir>/<tile>.npy`` atomically (``.skip`` for a tile with no
    valid core pixel).
    """
    results: list[dict[str, Any]] = []
    work = []  # (result, filled cube, valid, core slices)
    for tile, cube_source, roi_source in zip(tiles, cube_sources, roi_sources, strict=True):
        cube = materialise(cube_source).astype(np.float32, copy=False)
        roi = None if roi_source is None else materialise(roi_source)
        valid = valid_pixels(cube, roi)
        rows, cols = tile.window.within(tile.padded)
        result: dict[str, Any] = {"name": tile.name, "skipped": False}
        results.append(result)
        if not valid[rows, cols].any():
            result["skipped"] = True
            if out_dir is not None:
                Path(out_dir, tile.name + ".skip").touch()
            continue
        filled = fill_block(cube, valid, np.asarray(config["fill"]))
        work.append((result, filled, valid, rows, cols))
    if not work:
        return results
    if config["method"] == "rx":
        maps = [rx_apply(filled, config["rx"], valid) for _, filled, valid, _, _ in work]
    else:
        import torch

        from superad_geo.model import training

        threads = config.get("threads")
        if threads and torch.get_num_threads() != threads:
            torch.set_num_threads(int(threads))
        common = {
            "preset": config["preset"],
            "steps": config["steps"],
            "seed": config["seed"],
            "device": config["device"],
            "scaling": (config["lo"], config["hi"]),
            "progress": engine_progress,
            **config["params"],
        }
        if len(work) == 1:
            maps = [training.score_cube(work[0][1], mask=work[0][2], **common)]
        else:
            maps = training.score_cubes([w[1] for w in work], masks=[w[2] for w in work], **common)
    for (result, _, valid, rows, cols), scores in zip(work, maps, strict=True):
        core = np.where(valid, scores, np.nan)[rows, cols]
        centre, spread = (0.0, 1.0) if config["method"] == "rx" else background_statistics(core)
        if config["method"] != "rx":
            warn_if_constant(core, result["name"])
        core = normalise(core, centre, spread)
        result.update(centre=centre, spread=spread, n_valid=int(valid[rows, cols].sum()))
        if out_dir is None:
            result["scores"] = core
            continue
        save_tile(Path(out_dir, result["name"] + ".npy"), core)
    return results


def automatic_batch_size(device: str, tile_pixels: int, bands: int) -> int:
    """Tiles to train side by side: 1 on the CPU, as many as fit half the free GPU memory.

    On the CPU batching does not pay (``docs/benchmarks.md``). On a GPU a tile
    needs about ``40·bands + 6000`` bytes per pixel during a training step
    (the CPU peak of ``benchmarks/engine.py`` at 512², with margin).
    """
    from superad_geo.model.devices import resolve_device

    resolved = resolve_device(device)
    if resolved.type != "cuda":
        return 1
    import torch

    free, _ = torch.cuda.mem_get_info(resolved)
    return int(max(1, min(64, free // 2 // (tile_pixels * (40 * bands + 6000)))))


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

"""Large scenes: each part trained alone (A), per-tile (B) and scene training (C), side by side.

For each scene built by ``scripts/make_large_scenes.py`` (``grid-1000``,
``had-mosaic``, ``had-regions``, ``enmap-implants``) and each training, runs
``superad-geo detect`` as a user does (all cores, the default preset) and
prints its wall time, CPU time (all threads), peak memory (the process's
peak RSS), megapixels per minute, the ROC AUC of the written scores over the
whole scene (pooled: users threshold a scene, not its parts) and the mean AUC
of its background regions (each judged as that scene alone would be).

The trainings:

``alone`` (A)
    each source scene of a mosaic of benchmark scenes trained alone with the
    default, its scores arranged as the mosaic arranges the scene (a block
    that is a flipped or turned copy gets the scores flipped or turned): what
    the mosaic would score if each of its backgrounds had a network of its
    own. Every distinct source block is run once; its times add up.
    Mosaics with ``BLOCK_SIZE`` only.
``tile`` (B), ``scene`` (C)
    ``--training tile`` and ``--training scene``.
``default``
    whichever of those two the preset's ``auto`` picks, run once.

Per-tile training of a 1000 × 1000 scene takes hours on two CPU cores, so
``--extrapolate SCENE`` replaces that run by an estimate: one full-size tile
of the scene's tile grid is trained for 2 and for 4 steps, and the tile count
times (the fixed cost + the preset's steps × the cost of a step) is printed,
marked as extrapolated.

``--curve`` prints the size curve instead: the default on square corners of
``grid-1000`` of the given sides (the training ``auto`` picked and its
optimiser steps, wall, CPU s, peak memory, pooled AUC).

\b
    python scripts/make_large_scenes.py
    python benchmarks/scene_speed.py
    python benchmarks/scene_speed.py --scenes had-mosaic --steps 300 --trainings scene tile
    python benchmarks/scene_speed.py --curve 128 200 256 257 384 512 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from machine import cpu_model

from superad_geo.evaluation.metrics import roc_auc

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "out" / "large-scenes"

#: Runs a command (``argv[2:]``, its output to the file ``argv[1]``) and prints its exit code,
#: CPU seconds and peak RSS. A process's peak RSS starts from its parent's at the fork, so
#: ``detect`` started straight from this script would count the scenes this script holds;
#: started from this small launcher, it counts its own memory only.
LAUNCHER = """
import json, os, subprocess, sys
with open(sys.argv[1], "w") as log:
    child = subprocess.Popen(sys.argv[2:], stdout=log, stderr=log)
    _, status, usage = os.wait4(child.pid, 0)
print(json.dumps({
    "exit_code": os.waitstatus_to_exitcode(status),
    "cpu_s": usage.ru_utime + usage.ru_stime,
    "peak_kib": usage.ru_maxrss,
}))
"""

EXTRAPOLATE = """
import json, os, sys
import numpy as np, rasterio, torch
from superad_geo.model.training import score_cube
src, height, width, threads = sys.argv[1], *map(int, sys.argv[2:5])
torch.set_num_threads(threads)
with rasterio.open(src) as scene:
    cube = scene.read(window=((0, height), (0, width))).astype(np.float32)
times = {}
for steps in (2, 4):
    start = os.times()
    score_cube(cube, steps=steps, device="cpu")
    end = os.times()
    times[steps] = (end.user - start.user) + (end.system - start.system)
step = (times[4] - times[2]) / 2
print(json.dumps({"cpu_per_step_s": step, "fixed_cpu_s": times[2] - 2 * step}))
"""


def measure(scene: Path, training: str, steps: int | None) -> tuple[dict, np.ndarray]:
    """Run ``superad-geo detect`` on ``scene`` as a user does: its time, peak memory and scores."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder, "scores.tif")
        command = ["superad-geo", "detect", str(scene), "-o", str(output)]
        command += ["--device", "cpu", "--quiet"]
        command += [] if training == "default" else ["--training", training]
        command += [] if steps is None else ["--steps", str(steps)]
        log = Path(folder, "output.txt")  # a file, not a pipe: a full pipe would stall the child
        start = time.perf_counter()
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(log), *command],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
        usage = json.loads(launched.stdout)
        if usage["exit_code"]:
            raise RuntimeError(log.read_text()[-2000:])
        with rasterio.open(output) as scores:
            values = scores.read(1)
    figures = {"wall_s": wall, "cpu_s": usage["cpu_s"], "peak_gib": usage["peak_kib"] / 2**20}
    return figures, values


def read_truth(scene: str) -> tuple[np.ndarray, np.ndarray | None, int | None]:
    """The scene's truth, the background region of each pixel (None: unknown), its block side."""
    with rasterio.open(SCENES / f"{scene}.truth.tif") as src:
        bands, tags = src.read(), src.tags()
    truth = bands[0]
    if "BLOCK_SIZE" in tags:
        block = int(tags["BLOCK_SIZE"])
        rows, cols = np.indices(truth.shape) // block
        return truth, rows * (truth.shape[1] // block + 1) + cols, block
    if "REGIONS" in tags:
        return truth, bands[int(tags["REGIONS"]) - 1], None
    return truth, None, None


def accuracy(scores: np.ndarray, truth: np.ndarray, regions: np.ndarray | None) -> dict:
    """Pooled AUC over the valid pixels and the mean AUC of the regions that hold an anomaly."""
    valid = np.isfinite(scores)
    per_region = [
        roc_auc(scores[inside], truth[inside])
        for region in ([] if regions is None else np.unique(regions))
        for inside in [(regions == region) & valid]
        if 0 < truth[inside].sum() < inside.sum()
    ]
    return {
        "auc": roc_auc(scores[valid], truth[valid]),
        "region_auc": float(np.mean(per_region)) if per_region else None,
    }


#: The eight flips and quarter turns of a ``(..., y, x)`` block.
TRANSFORMS = [(turns, flip) for turns in range(4) for flip in (False, True)]


def transformed(block: np.ndarray, turns: int, flip: bool) -> np.ndarray:
    """``block`` turned ``turns`` quarter turns, then flipped left to right if ``flip``."""
    block = np.rot90(block, turns, axes=(-2, -1))
    return block[..., ::-1] if flip else block


def measure_alone(
    scene: str, block: int, steps: int | None, sources: list
) -> tuple[dict, np.ndarray]:
    """A: every source block of a mosaic trained alone by the default, arranged as the mosaic.

    ``sources`` holds ``(cube, scores, figures)`` of the blocks run so far
    (shared between mosaics of the same scenes); a block that is a flipped or
    turned copy of one of them takes its scores flipped or turned the same
    way. The figures add up the runs of the distinct blocks this mosaic holds
    (those run for an earlier mosaic included: ``new_runs`` counts the others).
    """
    with rasterio.open(SCENES / f"{scene}.tif") as src:
        cube = src.read()
    scores = np.empty(cube.shape[1:], np.float32)
    used: dict[int, dict] = {}
    new_runs = 0
    for top in range(0, cube.shape[1], block):
        for left in range(0, cube.shape[2], block):
            window = np.s_[top : top + block, left : left + block]
            part = cube[(slice(None), *window)]
            found = next(
                (
                    (index, transformed(source_scores, turns, flip))
                    for index, (source, source_scores, _) in enumerate(sources)
                    for turns, flip in TRANSFORMS
                    if np.array_equal(transformed(source, turns, flip), part)
                ),
                None,
            )
            if found is None:
                run, part_scores = measure_block(part, steps)
                sources.append((part, part_scores, run))
                found = (len(sources) - 1, part_scores)
                new_runs += 1
            used[found[0]] = sources[found[0]][2]
            scores[window] = found[1]
    figures = {
        "wall_s": sum(run["wall_s"] for run in used.values()),
        "cpu_s": sum(run["cpu_s"] for run in used.values()),
        "peak_gib": max(run["peak_gib"] for run in used.values()),
        "runs": len(used),
        "new_runs": new_runs,
    }
    return figures, scores


def measure_block(part: np.ndarray, steps: int | None) -> tuple[dict, np.ndarray]:
    """The default's run on one ``(band, y, x)`` block, written as a GeoTIFF of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "block.tif")
        profile = {"driver": "GTiff", "count": part.shape[0], "dtype": "float32"}
        with rasterio.open(path, "w", height=part.shape[1], width=part.shape[2], **profile) as dst:
            dst.write(part.astype(np.float32))
        return measure(path, "default", steps)


def extrapolate_tiles(scene: str, steps: int | None, threads: int) -> dict:
    """Per-tile training's CPU seconds on ``scene``, from one full tile trained 2 and 4 steps.

    ``steps``: the steps per tile extrapolated to (None: the default preset's).
    """
    import superad_geo
    from superad_geo.model.presets import resolve_params
    from superad_geo.options import DetectOptions

    scene_array = superad_geo.open_scene(SCENES / f"{scene}.tif")
    resolved, tiles = superad_geo.tile_plan(scene_array, DetectOptions(training="tile"))
    # the largest tile of the grid (its padded window), read from the scene's corner
    height = max(t.padded.height for t in tiles)
    width = max(t.padded.width for t in tiles)
    path = str(SCENES / f"{scene}.tif")
    result = subprocess.run(
        [sys.executable, "-c", EXTRAPOLATE, path, str(height), str(width), str(threads)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    cost = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "tiles": len(tiles),
        "tile_shape": f"{height}×{width}",
        "cpu_per_step_s": cost["cpu_per_step_s"],
        "cpu_s": len(tiles)
        * (
            cost["fixed_cpu_s"]
            + (steps or resolve_params("default")["steps"]) * cost["cpu_per_step_s"]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenes", nargs="+", default=["grid-1000", "had-mosaic", "had-regions", "enmap-implants"]
    )
    parser.add_argument(
        "--trainings",
        nargs="+",
        choices=["alone", "default", "scene", "tile"],
        default=["alone", "default", "scene", "tile"],
        help="default: the preset's training (auto: per tile or per scene by the scene's size)",
    )
    parser.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    parser.add_argument(
        "--extrapolate",
        nargs="*",
        default=["grid-1000"],
        help="scenes whose per-tile run is estimated, not run",
    )
    parser.add_argument(
        "--curve", nargs="+", type=int, metavar="SIDE", help="print the size curve of grid-1000"
    )
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    print(f"CPU: {cpu_model()}; {threads} cores")
    if args.curve:
        size_curve(args.curve, args.steps)
        return
    print("scene | training | wall s | CPU s | peak GiB | Mpx/min | AUC | region AUC")
    sources: list = []
    for scene in args.scenes:
        truth, regions, block = read_truth(scene)
        megapixels = truth.size / 1e6
        measured: dict[str, dict] = {}
        for label in args.trainings:
            if label == "alone":
                if block is None:
                    print(f"{scene} | alone | not defined (no blocks of benchmark scenes)")
                    continue
                figures, scores = measure_alone(scene, block, args.steps, sources)
                figures.update(accuracy(scores, truth, regions))
                name = f"alone ({figures['runs']} runs, {figures['new_runs']} new)"
            else:
                training = resolved_training(label, truth.shape)
                name = label if label == training else f"{label} (= {training} here)"
                if training == "tile" and scene in args.extrapolate:
                    print_extrapolated(scene, name, megapixels, args.steps, threads, measured)
                    continue
                if training not in measured:
                    figures, scores = measure(SCENES / f"{scene}.tif", label, args.steps)
                    measured[training] = {**figures, **accuracy(scores, truth, regions)}
                figures = measured[training]
            region = figures["region_auc"]
            print(
                f"{scene} | {name} | {figures['wall_s']:.0f} | {figures['cpu_s']:.0f} | "
                f"{figures['peak_gib']:.2f} | {megapixels / (figures['wall_s'] / 60):.3f} | "
                f"{figures['auc']:.4f} | {'-' if region is None else f'{region:.4f}'}",
                flush=True,
            )


def print_extrapolated(
    scene: str, name: str, megapixels: float, steps: int | None, threads: int, measured: dict
) -> None:
    """Print the extrapolated per-tile row of ``scene`` (estimated once per scene)."""
    cost = measured.get("tile") or extrapolate_tiles(scene, steps, threads)
    measured["tile"] = cost
    print(
        f"{scene} | {name}, extrapolated: {cost['tiles']} tiles of "
        f"{cost['tile_shape']}, {cost['cpu_per_step_s']:.2f} CPU s/step | "
        f"~{cost['cpu_s'] / threads:.0f} at {threads} cores | "
        f"~{cost['cpu_s']:.0f} | - | "
        f"~{megapixels / (cost['cpu_s'] / threads / 60):.3f} | - | -",
        flush=True,
    )


def size_curve(sides: list[int], steps: int | None) -> None:
    """The default on the top-left ``side × side`` corner of grid-1000, for each side."""
    with rasterio.open(SCENES / "grid-1000.tif") as src:
        profile = src.profile
    truth, _, _ = read_truth("grid-1000")
    print("side | training | steps | wall s | CPU s | peak GiB | AUC")
    for side in sides:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, f"corner-{side}.tif")
            with rasterio.open(SCENES / "grid-1000.tif") as src:
                corner = src.read(window=((0, side), (0, side)))
            with rasterio.open(path, "w", **{**profile, "height": side, "width": side}) as dst:
                dst.write(corner)
            figures, scores = measure(path, "default", steps)
        auc = accuracy(scores, truth[:side, :side], None)["auc"]
        training = resolved_training("default", (side, side))
        print(
            f"{side}² | {training} | {training_steps(training, (side, side), steps)} | "
            f"{figures['wall_s']:.0f} | {figures['cpu_s']:.0f} | "
            f"{figures['peak_gib']:.2f} | {auc:.4f}",
            flush=True,
        )


def resolved_training(label: str, shape: tuple[int, int]) -> str:
    """``tile`` or ``scene``: what ``label`` (``default`` = the preset's) trains ``shape`` with."""
    from superad_geo.model.presets import resolve_params
    from superad_geo.model.scene_training import needs_scene_training

    training = None if label == "default" else label
    options = resolve_params("default", training=training)
    return "scene" if needs_scene_training(shape, options) else "tile"


def training_steps(training: str, shape: tuple[int, int], steps: int | None) -> int:
    """The optimiser steps of ``training`` on ``shape`` (scene training scales them to its area)."""
    from superad_geo.model.presets import resolve_params
    from superad_geo.model.scene_training import scene_schedule

    options = resolve_params("default", steps=steps)
    return int(scene_schedule(shape, options)["steps"] if training == "scene" else options["steps"])


if __name__ == "__main__":
    main()

"""Scene training against per-tile training on large scenes with ground truth, side by side.

For each scene built by ``scripts/make_large_scenes.py`` (``grid-1000``,
``had-mosaic``, ``enmap-implants``) and each training (``default``, the
preset's ``auto``; ``scene``; ``tile``), runs ``superad-geo detect`` as a user
does (all cores, the default preset) and prints its wall time, CPU time (all
threads), peak memory (the process's peak RSS), megapixels per minute, the ROC AUC of the written
scores against the scene's truth and, for mosaics of benchmark scenes, the
mean AUC of their blocks (each block one background, judged as that scene
alone would be). ``default`` runs whichever of the other two ``auto`` picks
for the scene, so where that one is also asked for it is run once.

Per-tile training of a 1000 × 1000 scene takes hours on two CPU cores, so
``--extrapolate SCENE`` replaces that run by an estimate: one full-size tile
of the scene's tile grid is trained for 2 and for 4 steps, and the tile count
times (the fixed cost + the preset's steps × the cost of a step) is printed,
marked as extrapolated.

\b
    python scripts/make_large_scenes.py
    python benchmarks/scene_speed.py
    python benchmarks/scene_speed.py --scenes had-mosaic --steps 300 --trainings scene tile
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

from superad_geo.evaluation.metrics import block_aucs, roc_auc

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "out" / "large-scenes"

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


def measure(scene: str, training: str, steps: int | None) -> dict:
    """Run ``superad-geo detect`` on ``scene`` as a user does; its time, peak memory and AUCs."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder, "scores.tif")
        command = ["superad-geo", "detect", str(SCENES / f"{scene}.tif"), "-o", str(output)]
        command += ["--device", "cpu", "--quiet"]
        command += [] if training == "default" else ["--training", training]
        command += [] if steps is None else ["--steps", str(steps)]
        log = Path(folder, "stderr.txt")
        start = time.perf_counter()
        with log.open("w") as stderr:  # a file, not a pipe: a full pipe would stall the child
            child = subprocess.Popen(command, stderr=stderr)
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError(log.read_text()[-2000:])
        with rasterio.open(output) as scores, rasterio.open(SCENES / f"{scene}.truth.tif") as truth:
            values, expected = scores.read(1), truth.read(1)
            block = truth.tags().get("BLOCK_SIZE")
    blocks = block_aucs(values, expected, int(block)) if block else []
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_gib": usage.ru_maxrss / 2**20,
        "auc": roc_auc(values, expected),
        "block_auc": float(np.mean(blocks)) if blocks else None,
    }


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
        "--scenes", nargs="+", default=["grid-1000", "had-mosaic", "enmap-implants"]
    )
    parser.add_argument(
        "--trainings",
        nargs="+",
        choices=["default", "scene", "tile"],
        default=["default", "scene", "tile"],
        help="default: the preset's training (auto: per tile or per scene by the scene's size)",
    )
    parser.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    parser.add_argument(
        "--extrapolate",
        nargs="*",
        default=["grid-1000"],
        help="scenes whose per-tile run is estimated, not run",
    )
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    print(f"CPU: {cpu_model()}; {threads} cores")
    print("scene | training | wall s | CPU s | peak GiB | Mpx/min | AUC | block AUC")
    for scene in args.scenes:
        import rasterio

        with rasterio.open(SCENES / f"{scene}.tif") as src:
            shape = (src.height, src.width)
        megapixels = shape[0] * shape[1] / 1e6
        measured: dict[str, dict] = {}
        for label in args.trainings:
            training = resolved_training(label, shape)
            name = label if label == training else f"{label} (= {training} here)"
            if training == "tile" and scene in args.extrapolate:
                cost = measured.get(training) or extrapolate_tiles(scene, args.steps, threads)
                measured[training] = cost
                print(
                    f"{scene} | {name}, extrapolated: {cost['tiles']} tiles of "
                    f"{cost['tile_shape']}, {cost['cpu_per_step_s']:.2f} CPU s/step | "
                    f"~{cost['cpu_s'] / threads:.0f} at {threads} cores | "
                    f"~{cost['cpu_s']:.0f} | - | "
                    f"~{megapixels / (cost['cpu_s'] / threads / 60):.3f} | - | -",
                    flush=True,
                )
                continue
            figures = measured.get(training) or measure(scene, label, args.steps)
            measured[training] = figures
            block = figures["block_auc"]
            print(
                f"{scene} | {name} | {figures['wall_s']:.0f} | {figures['cpu_s']:.0f} | "
                f"{figures['peak_gib']:.2f} | {megapixels / (figures['wall_s'] / 60):.3f} | "
                f"{figures['auc']:.4f} | {'-' if block is None else f'{block:.4f}'}",
                flush=True,
            )


def resolved_training(label: str, shape: tuple[int, int]) -> str:
    """``tile`` or ``scene``: what ``label`` (``default`` = the preset's) trains ``shape`` with."""
    from superad_geo.model.presets import resolve_params
    from superad_geo.model.scene_training import needs_scene_training

    training = None if label == "default" else label
    options = resolve_params("default", training=training)
    return "scene" if needs_scene_training(shape, options) else "tile"


if __name__ == "__main__":
    main()

"""Scene training against per-tile training on large scenes with ground truth, side by side.

For each scene built by ``scripts/make_large_scenes.py`` (``grid-1000``,
``had-mosaic``, ``enmap-implants``) and each training (``scene``, ``tile``),
runs ``superad_geo.detect_file`` in a fresh process and prints its wall time,
CPU time (all threads), peak memory (the process's peak RSS), megapixels per
minute and the ROC AUC of the written scores against the scene's truth.

Per-tile training of a 1000 × 1000 scene takes hours on two CPU cores, so
``--extrapolate SCENE`` replaces that run by an estimate: one full-size tile
of the scene's tile grid is trained for 2 and for 4 steps, and the tile count
times (the fixed cost + the preset's steps × the cost of a step) is printed,
marked as extrapolated.

\b
    python scripts/make_large_scenes.py
    python benchmarks/scene_speed.py --threads 2
    python benchmarks/scene_speed.py --scenes had-mosaic --steps 300 --trainings scene tile
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "out" / "large-scenes"

RUN = """
import json, os, resource, sys, time
import numpy as np, rasterio, torch
import superad_geo
from superad_geo.evaluation.metrics import roc_auc
src, dst, truth_path, options = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
start, cpu = time.perf_counter(), os.times()
superad_geo.detect_file(src, dst, overwrite=True, progress=None, **options)
wall = time.perf_counter() - start
after = os.times()
with rasterio.open(dst) as scores, rasterio.open(truth_path) as truth:
    auc = roc_auc(scores.read(1), truth.read(1))
print(json.dumps({
    "wall_s": wall,
    "cpu_s": (after.user - cpu.user) + (after.system - cpu.system),
    "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    "auc": auc,
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


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def measure(scene: str, options: dict, threads: int) -> dict:
    """One ``detect_file`` run in a fresh process (its own peak memory)."""
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                RUN,
                str(SCENES / f"{scene}.tif"),
                str(Path(folder, "scores.tif")),
                str(SCENES / f"{scene}.truth.tif"),
                json.dumps({**options, "threads": threads, "device": "cpu"}),
            ],
            capture_output=True,
            text=True,
        )
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def extrapolate_tiles(scene: str, steps: int, threads: int) -> dict:
    """Per-tile training's CPU seconds on ``scene``, from one full tile trained 2 and 4 steps."""
    import superad_geo
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
        "cpu_s": len(tiles) * (cost["fixed_cpu_s"] + steps * cost["cpu_per_step_s"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenes", nargs="+", default=["grid-1000", "had-mosaic", "enmap-implants"]
    )
    parser.add_argument("--trainings", nargs="+", default=["scene", "tile"])
    parser.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--extrapolate",
        nargs="*",
        default=["grid-1000"],
        help="scenes whose per-tile run is estimated, not run",
    )
    parser.add_argument("--param", nargs="*", default=[], help="engine overrides, KEY=VALUE")
    args = parser.parse_args()
    params = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
    print(f"CPU: {cpu_model()}; torch threads {args.threads}")
    print("scene | training | wall s | CPU s | peak GiB | Mpx/min | AUC")
    for scene in args.scenes:
        import rasterio

        with rasterio.open(SCENES / f"{scene}.tif") as src:
            megapixels = src.height * src.width / 1e6
        for training in args.trainings:
            if training == "tile" and scene in args.extrapolate:
                from superad_geo.model.presets import resolve_params

                steps = args.steps or resolve_params("default")["steps"]
                cost = extrapolate_tiles(scene, steps, args.threads)
                print(
                    f"{scene} | tile (extrapolated: {cost['tiles']} tiles of "
                    f"{cost['tile_shape']}, {cost['cpu_per_step_s']:.2f} CPU s/step) | "
                    f"~{cost['cpu_s'] / args.threads:.0f} at {args.threads} cores | "
                    f"~{cost['cpu_s']:.0f} | - | "
                    f"~{megapixels / (cost['cpu_s'] / args.threads / 60):.3f} | -",
                    flush=True,
                )
                continue
            options = {"training": training, "steps": args.steps, **params}
            figures = measure(scene, options, args.threads)
            print(
                f"{scene} | {training} | {figures['wall_s']:.0f} | {figures['cpu_s']:.0f} | "
                f"{figures['peak_gib']:.2f} | {megapixels / (figures['wall_s'] / 60):.3f} | "
                f"{figures['auc']:.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

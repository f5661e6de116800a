"""Cost of one Super-AD training step against tile size, and accuracy against steps.

Prints, for square tiles of 100, 256 and 512 pixels (189 bands, one superpixel
per 100 pixels): seconds per step (median), the peak resident memory of a
fresh process running the steps and how much of it the training added above
the process's own (torch, the tile), and the floating-point work of a step
divided by its time (GFLOP/s). Wall and CPU seconds are both shown: on a shared machine
the CPU time (summed over threads) is the steadier figure. ``--accuracy``
also runs the ``reference`` preset on the benchmark scenes and prints the AUC
against steps (every 100), the last step's AUC and the wall time.

\b
    python benchmarks/engine.py                      # step cost, 100² … 512²
    python benchmarks/engine.py --sizes 1024 --steps 2
    python benchmarks/engine.py --accuracy           # … and AUC against steps (about 30 min)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from superad_geo.model.devices import resolve_device
from superad_geo.model.preparation import PreparedCube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import train_and_score

BANDS = 189
PIXELS_PER_SUPERPIXEL = 100


def random_tile(size: int, seed: int = 0, bands: int = BANDS) -> PreparedCube:
    """A prepared ``size²`` tile of random values and random superpixel labels."""
    rng = np.random.default_rng(seed)
    count = max(1, size * size // PIXELS_PER_SUPERPIXEL)
    return PreparedCube(
        scaled=rng.random((bands, size, size), dtype=np.float32),
        valid=np.ones((size, size), dtype=bool),
        labels=rng.integers(0, count, (size, size)),
        count=count,
    )


def step_flops(tile: PreparedCube, device: torch.device) -> float:
    """Floating-point operations of one training step on ``tile``, both stacks adaptive.

    Counted as the difference between a 2-step and a 1-step run (the first
    step skips stack A). The counter does not see the grouping of grouped
    convolutions, so batches are counted one tile at a time.
    """
    counts = []
    for steps in (1, 2):
        with FlopCounterMode(display=False) as counter:
            train_and_score(
                [tile], resolve_params("reference", steps=steps), seeds=[0], device=device
            )
        counts.append(counter.get_total_flops())
    return float(counts[1] - counts[0])


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def measure_tile(size: int, steps: int, device_name: str, batch: int = 1) -> dict:
    """Time ``steps`` training steps on ``batch`` random ``size²`` tiles; count a step's FLOPs."""
    device = resolve_device(device_name)
    tiles = [random_tile(size, seed) for seed in range(batch)]
    stamps = []

    def stamp(step: int, total: int) -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()
        stamps.append((time.perf_counter(), time.process_time()))

    def run(count: int, batch_tiles: list[PreparedCube], progress=None) -> None:
        options = resolve_params("reference", steps=count)
        seeds = range(len(batch_tiles))
        train_and_score(batch_tiles, options, seeds=seeds, device=device, progress=progress)

    baseline = _peak_rss_gib()  # torch, the tiles and the process itself
    run(steps + 1, tiles, stamp)
    peak = _peak_rss_gib()
    step_peak = peak - baseline
    if device.type == "cuda":
        peak = step_peak = torch.cuda.max_memory_allocated() / 2**30
    flops = step_flops(tiles[0], device) * batch
    intervals = list(zip(stamps, stamps[1:], strict=False))
    wall = statistics.median(end[0] - start[0] for start, end in intervals)
    cpu = statistics.median(end[1] - start[1] for start, end in intervals)
    return {
        "size": size,
        "batch": batch,
        "superpixels": tiles[0].count,
        "seconds_per_step": wall,
        "cpu_seconds_per_step": cpu,
        "peak_gib": peak,
        "step_gib": step_peak,
        "gflop_per_step": flops / 1e9,
        "gflop_per_s": flops / 1e9 / wall,
        "device": str(device),
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    """Run each tile size in its own process so peak memory is per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 256, 512])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=1, help="tiles trained side by side")
    parser.add_argument(
        "--accuracy",
        action="store_true",
        help="also run the reference preset (1000 steps) on the benchmark scenes: "
        "AUC every 100 steps, last AUC and wall time",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_tile(args.one, args.steps, args.device, args.batch)))
        return
    print(
        f"{'tile':>9} {'B':>3} {'S':>6} {'s/step':>8} {'CPU s':>7} {'peak GiB':>9} {'step GiB':>9} "
        f"{'GFLOP/step':>11} {'GFLOP/s':>8}  device"
    )
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--steps",
                str(args.steps),
                "--device",
                args.device,
                "--batch",
                str(args.batch),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{size:>4}×{size:<4} {row['batch']:>3} {row['superpixels']:>6} "
            f"{row['seconds_per_step']:8.3f} {row['cpu_seconds_per_step']:7.3f} "
            f"{row['peak_gib']:9.2f} {row['step_gib']:9.2f} "
            f"{row['gflop_per_step']:11.2f} {row['gflop_per_s']:8.1f}"
            f"  {row['device']} ({row['threads']} threads)",
            flush=True,
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        pixels = (last["size"] / first["size"]) ** 2
        time_ratio = last["seconds_per_step"] / first["seconds_per_step"]
        memory_ratio = last["step_gib"] / first["step_gib"]
        print(f"pixels ×{pixels:.1f}: time ×{time_ratio:.1f}, memory ×{memory_ratio:.1f}")
    if args.accuracy:
        from accuracy import run_preset  # benchmarks/accuracy.py, beside this script

        print("reference preset on the benchmark scenes:")
        run_preset(resolve_params("reference"), [42], every=100, device=args.device)


if __name__ == "__main__":
    main()

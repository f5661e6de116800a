"""Cost of one Super-AD training step against tile size, and accuracy against steps.

Prints, for square tiles of 100, 256 and 512 pixels (189 bands, one superpixel
per 100 pixels): seconds per step (median), peak resident memory of a fresh
process running the steps, and the floating-point work of a step divided by
its time (GFLOP/s). ``--accuracy`` also runs the ``reference`` preset on the
benchmark scenes (see ``benchmarks/accuracy.py``) with the AUC every 100 steps.

\b
    python benchmarks/engine.py                      # step cost, 100² … 512²
    python benchmarks/engine.py --sizes 1024 --steps 2
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

from superad_geo.adaconv import select_taps
from superad_geo.devices import resolve_device
from superad_geo.mining import background_mask, pixel_loss
from superad_geo.network import SuperADNet

BANDS = 189
PIXELS_PER_SUPERPIXEL = 100


def measure_tile(size: int, steps: int, device_name: str) -> dict:
    """Time ``steps`` training steps on a random ``size²`` tile; count one step's FLOPs."""
    device = resolve_device(device_name)
    torch.manual_seed(0)
    count = max(1, size * size // PIXELS_PER_SUPERPIXEL)
    cube = torch.rand(1, BANDS, size, size, device=device)
    labels = torch.randint(0, count, (size * size,), device=device)
    model = SuperADNet(BANDS).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.5, 0.8))
    taps = select_taps(torch.rand(size, size, device=device), 3, 5)

    def step() -> None:
        residual = model(cube, labels, count, taps) - cube
        error = residual.abs().mean(dim=1).reshape(-1)
        losses = pixel_loss(error)
        loss = (losses * background_mask(losses.detach(), labels)).sum() / error.numel()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        select_taps(error.detach().reshape(size, size), 3, 5)
        if device.type == "cuda":
            torch.cuda.synchronize()

    with FlopCounterMode(display=False) as counter:
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB (Linux: KiB)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
    flops = counter.get_total_flops()
    return {"size": size, "superpixels": count, "seconds_per_step": seconds,
            "peak_gib": peak, "gflop_per_step": flops / 1e9, "gflop_per_s": flops / 1e9 / seconds,
            "device": str(device), "threads": torch.get_num_threads()}


def main() -> None:
    """Run each tile size in its own process so peak memory is per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 256, 512])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_tile(args.one, args.steps, args.device)))
        return
    print(f"{'tile':>9} {'S':>6} {'s/step':>8} {'peak GiB':>9} {'GFLOP/step':>11} "
          f"{'GFLOP/s':>8}  device")
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--steps",
                              str(args.steps), "--device", args.device],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{size:>4}×{size:<4} {row['superpixels']:>6} {row['seconds_per_step']:8.3f} "
              f"{row['peak_gib']:9.2f} {row['gflop_per_step']:11.2f} {row['gflop_per_s']:8.1f}"
              f"  {row['device']} ({row['threads']} threads)", flush=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        pixels = (last["size"] / first["size"]) ** 2
        print(f"pixels ×{pixels:.1f}: time ×{last['seconds_per_step'] / first['seconds_per_step']:.1f}, "
              f"memory ×{last['peak_gib'] / first['peak_gib']:.1f}")
    np.set_printoptions()


if __name__ == "__main__":
    main()

"""Throughput of the scene pipeline: megapixels per minute, tiles batched vs one at a time.

Scores a synthetic scene (default 1024 × 1024 × 150 bands, the ``default``
preset with ``--steps`` training steps) through :func:`superad_geo.detect`,
once with tiles trained one at a time and once with ``--batch`` tiles trained
side by side, and prints megapixels per minute for each, their ratio, the
floating-point rate of the training (the FLOPs of a step on one padded tile,
counted by ``benchmarks/engine.py``, times tiles and steps, over the wall
time, which also holds reading, superpixels and writing), and whether the two
score maps agree.

\b
    python benchmarks/throughput.py                         # CPU, 1024², 20 steps
    python benchmarks/throughput.py --device cuda --steps 1000 --batch 16
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from engine import random_tile, step_flops  # benchmarks/engine.py, beside this script

from superad_geo import detect, make_scene
from superad_geo.detectors.superad import default_halo
from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.devices import resolve_device
from superad_geo.scene.tiling import tile_windows


def main() -> None:
    """Run the scene at each batch size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--bands", type=int, default=150)
    parser.add_argument("--tile-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    scene, truth = make_scene((args.size, args.size), args.bands, seed=0)
    scene = scene.compute()
    megapixels = args.size * args.size / 1e6
    print(
        f"scene {args.size}×{args.size}×{args.bands}, tiles {args.tile_size}, "
        f"{args.steps} steps, device {args.device}, {torch.get_num_threads()} threads"
    )
    tiles = tile_windows((args.size, args.size), args.tile_size, 64, halo=default_halo(100))
    padded = tiles[0].padded
    tile = random_tile(max(padded.height, padded.width), bands=args.bands)
    work = step_flops(tile, resolve_device(args.device)) * len(tiles) * args.steps
    print(f"{'batch':>5} {'seconds':>8} {'MP/min':>7} {'GFLOP/s':>8} {'AUC':>7}")
    results = {}
    for batch in (1, args.batch):
        start = time.perf_counter()
        scores = detect(
            scene,
            tile_size=args.tile_size,
            steps=args.steps,
            device=args.device,
            batch_size=batch,
        )
        seconds = time.perf_counter() - start
        results[batch] = (seconds, scores.values)
        auc = roc_auc(scores.values, truth.values)
        rate = work / seconds / 1e9
        print(
            f"{batch:>5} {seconds:8.1f} {megapixels / seconds * 60:7.2f} {rate:8.1f} {auc:7.4f}",
            flush=True,
        )
    (one, first), (many, batched) = results[1], results[args.batch]
    both = np.isfinite(first) & np.isfinite(batched)
    difference = np.abs(first[both] - batched[both]).max()
    print(
        f"batched / one at a time: ×{one / many:.2f} throughput; "
        f"largest score difference {difference:.2e}"
    )


if __name__ == "__main__":
    main()

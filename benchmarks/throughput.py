"""Throughput of the scene pipeline: megapixels per minute, tiles batched vs one at a time.

Scores a synthetic scene (default 1024 × 1024 × 150 bands, the ``default``
preset with ``--steps`` training steps) through :func:`superad_geo.detect`,
once with tiles trained one at a time and once with ``--batch`` tiles trained
side by side, and prints megapixels per minute for each, their ratio, the
engine's floating-point rate, and whether the two score maps agree.

\b
    python benchmarks/throughput.py                         # CPU, 1024², 20 steps
    python benchmarks/throughput.py --device cuda --steps 1000 --batch 16
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from superad_geo import detect, make_scene
from superad_geo.metrics import roc_auc


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
    print(f"{'batch':>5} {'seconds':>8} {'MP/min':>7} {'AUC':>7}")
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
        print(f"{batch:>5} {seconds:8.1f} {megapixels / seconds * 60:7.2f} {auc:7.4f}", flush=True)
    (one, first), (many, batched) = results[1], results[args.batch]
    both = np.isfinite(first) & np.isfinite(batched)
    difference = np.abs(first[both] - batched[both]).max()
    print(
        f"batched / one at a time: ×{one / many:.2f} throughput; "
        f"largest score difference {difference:.2e}"
    )


if __name__ == "__main__":
    main()

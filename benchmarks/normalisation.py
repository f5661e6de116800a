"""Does the floored tile normalisation change the benchmark scenes' scores? (issue 14)

Each benchmark scene is a single tile, so its pipeline scores are the engine's
scores normalised once: ``(s - median) / spread``. This prints, per scene, the
share of its most frequent score (the floor applies from 0.2 on), the
MAD-based spread, the floor the central 98 % would give
(``(q99 - q1) / (2 * 2.326)``), the spread used, and the ROC AUC of the
engine's scores and of the normalised ones (a positive scale keeps the
ranking, so the AUC cannot move; the figures show it does not).

\b
    OMP_NUM_THREADS=1 python benchmarks/normalisation.py --steps 100
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from machine import cpu_model

from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.training import score_cube
from superad_geo.scene.io import read_mat
from superad_geo.scene.mosaic import (
    FLOOR_QUANTILES,
    MAD_TO_SIGMA,
    Z_99,
    background_statistics,
    constant_share,
    normalise,
)

HAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "had"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int, default=None, help="training steps (preset's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--had", type=Path, default=HAD_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"CPU: {cpu_model()}; preset {args.preset}, steps {args.steps or 'preset'}")
    print(f"{'scene':<16} {'share':>6} {'MAD spread':>11} {'floor':>9} {'used':>11} "
          f"{'AUC engine':>10} {'AUC normalised':>14}")  # fmt: skip
    for path in sorted(args.had.glob("*.mat")):
        scene, truth = read_mat(path)
        scores = score_cube(
            scene.values, preset=args.preset, steps=args.steps, seed=args.seed, device="cpu"
        )
        values = scores[np.isfinite(scores)].astype(np.float64)
        centre, spread = background_statistics(scores)
        mad = MAD_TO_SIGMA * float(np.median(np.abs(values - centre)))
        low, high = np.quantile(values, FLOOR_QUANTILES)
        floor = float(high - low) / (2 * Z_99)
        normalised = normalise(scores, centre, spread)
        print(
            f"{path.stem:<16} {constant_share(scores):>6.3f} {mad:>11.4g} {floor:>9.4g} "
            f"{spread:>11.4g} {roc_auc(scores, truth):>10.4f} {roc_auc(normalised, truth):>14.4f}"
        )


if __name__ == "__main__":
    main()

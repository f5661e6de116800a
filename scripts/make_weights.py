"""Make the pretrained network the ``fast`` preset starts from.

Trains one Super-AD network, the ``default`` preset's per-tile training for
``--steps`` steps from ``--seed``, on five synthetic scenes
(:func:`superad_geo.scene.synthetic.make_scene`, 100 × 100 pixels, 3 to 6
materials, seeds 9000–9004) side by side, each brought to the 200-band grid
and scaled to [0, 1] as the large test scenes are. Synthetic data only: no
licence to honour, and no scene is ever scored by weights trained on it (the
synthetic scenes of the tests, the examples and the benchmarks take seeds
below 9000: a scene of the same seed is the same materials and fields at any
band count). Writes the network's ``state_dict`` (about 1 MB) to ``--out``;
~7 minutes on one core. Same machine, same seed: the same bytes.

\b
    python scripts/make_weights.py
    python scripts/make_weights.py --out /tmp/synthetic-200.pt
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from make_large_scenes import on_band_grid

from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.pretrained import GRID_BANDS, WEIGHTS
from superad_geo.model.training import train_networks
from superad_geo.scene.synthetic import make_scene

#: The synthetic scenes' seeds: none that a test, an example or a benchmark uses.
SCENE_SEEDS = range(9000, 9005)
SIDE = 100


def synthetic_cube() -> np.ndarray:
    """The ``(200, 100, 500)`` pretraining cube: the five synthetic scenes side by side."""
    scenes = [
        make_scene((SIDE, SIDE), GRID_BANDS, seed=seed, materials=3 + seed % 4)
        for seed in SCENE_SEEDS
    ]
    return np.concatenate([on_band_grid(scene.values) for scene, _ in scenes], axis=2)


def pretrain(cube: np.ndarray, steps: int, seed: int) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of the default's per-tile training on ``cube`` for ``steps`` steps
    (on all its bands, the grid's: no binning)."""
    options = resolve_params("default", steps=steps, training="tile", band_binning=1)
    network, _ = train_networks(
        [prepare_cube(cube, options)], options, seeds=[seed], device=torch.device("cpu")
    )
    return network.state_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    state = pretrain(synthetic_cube(), args.steps, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    seconds = time.perf_counter() - started
    print(f"{args.out}: {args.steps} steps from seed {args.seed} in {seconds:.0f} s")


if __name__ == "__main__":
    main()

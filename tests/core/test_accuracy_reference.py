"""Accuracy of the engine as the paper describes it, on the real benchmark scenes.

The ``reference`` preset (raw reconstruction error) for 300 steps, one torch
thread; the floors are set a little below what it reached on this project's
CPU machines (``docs/accuracy.md``). The network is still learning then (the
AUC keeps rising until about 1000 steps), so they pin a working engine, not
the final figures; at this step count they fail when OBPM or AdaConv is off.
"""

import numpy as np
import pytest

from superad_geo import score_cube
from superad_geo.evaluation.metrics import roc_auc
from superad_geo.scene.io import read_mat

STEPS = 300
#: Measured at 300 steps, seed 0 (docs/accuracy.md): 0.856, 0.901, 0.983, 0.939, 0.990, 0.978
#: (mean 0.941). Without OBPM the same run gives 0.727 on abu-airport-1 (mean 0.918);
#: without AdaConv 0.767 there: both fall below these floors.
FLOORS = {
    "abu-airport-1": 0.80,
    "abu-beach-2": 0.88,
    "abu-urban-1": 0.975,
    "hydice-urban": 0.91,
    "pavia-centre": 0.98,
    "sandiego": 0.94,
}
MEAN_FLOOR = 0.93


@pytest.fixture(scope="module")
def aucs(had_dir, one_torch_thread) -> dict[str, float]:
    results = {}
    for name in FLOORS:
        cube, truth = read_mat(had_dir / f"{name}.mat")
        scores = score_cube(cube.values, preset="reference", steps=STEPS, seed=0, device="cpu")
        results[name] = roc_auc(scores, truth)
    return results


@pytest.mark.parametrize("scene", sorted(FLOORS))
def test_scene_floor(aucs, scene):
    assert aucs[scene] >= FLOORS[scene], f"{scene}: AUC {aucs[scene]:.4f}"


def test_mean_floor(aucs):
    mean = float(np.mean(list(aucs.values())))
    assert mean >= MEAN_FLOOR, f"mean AUC {mean:.4f} over {len(aucs)} scenes"

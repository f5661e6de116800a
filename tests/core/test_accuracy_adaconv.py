"""AdaConv's worth on the scene where it shows: fails when AdaConv is switched off.

At the converged schedule (:mod:`accuracy_runs`) AdaConv moves five of the six
benchmark scenes by less than the seeds do; on sandiego it lifts the
``reference`` preset's AUC clearly (``docs/accuracy.md``, "Test floors").
Measured on an AMD EPYC: the mean of seeds 0–2 was 0.9860 (AVX2) and 0.9849
(ATen's default path), and the lowest mean of any three of seeds 0–4 on one
path 0.9770; with ``adaptive_layers=0`` it was 0.9552 (runs 0.9481–0.9606).
The floor lies halfway between the lowest mean with AdaConv and the mean
without.
"""

import numpy as np
import pytest
from accuracy_runs import train_on_scene

SEEDS = (0, 1, 2)
FLOOR = (0.9770 + 0.9552) / 2


@pytest.fixture(scope="module")
def aucs(had_dir, one_torch_thread) -> list[float]:
    return [train_on_scene(had_dir, "sandiego", "reference", seed).raw_auc for seed in SEEDS]


def test_adaconv_lifts_sandiego(aucs):
    mean = float(np.mean(aucs))
    assert mean >= FLOOR, f"sandiego: mean AUC {mean:.4f} of seeds {SEEDS} ({np.round(aucs, 4)})"

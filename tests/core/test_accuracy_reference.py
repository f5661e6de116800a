"""Accuracy of the engine as the paper describes it, on the real benchmark scenes.

The ``reference`` preset (raw reconstruction error), seed 0, trained with the
converged schedule of :mod:`accuracy_runs`. Each floor is the lowest AUC of
fifteen runs (seeds 0–4 on three CPU code paths: AVX2 and ATen's ``default``
on an AMD EPYC, AVX-512 on an Intel Xeon) less half their range
(``docs/accuracy.md``, "Test floors"). They
catch a broken engine, not a missing component: at convergence, OBPM and
AdaConv move these AUCs by less than the seeds do, so their power lies in
``test_accuracy_components.py``.
"""

import numpy as np
import pytest
from accuracy_runs import AccuracyRun, floor, train_on_scene

#: Fifteen runs per scene: lowest, highest (docs/accuracy.md).
SPREAD = {
    "abu-airport-1": (0.7542, 0.8090),
    "abu-beach-2": (0.8910, 0.9013),
    "abu-urban-1": (0.9822, 0.9860),
    "hydice-urban": (0.9314, 0.9480),
    "pavia-centre": (0.9916, 0.9939),
    "sandiego": (0.9695, 0.9945),
}
#: The lowest and highest six-scene mean of one seed on one path.
MEAN_SPREAD = (0.9254, 0.9348)


@pytest.fixture(scope="module")
def runs(had_dir, one_torch_thread) -> dict[str, AccuracyRun]:
    return {scene: train_on_scene(had_dir, scene, "reference", seed=0) for scene in SPREAD}


@pytest.mark.parametrize("scene", sorted(SPREAD))
def test_scene_floor(runs, scene):
    auc = runs[scene].raw_auc
    assert auc >= floor(*SPREAD[scene]), f"{scene}: AUC {auc:.4f}, runs {SPREAD[scene]}"


def test_mean_floor(runs):
    mean = float(np.mean([run.raw_auc for run in runs.values()]))
    assert mean >= floor(*MEAN_SPREAD), f"mean AUC {mean:.4f} over {len(runs)} scenes"


def test_obpm_leaves_pixels_out_of_the_loss(runs):
    """OBPM drops a few per cent of each scene's pixel-steps from the loss (none when off)."""
    for scene, run in runs.items():
        assert 0.01 <= run.dropped_background <= 0.10, f"{scene}: {run}"

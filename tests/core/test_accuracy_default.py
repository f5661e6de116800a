"""Accuracy of the shipped ``default`` preset on the real benchmark scenes.

Seed 0, the converged schedule of :mod:`accuracy_runs`. Checks the finished
scores (local contrast, smoothing, the RX blend and local standardisation,
``superad_geo.model.scoring``) and that they clearly beat the raw
reconstruction errors of the same training. Floors as in
``test_accuracy_reference.py``: the lowest of fifteen runs (seeds 0–4 on
three CPU code paths) less half their range (``docs/accuracy.md``, "Test
floors").
"""

import numpy as np
import pytest
from accuracy_runs import AccuracyRun, floor, train_on_scene

#: Fifteen runs per scene (seeds 0-4 on an EPYC's AVX2 and ATen default paths and a
#: Xeon's AVX-512 path), finished scores, bands binned by 4, the last 10 steps' errors
#: averaged: lowest, highest (docs/accuracy.md).
SPREAD = {
    "abu-airport-1": (0.8777, 0.9445),
    "abu-beach-2": (0.9407, 0.9539),
    "abu-urban-1": (0.9868, 0.9883),
    "hydice-urban": (0.9943, 0.9970),
    "pavia-centre": (0.9954, 0.9985),
    "sandiego": (0.9911, 0.9959),
}
#: The lowest and highest six-scene mean of one seed on one path.
MEAN_SPREAD = (0.9662, 0.9771)
#: The finished scores' six-scene mean beat the raw errors' by 0.034-0.044 in those runs.
SCORING_GAIN = 0.02


@pytest.fixture(scope="module")
def runs(had_dir, one_torch_thread) -> dict[str, AccuracyRun]:
    return {scene: train_on_scene(had_dir, scene, "default", seed=0) for scene in SPREAD}


@pytest.mark.parametrize("scene", sorted(SPREAD))
def test_scene_floor(runs, scene):
    run = runs[scene]
    assert run.finished_auc >= floor(*SPREAD[scene]), f"{scene}: {run}"


def test_mean_floor_and_scoring_gain(runs):
    raw = float(np.mean([run.raw_auc for run in runs.values()]))
    finished = float(np.mean([run.finished_auc for run in runs.values()]))
    assert finished >= floor(*MEAN_SPREAD), f"mean AUC {finished:.4f}"
    assert finished >= raw + SCORING_GAIN, f"finished {finished:.4f} vs raw error {raw:.4f}"

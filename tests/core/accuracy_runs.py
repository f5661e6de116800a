"""One training run on a benchmark scene, as the accuracy tests see it.

The accuracy tests train for 200 steps with the learning rate decaying every
20 (the ``fast`` preset's schedule), at which the AUC has stopped rising: a
run that has converged. Training is chaotic: the AUC of one run moves with
the seed and with the CPU's floating-point code path (``docs/accuracy.md``,
"Chaos"), so every floor comes from the spread of many runs, never from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import TrainingStep, train_and_score
from superad_geo.scene.io import read_mat

#: The converged schedule of the accuracy tests.
SCHEDULE = {"steps": 200, "lr_step": 20}


def floor(lowest: float, highest: float) -> float:
    """A test's floor from the spread of many runs: the lowest less half their range."""
    return lowest - (highest - lowest) / 2


@dataclass(frozen=True)
class AccuracyRun:
    """The AUCs of one run and what OBPM dropped from its loss."""

    raw_auc: float
    """ROC AUC of the last step's reconstruction errors."""
    finished_auc: float
    """ROC AUC of the scores the preset finishes those errors into."""
    dropped_background: float
    """Share of background pixel-steps that OBPM left out of the loss."""
    dropped_anomalies: float
    """Share of anomalous pixel-steps that OBPM left out of the loss."""


def train_on_scene(had_dir: Path, scene: str, preset: str, seed: int, **params) -> AccuracyRun:
    """Train ``preset`` on the scene with the converged schedule on one CPU thread."""
    cube, truth = read_mat(had_dir / f"{scene}.mat")
    anomalous = truth > 0
    options = resolve_params(preset, **{**SCHEDULE, **params})
    prepared = prepare_cube(cube.values, options)
    dropped = []
    last_errors = []

    def observe(record: TrainingStep) -> None:
        kept = record.kept[0]
        dropped.append(((~kept[~anomalous]).mean(), (~kept[anomalous]).mean()))
        last_errors[:] = [record.errors[0]]

    finished = train_and_score(
        [prepared], options, seeds=[seed], device=torch.device("cpu"), observer=observe
    )[0]
    dropped_background, dropped_anomalies = np.mean(dropped, axis=0)
    return AccuracyRun(
        raw_auc=roc_auc(last_errors[0], truth),
        finished_auc=roc_auc(finished, truth),
        dropped_background=float(dropped_background),
        dropped_anomalies=float(dropped_anomalies),
    )

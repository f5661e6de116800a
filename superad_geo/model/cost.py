"""What a Super-AD run will cost on this machine: measured unit costs, extrapolated.

Training time grows with pixels × steps; SLIC with pixels × iterations; the
scoring chain that turns a tile's errors into scores with its pixels.
:func:`unit_costs` measures all three once per process and probe (a few
training steps, SLIC iterations and one scoring on a random cube of the
scene's band count: 128 × 128 for tiles, the crop's side for scene
training's crops, 1–4 s on a 2-core EPYC), and :func:`training_seconds` /
:func:`slic_seconds` / :func:`finishing_seconds` extrapolate them to a run's
tiles or crops. A tile's forward pass alone (scene training's scoring) is
taken as a third of a training step. The networks of background types
train and score side by side, one torch thread each
(:func:`.scene_training.per_network`): their probes run on one thread, and
their training and scoring are divided among them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from superad_geo.model.crops import crop_windows
from superad_geo.model.devices import resolve_device
from superad_geo.model.scene_training import parallel_networks, pixels_per_step, scene_schedule
from superad_geo.model.scoring import SCORING_KEYS

#: Side of the random cube the tiles' unit costs are measured on (scene training's
#: crops are measured at their own side: a step on 64² crops costs ~20 % more per
#: pixel on two threads, docs/benchmarks.md).
PROBE_SIDE = 128
#: Training steps timed (after two that warm up); their median is the unit.
PROBE_STEPS = 5
#: A forward pass without gradients, as a share of a training step.
FORWARD_SHARE = 1 / 3


@dataclass(frozen=True)
class UnitCosts:
    """Seconds per pixel of one training step, one SLIC iteration and the scoring chain,
    on this machine."""

    step: float
    slic_iteration: float
    finishing: float


def scoring_options(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The scoring chain's options (those :func:`unit_costs` times it with)."""
    return tuple((key, options[key]) for key in SCORING_KEYS)


@functools.cache
def unit_costs(
    bands: int,
    device: str,
    threads: int | None,
    scoring: tuple[tuple[str, Any], ...],
    side: int = PROBE_SIDE,
) -> UnitCosts:
    """Measure one training step's, one SLIC iteration's and the scoring's seconds per pixel.

    Trains the default network for seven steps on a random ``(bands, side, side)``
    cube (the bands trained on: after any binning) with ``threads`` torch threads (None:
    as set) and takes the median of the last five (the first two warm up); SLIC's cost
    is timed on the same cube, and the ``scoring`` chain (:func:`scoring_options`) that
    ends the training on its errors. Cached per process.
    """
    from superad_geo.model.preparation import prepare_cube
    from superad_geo.model.presets import resolve_params
    from superad_geo.model.superpixels import composite, segment
    from superad_geo.model.training import train_and_score

    cube = np.random.default_rng(0).random((bands, side, side), dtype=np.float32)
    pixels = side * side
    options = resolve_params("default", steps=PROBE_STEPS + 2, slic_iterations=10, band_binning=1)
    options.update(scoring)
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        prepared = prepare_cube(cube, options)
        image = composite(prepared.scaled, prepared.valid, "pca")
        start = time.perf_counter()
        segment(image, prepared.valid, n_segments=pixels // 100, compactness=0.01, max_num_iter=10)
        slic = (time.perf_counter() - start) / (10 * pixels)
        stamps: list[float] = []
        train_and_score(
            [prepared],
            options,
            seeds=[0],
            device=resolve_device(device),
            progress=lambda done, total: stamps.append(time.perf_counter()),
        )
        # after the last step's progress, the training only turns its errors into scores
        finishing = (time.perf_counter() - stamps[-1]) / pixels
    finally:
        torch.set_num_threads(before)
    step = float(np.median(np.diff(stamps)[1:])) / pixels  # the first steps warm up
    return UnitCosts(step=step, slic_iteration=slic, finishing=finishing)


def training_seconds(costs: UnitCosts, pixels: int, steps: int) -> float:
    """Seconds to train ``steps`` steps on ``pixels`` pixels (one tile or crop)."""
    return costs.step * pixels * steps


def forward_seconds(costs: UnitCosts, pixels: int, passes: int) -> float:
    """Seconds of ``passes`` forward passes without gradients over ``pixels`` pixels."""
    return costs.step * FORWARD_SHARE * pixels * passes


def slic_seconds(costs: UnitCosts, pixels: int, iterations: int) -> float:
    """Seconds of SLIC over ``pixels`` pixels for ``iterations`` iterations."""
    return costs.slic_iteration * pixels * iterations


def finishing_seconds(costs: UnitCosts, pixels: int) -> float:
    """Seconds of turning ``pixels`` pixels' errors into scores."""
    return costs.finishing * pixels


def tile_training_seconds(costs: UnitCosts, options: dict, tile_pixels: Sequence[int]) -> float:
    """One CPU's seconds to train and segment a fresh network on each tile (``training="tile"``)."""
    steps, iterations = int(options["steps"]), int(options["slic_iterations"])
    return sum(
        training_seconds(costs, pixels, steps)
        + slic_seconds(costs, pixels, iterations)
        + finishing_seconds(costs, pixels)
        for pixels in tile_pixels
    )


def side_by_side(options: dict, threads: int, device: str) -> int:
    """How many of scene training's networks run at once with ``threads`` torch threads
    (each on one thread when more than one: then :func:`unit_costs` is measured on one)."""
    networks = max(1, int(options["background_types"]))
    return parallel_networks(networks, threads, resolve_device(device))


def scene_training_seconds(
    costs: UnitCosts, options: dict, shape: tuple[int, int], at_once: int = 1
) -> float:
    """Seconds to segment scene training's crops once and train the scene's networks on them,
    ``at_once`` of them at a time (:func:`side_by_side`)."""
    crops = [w.height * w.width for w in crop_windows(shape, int(options["crop_size"]))]
    per_step = round(pixels_per_step(shape, options))
    iterations = int(options["scene_slic_iterations"])
    steps = int(scene_schedule(shape, options)["steps"])
    training = training_seconds(costs, per_step, steps) / at_once
    return training + slic_seconds(costs, sum(crops), iterations)


def scene_scoring_seconds(
    costs: UnitCosts, options: dict, tile_pixels: Sequence[int], at_once: int = 1
) -> float:
    """Seconds to segment each tile and score it with the scene's networks' forward passes,
    ``at_once`` networks at a time (:func:`side_by_side`).

    With ``background_types`` K, each type's network segments its part of the
    tile, runs over the whole tile and finishes its scores there. Counted:
    one segmentation of the whole tile (the K parts' cost ~5 times that) and
    K passes and finishings (a tile that holds every type, more than most
    do); the two about cancel on a 1 Mpx scene (docs/benchmarks.md).
    """
    iterations, passes = int(options["scene_slic_iterations"]), int(options["inference_passes"])
    networks = max(1, int(options["background_types"]))
    seconds = sum(
        slic_seconds(costs, pixels, iterations)
        + networks * (forward_seconds(costs, pixels, passes) + finishing_seconds(costs, pixels))
        for pixels in tile_pixels
    )
    return seconds / at_once

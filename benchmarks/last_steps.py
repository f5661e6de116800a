"""Is the last step's noise what holds the default back on the shared scenes?

Three cheap levers against one set of trainings, all scored offline on saved
raw error maps, so each is compared on the same networks:

1. **More steps, and the last steps averaged.** The learning-rate schedule does
   not depend on the step count, so a run of 1200 steps holds the runs of 1000
   and 1100: each ``--ends`` value is scored with the error of its last step,
   and averaged over its last K steps (each map over its valid mean, as the
   ``score_average`` option does).
2. **Ensembles of seeds**: the maps of several seeds' runs, ending at the
   first of ``--ends`` (the preset's 1000 steps), averaged the same way (cost:
   one training per seed).
3. **The RX blend's weight**, at that step: each of ``--weights``, and the best
   weight of each scene picked with the ground truth (a bound no
   ground-truth-free rule can beat).

``--train`` trains the preset on each scene of ``../shared/data/had/`` for the
largest of ``--ends`` steps per seed (one torch thread; the times are printed)
and saves the raw errors of the last ``--keep`` steps in ``--save``; without
it the saved maps are read. Every table is the six-scene mean AUC of the
finished scores, the mean over seeds, with each seed's mean in brackets.

\b
    python benchmarks/last_steps.py --train --seeds 0 1 2 --save out/last-steps
    python benchmarks/last_steps.py --save out/last-steps
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import torch
from accuracy import HAD_DIR
from machine import cpu_model

from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.devices import resolve_device
from superad_geo.model.preparation import PreparedCube, prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import TrainingStep, finish_scores, train_networks
from superad_geo.scene.io import read_mat

WINDOWS = (1, 5, 10, 25, 50, 100)


def train(path: Path, seed: int, params: dict, keep: int, save: Path) -> None:
    """Train ``params`` on the scene at ``path``; save the raw errors of its last ``keep`` steps."""
    scene, _ = read_mat(path)
    prepared = prepare_cube(scene.values, params)
    first = int(params["steps"]) - keep
    errors = np.zeros((keep, *prepared.valid.shape), np.float32)

    def observe(record: TrainingStep) -> None:
        if record.step >= first:
            errors[record.step - first] = record.errors[0]

    start = time.perf_counter()
    train_networks([prepared], params, seeds=[seed], device=resolve_device("cpu"), observer=observe)
    print(f"{path.stem:16} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    np.savez(save / f"{path.stem}-seed{seed}.npz", errors=errors, first=first)


def relative(errors: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each ``(…, y, x)`` map divided by the mean of its valid pixels."""
    return errors / errors[..., valid].mean(axis=-1)[..., None, None]


def auc(errors: np.ndarray, prepared: PreparedCube, params: dict, truth: np.ndarray) -> float:
    """The AUC of one ``(y, x)`` error map finished as ``params`` say."""
    return roc_auc(finish_scores(errors[None], [prepared], params)[0], truth)


def score_scene(path: Path, save: Path, args: argparse.Namespace) -> dict[tuple, dict[int, float]]:
    """Every lever's AUC on one scene: ``{(lever, setting): {seed: AUC}}``."""
    scene, truth = read_mat(path)
    params = resolve_params(args.preset)
    prepared = prepare_cube(scene.values, params)
    runs = {}
    for seed in args.seeds:
        saved = np.load(save / f"{path.stem}-seed{seed}.npz")
        runs[seed] = (int(saved["first"]), saved["errors"])
    results: dict[tuple, dict[int, float]] = {}
    at_base: dict[int, np.ndarray] = {}  # each seed's relative errors at the first of --ends
    for seed, (first, errors) in runs.items():
        if not first < args.ends[0] <= first + len(errors):
            raise SystemExit(f"{path.stem}, seed {seed}: no saved errors of step {args.ends[0]}")
        scaled = relative(errors, prepared.valid)  # the finished scores ignore a map's scale
        at_base[seed] = scaled[args.ends[0] - 1 - first]
        for end, window in itertools.product(args.ends, WINDOWS):
            if end - window >= first and end - first <= len(errors):
                averaged = scaled[end - window - first : end - first].mean(axis=0)
                results.setdefault(("end", end, window), {})[seed] = auc(
                    averaged, prepared, params, truth
                )
        for weight in args.weights:
            weighted = {**params, "rx_weight": weight}
            results.setdefault(("rx", weight), {})[seed] = auc(
                at_base[seed], prepared, weighted, truth
            )
    for size in range(2, len(args.seeds) + 1):
        for seeds in itertools.combinations(args.seeds, size):
            ensemble = np.mean([at_base[seed] for seed in seeds], axis=0)
            results[("ensemble", seeds)] = {seeds[0]: auc(ensemble, prepared, params, truth)}
    return results


def print_row(label: str, by_scene: list[dict[int, float]]) -> None:
    """One row: each scene's mean over seeds, the six-scene mean, each seed's mean."""
    seeds = sorted(by_scene[0])
    per_seed = [np.mean([scene[seed] for scene in by_scene]) for seed in seeds]
    scenes = " ".join(f"{np.mean(list(scene.values())):7.4f}" for scene in by_scene)
    seeds_text = " ".join(f"{value:.4f}" for value in per_seed)
    print(f"{label:24} {scenes}  {np.mean(per_seed):.4f} ({seeds_text})")


def main() -> None:
    """Train (with ``--train``), then print the three levers' tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--ends", type=int, nargs="+", default=[1000, 1100, 1150, 1200])
    parser.add_argument("--keep", type=int, default=400, help="steps saved at the end of a run")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.1, 0.25])
    parser.add_argument("--save", type=Path, required=True, help="folder of the saved errors")
    parser.add_argument("--train", action="store_true", help="train and save first")
    args = parser.parse_args()
    if args.keep > max(args.ends):
        parser.error("--keep cannot exceed the largest of --ends")
    paths = sorted(HAD_DIR.glob("*.mat"))
    print(f"CPU: {cpu_model()}; preset {args.preset}")
    if args.train:
        torch.set_num_threads(1)
        args.save.mkdir(parents=True, exist_ok=True)
        params = resolve_params(args.preset, steps=max(args.ends))
        for path, seed in itertools.product(paths, args.seeds):
            train(path, seed, params, args.keep, args.save)
    results = [score_scene(path, args.save, args) for path in paths]
    print(f"{'':24} " + " ".join(f"{path.stem[:7]:>7}" for path in paths) + "  mean (by seed)")
    print("ending at a step, the last K steps averaged:")
    for end, window in itertools.product(args.ends, WINDOWS):
        if all(("end", end, window) in scene for scene in results):
            print_row(
                f"  {end} steps, K = {window}", [scene[("end", end, window)] for scene in results]
            )
    print("ensembles of seeds (relative errors averaged):")
    for key in [key for key in results[0] if key[0] == "ensemble"]:
        print_row(f"  seeds {key[1]}", [scene[key] for scene in results])
    print("RX blend weight:")
    for weight in args.weights:
        print_row(f"  {weight}", [scene[("rx", weight)] for scene in results])
    best = [
        max(np.mean(list(scene[("rx", w)].values())) for w in args.weights) for scene in results
    ]
    print(f"  {'each scene its best':22} {np.mean(best):.4f} (picked with the ground truth)")


if __name__ == "__main__":
    main()

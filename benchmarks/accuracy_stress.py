"""Scorings against target size: implanted targets in the benchmark scenes, and leave-one-out.

Two parts, both offline on saved reconstruction errors, so every scoring is
compared on the same training:

1. ``--train``: implant targets (``superad_geo.evaluation.implant``: blobs of
   1–200 pixels and a 200-pixel cluster, at each ``--abundances``) into each
   scene of ``../shared/data/had/`` (the scene's own anomalies stay in the
   scene and out of the evaluation), train the preset once per scene and
   abundance and save the raw error map, global RX and the labels (``.npz``).
2. Print the ROC AUC of each target size (its pixels against the background,
   neither implanted nor an original anomaly) for RX, the raw error and each
   scoring in :data:`SCORINGS`; then, from raw error maps of the plain scenes
   saved by ``accuracy.py`` (``--shared``), each scoring's AUC per scene and
   the leave-one-scene-out choices, among all scorings and among
   :data:`FAMILY`: the best mean on the other scenes, and the largest RX
   weight within :data:`TOLERANCE` of that best.

\b
    python benchmarks/accuracy_stress.py --train --preset fast --save out/stress
    python benchmarks/accuracy.py --seeds 0 --set contrast_window=0 smoothing_sigma=0 \\
        --save-scores out/raw1000
    python benchmarks/accuracy_stress.py --save out/stress --shared out/raw1000
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import torch
from machine import cpu_model

from superad_geo import score_cube
from superad_geo.evaluation.implant import foreign_spectrum, implant_targets
from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.presets import resolve_params
from superad_geo.model.rx import rx_scores
from superad_geo.model.scoring import SCORING_KEYS, anomaly_scores
from superad_geo.scene.io import read_mat

HAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "had"
ABUNDANCES = (1.0, 0.3)
IMPLANT_SEED = 7
#: Leave-one-out rule 2: the largest RX weight whose mean on the other scenes is within this of
#: the best there (about the spread of a six-scene mean between seeds, docs/accuracy.md).
TOLERANCE = 0.003
#: The leave-one-out family: power 0.5, windows 21 and 41, RX weights 0-0.5. Smaller windows and
#: power 0.75 win on the plain scenes but erase 200-pixel implants (the stress table); they are
#: shown, and chosen in the unconstrained leave-one-out, but not in the family's.
FAMILY = (
    "median 21 (before)",
    "median 41",
    "median 21, RX 0.1",
    "median 21, RX 0.15",
    "median 21, RX 0.25",
    "median 41, RX 0.1",
    "median 41, RX 0.25",
    "median 41, RX 0.5",
)

#: Scorings compared (keyword arguments of ``anomaly_scores``); ``raw`` is the error itself.
SCORINGS: dict[str, dict] = {
    "raw": {"contrast_window": 0, "smoothing_sigma": 0.0, "rx_weight": 0.0},
    "median 21 (before)": {"contrast_window": 21, "rx_weight": 0.0},
    "median 15, power 0.75": {"contrast_window": 15, "contrast_power": 0.75, "rx_weight": 0.0},
    "median 31": {"contrast_window": 31, "rx_weight": 0.0},
    "median 41": {"contrast_window": 41, "rx_weight": 0.0},
    "median 61": {"contrast_window": 61, "rx_weight": 0.0},
    "median 21, RX 0.1": {"contrast_window": 21, "rx_weight": 0.1},
    "median 21, RX 0.15": {"contrast_window": 21, "rx_weight": 0.15},
    "median 21, RX 0.25": {"contrast_window": 21, "rx_weight": 0.25},
    "median 41, RX 0.1": {"contrast_window": 41, "rx_weight": 0.1},
    "median 41, RX 0.25": {"contrast_window": 41, "rx_weight": 0.25},
    "median 41, RX 0.5": {"contrast_window": 41, "rx_weight": 0.5},
    "median 15, power 0.75, RX 0.1": {
        "contrast_window": 15,
        "contrast_power": 0.75,
        "rx_weight": 0.1,
    },
    **{
        f"median 21, RX 0.25, standardised {window}": {"standardise_window": window}
        for window in (15, 21, 31, 51, 101)
    },
    **{
        f"median 21, RX 0.25, standardised {window}, clip {clip}": {
            "standardise_window": window,
            "standardise_clip": clip,
        }
        for window in (21, 31, 41, 51, 75, 101)
        for clip in (3.0,)
    },
}


def train_stress(save: Path, preset: str, steps: int | None, seed: int, abundances) -> None:
    """Implant, train once per scene and abundance, save errors, RX and labels."""
    save.mkdir(parents=True, exist_ok=True)
    paths = sorted(HAD_DIR.glob("*.mat"))
    scenes = [read_mat(path) for path in paths]
    for abundance, (index, (path, (cube, truth))) in itertools.product(
        abundances, enumerate(zip(paths, scenes, strict=True))
    ):
        donor, donor_truth = scenes[(index + 1) % len(scenes)]
        spectrum = foreign_spectrum(cube.values, donor.values, donor_truth)
        out = save / f"{path.stem}-a{abundance:g}.npz"
        if out.exists():
            continue
        implant = implant_targets(
            cube.values, spectrum, abundance=abundance, seed=IMPLANT_SEED, avoid=truth > 0
        )
        start = time.perf_counter()
        errors = score_cube(
            implant.cube,
            preset=preset,
            steps=steps,
            seed=seed,
            device="cpu",
            contrast_window=0,
            smoothing_sigma=0,
            rx_weight=0,
            standardise_window=0,
        )
        seconds = time.perf_counter() - start
        np.savez_compressed(
            out,
            errors=errors,
            rx=rx_scores(implant.cube),
            labels=implant.labels,
            truth=truth,
            size_classes=np.array([t.size_class for t in implant.targets]),
        )
        print(f"trained {out.name} in {seconds:.0f} s", flush=True)


def score(errors: np.ndarray, rx: np.ndarray, scoring: dict) -> np.ndarray:
    """One scoring of a raw error map (``rx``: the RX scores of the same pixels).

    Keys that ``scoring`` leaves out take the default preset's values, except
    the standardisation, which only the scorings that name it have.
    """
    default = {key: resolve_params("default")[key] for key in SCORING_KEYS}
    options = {**default, "standardise_window": 0, **scoring}
    return anomaly_scores(errors, np.isfinite(errors), **options, rx=rx)


def stress_table(save: Path) -> None:
    """AUC per target size and of all targets, averaged over scenes, for RX and each scoring.

    ``worst vs RX`` and ``below RX``: over the scenes, the smallest margin of
    the all-targets AUC over RX's and how many scenes fall more than 0.005 below it.
    """
    runs = sorted(save.glob("*.npz"))
    if not runs:
        print(f"no stress runs in {save}")
        return
    by_abundance: dict[str, list[Path]] = {}
    for run in runs:
        by_abundance.setdefault(run.stem.rsplit("-a", 1)[1], []).append(run)
    for abundance, files in sorted(by_abundance.items(), key=lambda kv: -float(kv[0])):
        table: dict[str, dict[str, list[float]]] = {}
        for file in files:
            run = np.load(file)
            labels, classes = run["labels"], [str(c) for c in run["size_classes"]]
            background = (labels == 0) & (run["truth"] == 0)
            maps = {"RX": run["rx"]}
            maps |= {n: score(run["errors"], run["rx"], s) for n, s in SCORINGS.items()}
            targets = {
                size_class: np.isin(
                    labels, [i + 1 for i, c in enumerate(classes) if c == size_class]
                )
                for size_class in dict.fromkeys(classes)
            }
            targets["all"] = labels > 0
            for size_class, target in targets.items():
                for name, scores in maps.items():
                    auc = roc_auc(scores, target, valid=target | background)
                    table.setdefault(name, {}).setdefault(size_class, []).append(auc)
        columns = list(table["RX"])
        rx_all = np.array(table["RX"]["all"])
        print(f"\nabundance {abundance}: mean AUC over {len(files)} scenes per target size")
        header = " ".join(f"{c:>11}" for c in columns)
        print(f"{'scoring':30} {header}  worst vs RX  below RX")
        for name, row in table.items():
            cells = " ".join(f"{np.mean(row[c]):11.4f}" for c in columns)
            margins = np.array(row["all"]) - rx_all
            below = int((margins < -0.005).sum())
            print(f"{name:30} {cells}  {margins.min():+11.4f}  {below:>3}/{len(files)}")


def shared_table(shared: Path) -> None:
    """Each scoring's AUC on the plain scenes, then the leave-one-scene-out choices."""
    aucs: dict[str, dict[str, float]] = {}
    rx: dict[str, float] = {}
    for path in sorted(HAD_DIR.glob("*.mat")):
        found = sorted(shared.glob(f"{path.stem}-seed*.npy"))
        if not found:
            continue
        cube, truth = read_mat(path)
        rx_map = rx_scores(cube.values)
        rx[path.stem] = roc_auc(rx_map, truth)
        errors = np.load(found[0])
        aucs[path.stem] = {n: roc_auc(score(errors, rx_map, s), truth) for n, s in SCORINGS.items()}
    if not aucs:
        print(f"no raw error maps in {shared}")
        return
    scenes = list(aucs)
    print(f"\nshared scenes (raw error maps in {shared}): AUC per scoring")
    print(f"{'scoring':30} " + " ".join(f"{s[:11]:>11}" for s in scenes) + "    mean  vs RX")
    print(
        f"{'RX':30} "
        + " ".join(f"{rx[s]:11.4f}" for s in scenes)
        + f"  {np.mean(list(rx.values())):.4f}"
    )
    for name in SCORINGS:
        row = [aucs[s][name] for s in scenes]
        margin = min(aucs[s][name] - rx[s] for s in scenes)
        print(
            f"{name:30} "
            + " ".join(f"{a:11.4f}" for a in row)
            + f"  {np.mean(row):.4f} {margin:+.4f}"
        )
    for title, candidates in (("all scorings", list(SCORINGS)), ("the family", list(FAMILY))):
        leave_one_out(aucs, rx, candidates, title)


def leave_one_out(
    aucs: dict[str, dict[str, float]], rx: dict[str, float], candidates: list[str], title: str
) -> None:
    """Score each scene with the choice made among ``candidates`` on the other scenes.

    Two rules: the best mean there, and the largest RX weight within
    :data:`TOLERANCE` of that best.
    """
    scenes = list(aucs)
    print(f"\nleave one scene out among {title}: each scene with the choice made on the others")
    print(f"{'scene':16} {'best mean':>38} {'most RX within ' + str(TOLERANCE):>38}      RX")
    held: dict[str, list[float]] = {"best": [], "robust": []}
    for scene in scenes:
        others = {n: np.mean([aucs[s][n] for s in scenes if s != scene]) for n in candidates}
        best = max(others, key=others.get)
        close = [n for n in others if others[n] >= others[best] - TOLERANCE]
        robust = max(close, key=lambda n: (SCORINGS[n].get("rx_weight", 0.0), others[n]))
        held["best"].append(aucs[scene][best])
        held["robust"].append(aucs[scene][robust])
        print(
            f"{scene:16} {best:>30} {aucs[scene][best]:.4f} {robust:>30} "
            f"{aucs[scene][robust]:.4f}  {rx[scene]:.4f}"
        )
    print(f"{'mean':16} {np.mean(held['best']):38.4f} {np.mean(held['robust']):38.4f}")


def main() -> None:
    """Parse arguments; train the stress runs if asked; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of the stress runs")
    parser.add_argument("--train", action="store_true", help="train the missing stress runs")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--abundances", type=float, nargs="+", default=list(ABUNDANCES))
    parser.add_argument("--shared", type=Path, help="raw error maps of the plain scenes (.npy)")
    args = parser.parse_args()
    print(f"cpu: {cpu_model()}; torch threads: {torch.get_num_threads()}")
    if args.train:
        train_stress(args.save, args.preset, args.steps, args.seed, args.abundances)
    stress_table(args.save)
    if args.shared:
        shared_table(args.shared)


if __name__ == "__main__":
    main()

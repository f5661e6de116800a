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
   the leave-one-scene-out choice among them.

\b
    python benchmarks/accuracy_stress.py --train --preset fast --save out/stress
    python benchmarks/accuracy.py --seeds 0 --set contrast_window=0 smoothing_sigma=0 \\
        --save-scores out/raw1000
    python benchmarks/accuracy_stress.py --save out/stress --shared out/raw1000
"""

from __future__ import annotations

import argparse
import itertools
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from superad_geo import score_cube
from superad_geo.detectors.rx import rx_scores
from superad_geo.evaluation.implant import implant_targets, resample_spectrum
from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.presets import resolve_params
from superad_geo.model.scoring import SCORING_KEYS, anomaly_scores
from superad_geo.scene.io import read_mat

HAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "had"
ABUNDANCES = (1.0, 0.3)
IMPLANT_SEED = 7

#: Scorings compared (keyword arguments of ``anomaly_scores``); ``raw`` is the error itself.
SCORINGS: dict[str, dict] = {
    "raw": {"contrast_window": 0, "smoothing_sigma": 0.0},
}


def foreign_spectrum(host: np.ndarray, donor: np.ndarray, donor_truth: np.ndarray) -> np.ndarray:
    """A donor material carried into the host's units.

    The donor pixel (not an anomaly) whose spectral angle to the donor scene's
    mean spectrum is the 90th percentile (a common material, unlike the
    average ground), divided by that mean, resampled to the host's bands and
    multiplied by the host's mean spectrum.
    """
    pixels = donor.reshape(donor.shape[0], -1)[:, donor_truth.ravel() == 0].astype(np.float64)
    mean = pixels.mean(axis=1)
    cosine = (mean @ pixels) / (np.linalg.norm(pixels, axis=0) * np.linalg.norm(mean) + 1e-30)
    order = np.argsort(np.arccos(np.clip(cosine, -1.0, 1.0)), kind="stable")
    chosen = pixels[:, order[int(0.9 * (len(order) - 1))]]
    ratio = resample_spectrum(chosen / np.maximum(mean, 1e-30), host.shape[0])
    return ratio * host.reshape(host.shape[0], -1).astype(np.float64).mean(axis=1)


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


def score(errors: np.ndarray, scoring: dict) -> np.ndarray:
    """One scoring of a raw error map."""
    options = {**{key: resolve_params("default")[key] for key in SCORING_KEYS}, **scoring}
    return anomaly_scores(errors, np.isfinite(errors), **options)


def stress_table(save: Path) -> None:
    """AUC per target size, averaged over scenes, for RX, raw error and each scoring."""
    runs = sorted(save.glob("*.npz"))
    if not runs:
        print(f"no stress runs in {save}")
        return
    by_abundance: dict[str, list[Path]] = {}
    for run in runs:
        by_abundance.setdefault(run.stem.rsplit("-a", 1)[1], []).append(run)
    for abundance, files in sorted(by_abundance.items(), key=lambda kv: -float(kv[0])):
        table: dict[str, dict[str, list[float]]] = {}
        worst: dict[str, float] = {}
        for file in files:
            run = np.load(file)
            labels, classes = run["labels"], [str(c) for c in run["size_classes"]]
            background = (labels == 0) & (run["truth"] == 0)
            maps = {"RX": run["rx"]} | {n: score(run["errors"], s) for n, s in SCORINGS.items()}
            for size_class in dict.fromkeys(classes):
                ids = [i + 1 for i, c in enumerate(classes) if c == size_class]
                target = np.isin(labels, ids)
                aucs = {n: roc_auc(m, target, valid=target | background) for n, m in maps.items()}
                for name, auc in aucs.items():
                    table.setdefault(name, {}).setdefault(size_class, []).append(auc)
                    if name != "RX":
                        worst[name] = min(worst.get(name, 1.0), auc - aucs["RX"])
        classes = list(next(iter(table.values())))
        print(f"\nabundance {abundance}: mean AUC over {len(files)} scenes per target size")
        print(f"{'scoring':28} " + " ".join(f"{c:>11}" for c in classes) + "  worst vs RX")
        for name, row in table.items():
            cells = " ".join(f"{np.mean(row[c]):11.4f}" for c in classes)
            print(f"{name:28} {cells}  " + (f"{worst[name]:+.4f}" if name in worst else ""))


def shared_table(shared: Path) -> None:
    """Each scoring's AUC on the plain scenes, then the leave-one-scene-out choice."""
    aucs: dict[str, dict[str, float]] = {}
    rx: dict[str, float] = {}
    for path in sorted(HAD_DIR.glob("*.mat")):
        found = sorted(shared.glob(f"{path.stem}-seed*.npy"))
        if not found:
            continue
        cube, truth = read_mat(path)
        rx[path.stem] = roc_auc(rx_scores(cube.values), truth)
        errors = np.load(found[0])
        aucs[path.stem] = {n: roc_auc(score(errors, s), truth) for n, s in SCORINGS.items()}
    if not aucs:
        print(f"no raw error maps in {shared}")
        return
    scenes = list(aucs)
    print(f"\nshared scenes ({found[0].name.split('-seed')[1][:-4]} seed): AUC per scoring")
    print(f"{'scoring':28} " + " ".join(f"{s[:11]:>11}" for s in scenes) + "    mean  vs RX")
    print(
        f"{'RX':28} "
        + " ".join(f"{rx[s]:11.4f}" for s in scenes)
        + f"  {np.mean(list(rx.values())):.4f}"
    )
    for name in SCORINGS:
        row = [aucs[s][name] for s in scenes]
        margin = min(aucs[s][name] - rx[s] for s in scenes)
        print(
            f"{name:28} "
            + " ".join(f"{a:11.4f}" for a in row)
            + f"  {np.mean(row):.4f} {margin:+.4f}"
        )
    print("\nleave one scene out: the scoring with the best mean on the other scenes")
    held = []
    for scene in scenes:
        others = [s for s in scenes if s != scene]
        best = max(SCORINGS, key=lambda n: np.mean([aucs[s][n] for s in others]))
        held.append(aucs[scene][best])
        print(f"{scene:16} {best:28} {aucs[scene][best]:.4f}  (RX {rx[scene]:.4f})")
    print(f"{'mean':16} {'':28} {np.mean(held):.4f}")


def cpu_model() -> str:
    """The CPU's model name as lscpu reports it."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor()
    names = [line.split(":", 1)[1].strip() for line in text.splitlines() if "Model name" in line]
    return names[0] if names else platform.processor()


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

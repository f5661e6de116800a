"""Where two CPU code paths part in one training run, and how fast they diverge.

Trains the same scene with the same seed twice, in two processes whose
floating-point code paths differ (``ATEN_CPU_CAPABILITY`` picks PyTorch's
vector kernels, ``ONEDNN_MAX_CPU_ISA`` oneDNN's), one torch thread each, and
compares them step by step: the training loss, OBPM's kept pixels, the
AdaConv taps (the share of pixels whose k² chosen neighbours differ) and the
reconstruction error maps, then the AUC. Prints the first step at which each
differs and a table over the run.

\b
    python benchmarks/divergence.py --scene abu-airport-1 --preset reference --steps 300
    python benchmarks/divergence.py --paths native default   # on an AVX2 machine
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from machine import cpu_model

HAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "had"

#: Environment of each code path (on an AVX-512 Xeon, ``avx2`` is near an AVX2 EPYC's).
PATHS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default"},
    "sse41": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
REPORTED_STEPS = (0, 1, 2, 3, 5, 10, 20, 50, 100, 150, 200, 250, 299, 499, 999)


def record_run(scene: str, preset: str, steps: int, seed: int, overrides: dict, out: Path) -> None:
    """Train once in this process and save every step's record to ``out`` (.npz)."""
    import torch

    from superad_geo.evaluation.metrics import roc_auc
    from superad_geo.model.devices import resolve_device
    from superad_geo.model.preparation import prepare_cube
    from superad_geo.model.presets import resolve_params
    from superad_geo.model.training import TrainingStep, train_and_score
    from superad_geo.scene.io import read_mat

    torch.set_num_threads(1)
    cube, truth = read_mat(HAD_DIR / f"{scene}.mat")
    params = resolve_params(preset, steps=steps, **overrides)
    prepared = prepare_cube(cube.values, params)
    records: list[TrainingStep] = []

    def keep(record: TrainingStep) -> None:  # taps as int32: 1000 steps of int64 are 0.7 GB
        taps = None if record.taps is None else record.taps.astype(np.int32)
        records.append(TrainingStep(record.step, record.errors, record.losses, record.kept, taps))

    train_and_score([prepared], params, seeds=[seed], device=resolve_device("cpu"), observer=keep)
    later_taps = [record.taps[0] for record in records[1:]]
    np.savez(
        out,
        capability=torch.backends.cpu.get_cpu_capability(),
        losses=np.array([record.losses[0] for record in records]),
        kept=np.array([record.kept[0].sum() for record in records]),
        errors=np.stack([record.errors[0] for record in records]),
        taps=np.stack([np.full_like(later_taps[0], -1), *later_taps]),
        auc=np.array([roc_auc(record.errors[0], truth) for record in records]),
    )


def compare(a: dict, b: dict, names: tuple[str, str]) -> None:
    """Print where the two runs ``a`` and ``b`` first differ and a table over the steps."""
    steps = len(a["losses"])
    tap_sets_a = np.sort(a["taps"], axis=1)
    tap_sets_b = np.sort(b["taps"], axis=1)
    taps_differ = (tap_sets_a != tap_sets_b).any(axis=1).mean(axis=1)
    order_differs = (a["taps"] != b["taps"]).any(axis=1).mean(axis=1)
    error_gap = np.abs(a["errors"] - b["errors"]).max(axis=(1, 2)) / a["errors"].max(axis=(1, 2))

    def first(changed: np.ndarray) -> str:
        hits = np.flatnonzero(changed)
        return str(hits[0]) if hits.size else "never"

    print(f"code paths: {names[0]} = {a['capability']}, {names[1]} = {b['capability']}")
    print(f"first step whose loss differs (bitwise): {first(a['losses'] != b['losses'])}")
    print(f"first step whose error map differs: {first(error_gap > 0)}")
    print(f"first step whose OBPM kept count differs: {first(a['kept'] != b['kept'])}")
    print(f"first step whose AdaConv taps differ (order): {first(order_differs > 0)}")
    print(f"first step whose AdaConv tap sets differ: {first(taps_differ > 0)}")
    print(
        f"{'step':>5} {'loss ' + names[0]:>14} {'rel. Δloss':>11} {'kept':>6} {'Δkept':>6} "
        f"{'taps ≠':>7} {'sets ≠':>7} {'max Δerr':>9} {'AUC ' + names[0]:>10} "
        f"{'AUC ' + names[1]:>10}"
    )
    for step in (s for s in REPORTED_STEPS if s < steps):
        loss_gap = abs(a["losses"][step] - b["losses"][step]) / abs(a["losses"][step])
        print(
            f"{step:>5} {a['losses'][step]:14.8f} {loss_gap:11.2e} {a['kept'][step]:>6} "
            f"{int(b['kept'][step]) - int(a['kept'][step]):>+6} {order_differs[step]:7.1%} "
            f"{taps_differ[step]:7.1%} {error_gap[step]:9.2e} {a['auc'][step]:10.4f} "
            f"{b['auc'][step]:10.4f}"
        )


def main() -> None:
    """Run the scene on two code paths side by side and compare them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", default="abu-airport-1")
    parser.add_argument("--preset", default="reference")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paths", nargs=2, choices=sorted(PATHS), default=["native", "avx2"])
    parser.add_argument(
        "--set", nargs="+", default=[], metavar="KEY=VALUE", help="preset overrides (JSON values)"
    )
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)  # one run (internal)
    args = parser.parse_args()
    overrides = {key: json.loads(value) for key, value in (s.split("=", 1) for s in args.set)}
    if args.record:
        record_run(args.scene, args.preset, args.steps, args.seed, overrides, args.record)
        return

    print(
        f"CPU: {cpu_model()}; {args.scene}, {args.preset} {overrides or ''}, "
        f"{args.steps} steps, seed {args.seed}"
    )
    with tempfile.TemporaryDirectory() as folder:
        outputs = [Path(folder) / f"{name}.npz" for name in args.paths]
        command = [sys.executable, __file__, "--scene", args.scene, "--preset", args.preset]
        command += ["--steps", str(args.steps), "--seed", str(args.seed)]
        command += ["--set", *args.set] if args.set else []
        runs = [
            subprocess.Popen(
                [*command, "--record", str(out)],
                env={**os.environ, **PATHS[name], "OMP_NUM_THREADS": "1"},
            )
            for name, out in zip(args.paths, outputs, strict=True)
        ]
        if any(run.wait() for run in runs):
            sys.exit("a training run failed")
        first, second = (dict(np.load(out)) for out in outputs)
    compare(first, second, tuple(args.paths))


if __name__ == "__main__":
    main()

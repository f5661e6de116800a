"""Accuracy of a preset on the benchmark scenes in ``../shared/data/had/``.

Prints, per scene, the last step's ROC AUC, AUC(Pf, τ), AUC(Pd, τ), the
superpixel count, the wall time and global RX's AUC, then the means; ``--every N`` also records
the AUC every N steps (AUC against steps). Results go to a JSON file.

\b
    python benchmarks/accuracy.py --preset reference --json out/reference.json
    python benchmarks/accuracy.py --preset default --steps 300 --seeds 0 1 2
    python benchmarks/accuracy.py --scenes hydice-urban --crop 0 80 0 60  # an 80 × 60 scene
    python benchmarks/accuracy.py --steps 1000 --at 299 --seeds 0 1 2  # 300 and 1000 steps
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from machine import cpu_model

from superad_geo.evaluation.metrics import evaluate_scores, roc_auc
from superad_geo.model.devices import resolve_device
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.rx import rx_scores
from superad_geo.model.training import TrainingStep, finish_scores, train_and_score, warm_start
from superad_geo.scene.io import read_mat

HAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "had"


def run_scene(
    path: Path,
    scene: xr.DataArray,
    truth: np.ndarray,
    params: dict,
    seed: int,
    every: int,
    device: str,
    save: Path | None = None,
    at: tuple[int, ...] = (),
) -> dict:
    """Train on one scene read from ``path``; return its figures (and save its score map).

    The AUC is recorded every ``every`` steps and at the steps ``at`` (0-based), both of
    the finished scores and of the raw errors; at the last step the finished figure is
    that of the scores returned (averaged over the last steps where ``score_average``
    says). With ``save``, the raw errors of the steps ``at`` are saved too (to finish
    them offline with other scorings).
    """
    curve: dict[int, float] = {}
    raw_curve: dict[int, float] = {}
    last = params["steps"] - 1

    def observe(record: TrainingStep) -> None:
        step = record.step
        if (every and step % every == 0) or step in at or step == last:
            if step != last:
                curve[step] = roc_auc(finish_scores(record.errors, [prepared], params)[0], truth)
            raw_curve[step] = roc_auc(record.errors[0], truth)
            if save is not None and step in at:
                np.save(save / f"{path.stem}-seed{seed}-step{step}-errors.npy", record.errors[0])

    start = time.perf_counter()
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
    prepared = prepare_cube(scene.values, params)
    scores = train_and_score(
        [prepared],
        params,
        seeds=[seed],
        device=resolve_device(device),
        observer=observe if every or at else None,
        start=warm_start(len(prepared.scaled), params),
    )[0]
    seconds = time.perf_counter() - start
    if save is not None:
        np.save(save / f"{path.stem}-seed{seed}.npy", scores)
    metrics = evaluate_scores(scores, truth)
    if every or at:
        curve[last] = metrics["auc_roc"]
    return {
        "scene": path.stem,
        "seed": seed,
        "superpixels": prepared.count,
        "seconds": seconds,
        **metrics,
        "auc_by_step": curve,
        "raw_auc_by_step": raw_curve,
    }


def run_preset(
    params: dict,
    seeds: list[int],
    *,
    scenes: list[str] | None = None,
    every: int = 0,
    device: str = "cpu",
    save: Path | None = None,
    crop: tuple[int, int, int, int] | None = None,
    at: tuple[int, ...] = (),
) -> list[dict]:
    """Run every scene (or those named) with every seed; print a row per run and the mean.

    ``crop`` ``(y0, y1, x0, x1)`` cuts every scene to that window first.
    """
    paths = sorted(HAD_DIR.glob("*.mat"))
    if scenes:
        paths = [p for p in paths if p.stem in scenes]
    print(
        f"{'scene':16} {'seed':>4} {'S':>5} {'AUC':>7} {'AUC(Pf)':>8} {'AUC(Pd)':>8} {'s':>7} "
        f"{'RX':>7}"
    )
    results = []
    for path in paths:
        scene, truth = read_mat(path)
        if crop:
            y0, y1, x0, x1 = crop
            scene, truth = scene[:, y0:y1, x0:x1], truth[y0:y1, x0:x1]
        rx_auc = roc_auc(rx_scores(scene.values), truth)
        for seed in seeds:
            row = {
                **run_scene(path, scene, truth, params, seed, every, device, save, at),
                "rx_auc": rx_auc,
            }
            results.append(row)
            print(
                f"{row['scene']:16} {seed:>4} {row['superpixels']:>5} {row['auc_roc']:7.4f} "
                f"{row['auc_pf']:8.4f} {row['auc_pd']:8.4f} {row['seconds']:7.1f} "
                f"{row['rx_auc']:7.4f}",
                flush=True,
            )
    mean = float(np.mean([r["auc_roc"] for r in results]))
    rx_mean = float(np.mean([r["rx_auc"] for r in results]))
    print(f"{'mean':16} {'':>4} {'':>5} {mean:7.4f} {'':>8} {'':>8} {'':>7} {rx_mean:7.4f}")
    worst = min(results, key=lambda r: r["auc_roc"] - r["rx_auc"])
    margin = worst["auc_roc"] - worst["rx_auc"]
    print(f"smallest margin over RX: {margin:+.4f} ({worst['scene']})")
    if every or at:
        steps = sorted({step for row in results for step in row["auc_by_step"]})
        print("AUC against steps:")
        print(f"{'scene':16} " + " ".join(f"{step:>6}" for step in steps))
        for row in results:
            curve = row["auc_by_step"]
            print(f"{row['scene']:16} " + " ".join(f"{curve[step]:6.3f}" for step in steps))
    return results


def main() -> None:
    """Parse arguments, run every scene and seed, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--scenes", nargs="+", help="scene names (default: all)")
    parser.add_argument("--every", type=int, default=0, help="record the AUC every N steps")
    parser.add_argument(
        "--at", type=int, nargs="+", default=[], help="also record the AUC at these steps"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override preset parameters (values parsed as JSON)",
    )
    parser.add_argument(
        "--crop", type=int, nargs=4, metavar=("Y0", "Y1", "X0", "X1"), help="score a window"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--save-scores", type=Path, help="save each score map (.npy) here")
    args = parser.parse_args()

    overrides = {key: json.loads(value) for key, value in (s.split("=", 1) for s in args.set)}
    params = resolve_params(args.preset, steps=args.steps, **overrides)
    print(
        f"CPU: {cpu_model()}; preset={args.preset} steps={params['steps']} overrides={overrides} "
        f"threads={torch.get_num_threads()}"
    )
    results = run_preset(
        params,
        args.seeds,
        scenes=args.scenes,
        every=args.every,
        device=args.device,
        save=args.save_scores,
        crop=args.crop,
        at=tuple(args.at),
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {
            "preset": args.preset,
            "params": {k: v for k, v in params.items() if k != "wavelengths"},
            "mean_auc": float(np.mean([r["auc_roc"] for r in results])),
            "results": results,
        }
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

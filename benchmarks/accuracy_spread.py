"""The spread of accuracy over seeds and CPU code paths, for setting test floors.

Runs ``benchmarks/accuracy.py`` for every configuration, code path, scene and
seed asked for (one torch thread per run, ``--jobs`` runs at a time; results
already in ``--out`` are kept, so an interrupted campaign resumes), then
prints, per configuration and scene, the AUC's mean, minimum and maximum
over all runs, per code path, and the lowest mean over any three seeds of one
path (the statistic the accuracy tests assert).

A configuration is ``NAME=PRESET[:KEY=VALUE,...]``; ``@STEP`` after the
preset reads the AUC at that step of a longer run (the learning-rate
schedule does not depend on the run's length, so step 299 of a 1000-step run
is a 300-step run).

\b
    python benchmarks/accuracy_spread.py --steps 300 \\
        --config reference=reference no-obpm=reference:mining=false \\
        --paths native default --seeds 0 1 2 3 4
    python benchmarks/accuracy_spread.py --summary-only --out out/spread
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from divergence import PATHS  # noqa: E402
from machine import cpu_model  # noqa: E402

SCENES = (
    "abu-airport-1",
    "abu-beach-2",
    "abu-urban-1",
    "hydice-urban",
    "pavia-centre",
    "sandiego",
)


def parse_config(text: str) -> tuple[str, str, list[str]]:
    """``NAME=PRESET[:KEY=VALUE,...]`` → (name, preset, ["KEY=VALUE", ...])."""
    name, _, rest = text.partition("=")
    preset, _, overrides = rest.partition(":")
    return name, preset, [item for item in overrides.split(",") if item]


def run_one(config: str, path: str, scene: str, args: argparse.Namespace) -> Path:
    """One scene, all seeds, one configuration on one code path; its JSON file."""
    name, preset, overrides = parse_config(config)
    out = args.out / f"{name}--{path}--{scene}.json"
    if out.exists():
        return out
    command = [sys.executable, str(Path(__file__).parent / "accuracy.py"), "--preset", preset]
    command += ["--steps", str(args.steps), "--scenes", scene, "--json", str(out)]
    at = sorted({*args.at, args.steps - 1})
    command += ["--seeds", *map(str, args.seeds), "--at", *map(str, at)]
    command += ["--set", *overrides] if overrides else []
    if args.save_errors:
        command += ["--save-scores", str(args.out / "errors" / f"{name}--{path}")]
    env = {**os.environ, **PATHS[path], "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    log = out.with_suffix(".log")
    with log.open("w") as stream:
        subprocess.run(command, env=env, stdout=stream, stderr=subprocess.STDOUT, check=True)
    return out


def load(out: Path) -> dict[tuple[str, str, str, int, int], float]:
    """Every AUC in ``out``: (config, path, scene, seed, step) → finished-score AUC.

    The raw error's AUC is under the configuration's name with ``/raw`` added.
    """
    aucs = {}
    for file in sorted(out.glob("*--*--*.json")):
        config, path, _ = file.stem.split("--")
        for row in json.loads(file.read_text())["results"]:
            for kind, curve in (("", "auc_by_step"), ("/raw", "raw_auc_by_step")):
                for step, auc in row.get(curve, {}).items():
                    key = (config + kind, path, row["scene"], row["seed"], int(step))
                    aucs[key] = auc
    return aucs


def summarise(aucs: dict, steps: list[int]) -> None:
    """Print the spread per configuration, step and scene."""
    configs = sorted({key[0] for key in aucs})
    paths = sorted({key[1] for key in aucs})
    for config, step in itertools.product(configs, steps):
        rows = {k: v for k, v in aucs.items() if k[0] == config and k[4] == step}
        if not rows:
            continue
        print(f"\n{config}, step {step} (AUC over seeds × paths {paths})")
        header = f"{'scene':15} {'runs':>4} {'mean':>7} {'min':>7} {'max':>7} "
        header += " ".join(f"{'mean ' + p:>12}" for p in paths)
        print(header + f" {'worst 3-seed mean':>18}")
        scene_means = []
        for scene in SCENES:
            values = {k: v for k, v in rows.items() if k[2] == scene}
            if not values:
                continue
            by_path = {p: [v for k, v in values.items() if k[1] == p] for p in paths}
            triples = [
                np.mean(triple)
                for runs in by_path.values()
                for triple in itertools.combinations(runs, 3)
            ]
            all_values = list(values.values())
            scene_means.append(np.mean(all_values))
            line = f"{scene:15} {len(all_values):>4} {np.mean(all_values):7.4f} "
            line += f"{min(all_values):7.4f} {max(all_values):7.4f} "
            line += " ".join(f"{np.mean(v) if v else np.nan:12.4f}" for v in by_path.values())
            print(line + f" {min(triples) if triples else np.nan:18.4f}")
        seed_means = [
            np.mean([v for k, v in rows.items() if k[1] == p and k[3] == seed])
            for p in paths
            for seed in sorted({k[3] for k in rows})
            if any(k[1] == p and k[3] == seed for k in rows)
        ]
        print(
            f"{'mean':15} {'':>4} {np.mean(scene_means):7.4f} {min(seed_means):7.4f} "
            f"{max(seed_means):7.4f}   (min/max: six-scene means of one seed on one path)"
        )


def main() -> None:
    """Run the campaign (or only summarise it) and print the spread."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="+", default=["reference=reference"])
    parser.add_argument("--paths", nargs="+", choices=sorted(PATHS), default=["native"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--scenes", nargs="+", default=list(SCENES))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--at", type=int, nargs="+", default=[], help="also read these steps")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/spread"))
    parser.add_argument("--save-errors", action="store_true", help="keep the raw error maps")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"CPU: {cpu_model()}")
    if not args.summary_only:
        grid = list(itertools.product(args.config, args.scenes, args.paths))
        with ThreadPoolExecutor(args.jobs) as pool:
            for done in pool.map(lambda job: run_one(job[0], job[2], job[1], args), grid):
                print(f"done: {done.name}", flush=True)
    aucs = load(args.out)
    summarise(aucs, sorted({key[4] for key in aucs}))


if __name__ == "__main__":
    main()

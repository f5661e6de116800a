"""Warm start: a network pretrained elsewhere, then trained on each benchmark scene (issue 23).

Every benchmark scene of ``../shared/data/had/`` is brought to 200 bands by
band index and scaled to [0, 1], as the blocks of the large test scenes are
(``scripts/make_large_scenes.py``). A network is pretrained by per-tile
training on a source that never holds the scene it is then scored on:

``others``
    the other five benchmark scenes side by side (leave one out; one
    pretraining per scene);
``synthetic``
    five synthetic scenes of 3 to 6 materials (:mod:`superad_geo.scene.synthetic`);
``enmap``
    the whole 32² EnMAP L2A tiles of ``../shared/data/enmap-potsdam/``.

The ``default`` preset then trains on the scene for each of ``--steps``
steps from that network (warm) and from its seed (scratch), and the table
gives the AUC of each. Pretrained weights and finished runs are kept in
``--out`` (a campaign resumes where it stopped). One torch thread per run.

\b
    python benchmarks/warm_start.py --scenes abu-beach-2 hydice-urban --steps 100 300
    python benchmarks/warm_start.py --source synthetic --steps 100 300 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
import torch

from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import train_and_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import cpu_model  # noqa: E402
from make_large_scenes import HAD_DIR, benchmark_blocks, on_band_grid  # noqa: E402
from make_weights import pretrain, synthetic_cube  # noqa: E402

SOURCES = ("others", "synthetic", "enmap")
ENMAP_DIR = HAD_DIR.parent / "enmap-potsdam"
CPU = torch.device("cpu")


def pretraining_cube(source: str, held_out: str, blocks: dict) -> np.ndarray:
    """The ``(200, y, x)`` cube a network is pretrained on before scoring ``held_out``."""
    if source == "others":
        return np.concatenate([cube for name, (cube, _) in blocks.items() if name != held_out], 2)
    if source == "synthetic":
        return synthetic_cube()
    tiles = []
    for path in sorted(ENMAP_DIR.glob("enmap_potsdam_tile_*.tif")):
        with rasterio.open(path) as src:
            tile = src.read()
            missing = tile == src.nodata
        usable = ~missing.all(axis=(1, 2))  # the water-vapour bands are nodata everywhere
        if not missing[usable].any():
            tiles.append(tile[usable])
    rows = [np.concatenate(tiles[row::3], axis=2) for row in range(3)]
    width = min(row.shape[2] for row in rows)
    return on_band_grid(np.concatenate([row[:, :, :width] for row in rows], axis=1))


def pretrained(source: str, held_out: str, blocks: dict, args: argparse.Namespace) -> dict:
    """The weights pretrained on ``source`` for ``held_out`` (made once, then read from disk)."""
    name = held_out if source == "others" else "all"
    path = args.out / f"{source}-{name}-{args.pretrain_steps}-seed{args.seed}.pt"
    if not path.exists():
        cube = pretraining_cube(source, held_out, blocks)
        started = time.perf_counter()
        torch.save(pretrain(cube, args.pretrain_steps, args.seed), path)
        shape = "×".join(map(str, cube.shape[1:]))
        print(f"pretrained on {source} ({shape}) in {time.perf_counter() - started:.0f} s")
    return torch.load(path)


def run(
    cube: np.ndarray, truth: np.ndarray, steps: int, seed: int, start: dict | None, record: Path
) -> dict:
    """The default's AUC and wall time on ``cube`` after ``steps`` steps from ``start``, on
    all its bands, as measured before band binning (kept in ``record``, and read from it when
    there)."""
    if not record.exists():
        options = resolve_params("default", steps=steps, training="tile", band_binning=1)
        started = time.perf_counter()
        prepared = [prepare_cube(cube, options)]
        scores = train_and_score(prepared, options, seeds=[seed], device=CPU, start=start)
        figures = {"auc": roc_auc(scores[0], truth), "wall_s": time.perf_counter() - started}
        record.write_text(json.dumps(figures))
    return json.loads(record.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=SOURCES, default="others")
    parser.add_argument("--scenes", nargs="+", help="benchmark scenes (default: all six)")
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--pretrain-steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0, help="of the pretraining and every run")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "warm-start")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    blocks = {name: (cube, truth) for name, cube, truth in benchmark_blocks()}
    print(f"CPU: {cpu_model()}; source {args.source}, {args.pretrain_steps} pretraining steps")
    print("| scene | steps | scratch AUC | warm AUC | scratch s | warm s |")
    print("|---|---|---|---|---|---|")
    for scene in args.scenes or list(blocks):
        cube, truth = blocks[scene]
        weights = pretrained(args.source, scene, blocks, args)
        for steps in args.steps:
            runs = f"{scene}-{steps}-seed{args.seed}.json"
            scratch = run(cube, truth, steps, args.seed, None, args.out / f"scratch-{runs}")
            warm_runs = args.out / f"{args.source}-{args.pretrain_steps}-{runs}"
            warm = run(cube, truth, steps, args.seed, weights, warm_runs)
            print(
                f"| {scene} | {steps} | {scratch['auc']:.4f} | {warm['auc']:.4f} "
                f"| {scratch['wall_s']:.0f} | {warm['wall_s']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Training's speed under each OpenMP wait policy, on an idle machine and beside busy ones.

torch's CPU kernels run on OpenMP threads, which by default spin while they
wait for work; when other processes keep the cores busy (a batch beside
another job, several workers on few cores) a spinning thread holds a core
its sibling needs. Trains abu-airport-1 (``default`` preset, ``--steps``
steps, two torch threads) in a fresh process per run under
``OMP_WAIT_POLICY=ACTIVE`` and ``PASSIVE``, first alone, then beside
``--busy`` single-threaded processes that spin, and prints the wall time of
each run and whether the score maps are bit-identical.

\b
    python benchmarks/omp_wait.py --steps 30 --repeats 3 --busy 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from machine import cpu_model

SCENE = Path(__file__).resolve().parents[2] / "shared" / "data" / "had" / "abu-airport-1.mat"

TRAIN = """
import sys, time, numpy as np, torch
torch.set_num_threads(2)
from superad_geo import score_cube
from superad_geo.scene.io import read_mat
cube, _ = read_mat(sys.argv[1])
start = time.perf_counter()
scores = score_cube(cube.values, steps=int(sys.argv[2]), seed=0, device="cpu")
print(time.perf_counter() - start)
np.save(sys.argv[3], scores)
"""

SPIN = "while True: pass"


def train(policy: str, steps: int, out: Path) -> float:
    """Seconds of one training run in a fresh process under ``policy``."""
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    command = [sys.executable, "-c", TRAIN, str(SCENE), str(steps), str(out)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=int, default=2, help="spinning processes beside")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; {os.cpu_count()} cores; {args.steps} steps, two torch threads")
    with tempfile.TemporaryDirectory() as folder:
        maps = {}
        for busy in (0, args.busy):
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
            try:
                for policy in ("ACTIVE", "PASSIVE"):
                    out = Path(folder) / f"{policy}-{busy}.npy"
                    seconds = [train(policy, args.steps, out) for _ in range(args.repeats)]
                    maps[policy, busy] = np.load(out)
                    print(f"{busy} busy  {policy:8s} " + " ".join(f"{s:6.1f}" for s in seconds)
                          + f"  s (median {np.median(seconds):.1f})", flush=True)  # fmt: skip
            finally:
                for spinner in spinners:
                    spinner.kill()
        first = next(iter(maps.values()))
        same = all(np.array_equal(first, m, equal_nan=True) for m in maps.values())
        print(f"score maps bit-identical across policies and load: {same}")


if __name__ == "__main__":
    main()

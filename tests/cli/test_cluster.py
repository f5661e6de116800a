"""A real dask cluster, as users deploy one: ``dask scheduler`` and two ``dask worker`` processes.

They talk over TCP on 127.0.0.1. ``batch`` of several scenes and ``detect``
of a multi-tile scene (per-tile and scene training) run with ``--scheduler``
while one worker is SIGKILLed mid-run: the scheduler gives its work to the
other, and the outputs are bit-identical to a local run. A scheduler that
dies mid-run ends the command with exit 1 and one line; a rerun on a new
cluster resumes from the finished tiles, without training the scene network
again. Issue 20.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from child_processes import finish, python_env

from superad_geo import detect_file
from superad_geo.scene.synthetic import make_scene

distributed = pytest.importorskip("distributed")

#: One torch thread everywhere: a local run and the cluster's tasks round alike.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
FAST = {"preset": "fast", "steps": 1, "seed": 0}
#: A scene per training: 3 × 3 tiles of one network each, or 6 × 2 tiles scored by one
#: network trained on the scene's two crops (a side beyond the 128-pixel crop).
SHAPES = {"tile": (64, 64), "scene": (132, 40)}
ENGINE = ("--preset", "fast", "--steps", "1")
TILES = ("--tile-size", "32", "--overlap", "8")
CLI = "from superad_geo_cli.main import cli; cli()"


class Cluster:
    """A dask scheduler and its workers, each a process of its own on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.client = None
        self.address = ""

    def _spawn(self, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{args[0]}-{time.monotonic_ns()}.log").open("w")
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args, "--no-dashboard"],
            env=ENV, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
        )  # fmt: skip

    def start(self, workers: int = 2) -> None:
        """A fresh scheduler and ``workers`` workers; returns once they are connected."""
        self.file.unlink(missing_ok=True)
        self.scheduler = self._spawn(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(self.file)
        )
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        self.client = distributed.Client(self.address, set_as_default=False, timeout=60)
        for _ in range(workers):
            self.add_worker()
        self.client.wait_for_workers(workers, timeout=120)

    def add_worker(self) -> None:
        self.workers.append(
            self._spawn("worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                        "--death-timeout", "30")
        )  # fmt: skip

    def kill_a_busy_worker(self, ready=lambda: True, replace: bool = True) -> None:
        """SIGKILL a worker that holds a task, once ``ready()`` is true (and start another)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = [w for w, keys in self.client.processing().items() if keys]
            if busy and ready():
                pid = self.client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                if replace:
                    self.add_worker()
                return
            time.sleep(0.05)
        raise AssertionError("no worker was ever busy")

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for proc in [*self.workers, self.scheduler]:
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.wait()
        self.workers, self.scheduler, self.client = [], None, None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("cluster"))
    started.start()
    yield started
    started.stop()


def _cli(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *[str(a) for a in args], "--progress", "json"],
        env=python_env(ENV), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finish(proc: subprocess.Popen) -> tuple[int, list[str], list[dict]]:
    """Exit status, the lines that are not progress, and the progress records of a command."""
    _, err = finish(proc, timeout=600)
    lines = err.splitlines()
    records = [json.loads(s) for s in lines if s.startswith("{")]
    return proc.returncode, [s for s in lines if not s.startswith("{")], records


def _pixels(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1)


def _scene(helpers, path: Path, shape: tuple[int, int], seed: int) -> Path:
    scene, _ = make_scene(shape, 10, seed=seed)
    return helpers.write_tif(path, scene.values.astype(np.float32), nodata=-9999.0)


def _finished_tiles(folder: Path) -> list[Path]:
    return list(folder.glob("tile_*.npy")) if folder.is_dir() else []


def _local(scene: Path, out: Path, **options) -> np.ndarray:
    """The scores of a local run (one torch thread, as on the cluster's workers)."""
    return _pixels(detect_file(scene, out, threads=1, **FAST, **options).path)


def test_batch_survives_a_killed_worker(cluster, tmp_path, helpers):
    scenes = [_scene(helpers, tmp_path / f"s{i}.tif", (40, 40), seed=i) for i in range(3)]
    with rasterio.open(scenes[1], "r+") as ds:  # a stray NaN: warned about on its worker
        ds.write(np.full((1, 1), np.nan, np.float32), 2, window=((5, 6), (5, 6)))
    out = tmp_path / "out"
    proc = _cli("batch", *scenes, "--out-dir", out, *ENGINE, "--scheduler", cluster.address)
    cluster.kill_a_busy_worker()
    status, lines, _ = _finish(proc)
    assert status == 0, lines
    assert [s for s in lines if s.startswith("Warning")] == [
        f"Warning: {scenes[1]}: the scene holds 1 NaN or infinite values; "
        "they are treated as nodata"
    ]  # raised on a worker, shown here once
    for scene in scenes:
        local = _local(scene, tmp_path / f"local-{scene.name}")
        np.testing.assert_array_equal(_pixels(out / scene.name), local)


def test_detect_survives_a_killed_worker(cluster, tmp_path, helpers):
    scene = _scene(helpers, tmp_path / "scene.tif", SHAPES["tile"], seed=7)
    out = tmp_path / "scores.tif"
    tiles = tmp_path / "scores.tif.superad-work" / "tiles"
    proc = _cli("detect", scene, "-o", out, *ENGINE, *TILES, "--training", "tile",
                "--scheduler", cluster.address)  # fmt: skip
    cluster.kill_a_busy_worker(ready=lambda: bool(_finished_tiles(tiles)))
    status, lines, _ = _finish(proc)
    assert status == 0, lines
    local = _local(scene, tmp_path / "local.tif", training="tile", tile_size=32, overlap=8)
    np.testing.assert_array_equal(_pixels(out), local)


def test_scene_training_survives_a_killed_worker_and_a_dead_scheduler(cluster, tmp_path, helpers):
    """A worker dies, the run goes on; the scheduler dies, the run ends; a rerun resumes."""
    scene = _scene(helpers, tmp_path / "scene.tif", SHAPES["scene"], seed=8)
    out = tmp_path / "scores.tif"
    tiles = tmp_path / "scores.tif.superad-work" / "tiles"
    args = ("detect", scene, "-o", out, *ENGINE, *TILES, "--training", "scene")
    proc = _cli(*args, "--scheduler", cluster.address)
    cluster.kill_a_busy_worker(ready=lambda: bool(_finished_tiles(tiles)), replace=False)
    after_kill = len(_finished_tiles(tiles))
    deadline = time.monotonic() + 300
    while len(_finished_tiles(tiles)) <= after_kill and time.monotonic() < deadline:
        time.sleep(0.05)  # the other worker goes on
    cluster.scheduler.kill()
    status, lines, _ = _finish(proc)
    assert status == 1, lines
    errors = [s for s in lines if not s.startswith("Warning: ")]
    assert len(errors) == 1 and errors[0].startswith("Error: SchedulerLost: "), lines
    assert not out.exists()
    kept = len(_finished_tiles(tiles))

    cluster.stop()
    cluster.start(workers=1)
    status, lines, records = _finish(_cli(*args, "--scheduler", cluster.address))
    assert status == 0, lines
    tile_records = [r for r in records if r["stage"] == "tiles"]
    assert tile_records[0]["done"] >= kept > after_kill  # resumed from the finished tiles
    assert not [r for r in records if r["stage"] in ("scaling", "training")]  # nothing redone
    local = _local(scene, tmp_path / "local.tif", training="scene", tile_size=32, overlap=8)
    np.testing.assert_array_equal(_pixels(out), local)

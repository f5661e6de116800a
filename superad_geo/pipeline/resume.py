"""The work folder that lets an interrupted run resume from its finished tiles."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.files import atomic_write
from superad_geo.pipeline.plan import Run
from superad_geo.scene.tiling import Tile


def read_manifest(work: Path) -> dict[str, Any] | None:
    """The manifest of an earlier run in ``work``, if any and readable."""
    path = work / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError):
        return None


def open_work(work: Path, run: Run, cached: Mapping[str, Any] | None) -> str:
    """Make ``work`` hold this run's manifest (wiping other runs' tiles); return the tile dir."""
    if cached is None or cached.get("fingerprint") != run.fingerprint:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        manifest = {"fingerprint": run.fingerprint, "stats": run.stats.to_dict()}
        with atomic_write(work / "manifest.json") as tmp:
            tmp.write_text(json.dumps(manifest, sort_keys=True))
    tiles_dir = work / "tiles"
    tiles_dir.mkdir(exist_ok=True)
    return os.fspath(tiles_dir)


def tile_loader(out_dir: str | None, results: Mapping[str, Any]) -> Callable[[Tile], Any]:
    def load(tile: Tile) -> np.ndarray | None:
        if out_dir is None:
            return results.get(tile.name)
        path = Path(out_dir, tile.name + ".npy")
        return np.load(path, mmap_mode="r") if path.exists() else None

    return load

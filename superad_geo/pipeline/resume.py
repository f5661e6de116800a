"""Resuming: the work folder of an interrupted run.

A work folder ``<dst>.superad-work/`` keeps the finished tiles of a run, the
scene's statistics and the detector's fitted model, under the run's work key
(:attr:`superad_geo.pipeline.plan.Run.work_key`: its fingerprint and how it is
executed); a run with another key wipes them. It carries a marker file
(:data:`WORK_MARKER`) so that a folder the tool did not make is refused,
never emptied.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.errors import OutputError
from superad_geo.files import atomic_write

if TYPE_CHECKING:
    from superad_geo.pipeline.plan import Run
    from superad_geo.scene.tiling import Tile

#: File inside every work folder this tool made; a folder without it is not ours.
WORK_MARKER = ".superad-work"

#: File of a work folder holding the detector's fitted model, and its entries.
FIT_FILE = "fit.npz"
JSON_KEY = "json"
ARRAY_KEY = "__array__"


def check_work_folder(work: Path) -> None:
    """Refuse a ``work`` path that exists but is not a work folder this tool made.

    An empty folder is taken (there is nothing in it to lose).

    Raises
    ------
    OutputError
        If ``work`` is a file, or a non-empty folder without :data:`WORK_MARKER`.
    """
    if not (work.exists() or work.is_symlink()):
        return
    if not work.is_dir():
        raise OutputError(f"work folder {str(work)!r} exists and is not a folder; move it away")
    if not (work / WORK_MARKER).is_file() and any(work.iterdir()):
        raise OutputError(
            f"{str(work)!r} exists but was not made by superad-geo (no {WORK_MARKER} file); "
            "move it away, nothing in it is touched"
        )


def read_manifest(work: Path) -> dict[str, Any] | None:
    """The manifest of an earlier run in ``work``, if any and readable.

    Raises
    ------
    OutputError
        If ``work`` exists but is not a work folder of this tool.
    """
    check_work_folder(work)
    path = work / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError):
        return None


def open_work(work: Path, run: Run, cached: Mapping[str, Any] | None) -> str:
    """Make ``work`` hold this run's manifest (wiping other runs' tiles); return the tile dir."""
    check_work_folder(work)
    if cached is None or cached.get("fingerprint") != run.work_key:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / WORK_MARKER).write_text("made by superad-geo; removed when the run finishes\n")
        manifest = {"fingerprint": run.work_key, "stats": run.stats.to_dict()}
        with atomic_write(work / "manifest.json") as tmp:
            tmp.write_text(json.dumps(manifest, sort_keys=True))
    tiles_dir = work / "tiles"
    tiles_dir.mkdir(exist_ok=True)
    return os.fspath(tiles_dir)


def tile_loader(out_dir: str | None, results: Mapping[str, Any]) -> Callable[[Tile], Any]:
    """``load(tile)``: a finished tile's core scores, from ``out_dir`` or ``results``, or None."""

    def load(tile: Tile) -> np.ndarray | None:
        if out_dir is None:
            return results.get(tile.name)
        path = Path(out_dir, tile.name + ".npy")
        return np.load(path, mmap_mode="r") if path.exists() else None

    return load


def save_fit(work: Path, fingerprint: str, model: Mapping[str, Any]) -> None:
    """Keep a detector's fitted model (arrays in nested dicts and lists) in ``work``.

    Written atomically to ``fit.npz`` with the run's ``fingerprint``: arrays as
    they are, everything else as JSON (no pickle). An empty model is not kept.
    """
    if not model:
        return
    arrays: dict[str, np.ndarray] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            key = f"array{len(arrays)}"
            arrays[key] = value
            return {ARRAY_KEY: key}
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    text = json.dumps({"fingerprint": fingerprint, "model": plain(model)})
    with atomic_write(work / FIT_FILE) as tmp:
        np.savez(tmp, **arrays, **{JSON_KEY: np.array(text)})


def load_fit(work: Path, fingerprint: str) -> dict[str, Any] | None:
    """The model :func:`save_fit` kept in ``work`` for ``fingerprint``, or None."""
    path = work / FIT_FILE
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as saved:
        document = json.loads(str(saved[JSON_KEY]))
        if document["fingerprint"] != fingerprint:
            return None

        def restore(value: Any) -> Any:
            if isinstance(value, dict):
                if set(value) == {ARRAY_KEY}:
                    return saved[value[ARRAY_KEY]]
                return {k: restore(v) for k, v in value.items()}
            if isinstance(value, list):
                return [restore(v) for v in value]
            return value

        return restore(document["model"])

"""Resuming: the work folder of an interrupted run, and the fingerprint of a finished one.

A work folder ``<dst>.superad-work/`` keeps the finished tiles of a run; it
carries a marker file (:data:`WORK_MARKER`) so that a folder the tool did not
make is refused, never emptied. A finished score raster carries the run's
fingerprint (:func:`result_fingerprint`) in its ``SUPERAD_FINGERPRINT`` tag, so
that ``batch`` can tell an output made from this input with these options from
a stale one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.errors import OutputError
from superad_geo.files import atomic_write
from superad_geo.options import DetectOptions, split_options
from superad_geo.scene.identity import content_identity

if TYPE_CHECKING:
    from superad_geo.pipeline.plan import Run
    from superad_geo.scene.tiling import Tile

#: File inside every work folder this tool made; a folder without it is not ours.
WORK_MARKER = ".superad-work"

#: Tag of a score raster holding its run's fingerprint.
FINGERPRINT_TAG = "SUPERAD_FINGERPRINT"

#: Version of what a fingerprint covers; bump when the same options give other scores.
FINGERPRINT_VERSION = 3

#: File of a work folder holding the detector's fitted model, and its entries.
FIT_FILE = "fit.npz"
JSON_KEY = "json"
ARRAY_KEY = "__array__"

#: Options that only Super-AD's scores depend on (left out of an RX run's fingerprint).
SUPERAD_ONLY = ("preset", "steps", "seed", "overlap", "halo", "training", "params")


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
    if cached is None or cached.get("fingerprint") != run.fingerprint:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / WORK_MARKER).write_text("made by superad-geo; removed when the run finishes\n")
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


def result_fingerprint(source: Any, options: DetectOptions | Mapping[str, Any]) -> str:
    """Fingerprint of a run's result: the input's identity and the options that shape it.

    ``options`` are the run's :class:`~superad_geo.options.DetectOptions` (or
    keyword arguments of :func:`superad_geo.detect_file`, checked into one).
    The execution settings (device, workers, threads, batch size, scheduler)
    are not options: they change at most the last bits of rounding. The same
    input with the same options gives the same fingerprint on any machine.
    """
    if not isinstance(options, DetectOptions):
        options = split_options(options)[0]
    chosen = {f.name: getattr(options, f.name) for f in fields(options)}
    if options.method != "superad":
        chosen = {k: v for k, v in chosen.items() if k not in SUPERAD_ONLY}
    else:
        chosen["params"] = dict(options.params)
    roi = chosen["roi"]
    if roi is not None:
        chosen["roi"] = np.asarray(roi) if hasattr(roi, "shape") else content_identity(roi)
    key = {"version": FINGERPRINT_VERSION, "input": content_identity(source), "options": chosen}
    text = json.dumps(key, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)

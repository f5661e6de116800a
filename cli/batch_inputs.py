"""The scenes of a ``batch``: its inputs expanded into scenes, each with its output in the folder.

Everything here is decided before any scene runs: which scenes the inputs
name (a product folder or zip is one scene, never its parts), that no scene
is named twice, and that every output is a file of its own inside
``--out-dir``, whatever a file name or a STAC item id holds.
"""

from __future__ import annotations

import functools
import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

import superad_geo
from superad_geo import _cli
from superad_geo_cli.common import echo_err, envi_data_file

__all__ = ["RASTER_SUFFIXES", "BatchScene", "batch_scenes", "expand_inputs", "output_name"]

#: File endings taken from a folder (ENVI images are found through their .hdr; product
#: zips and product folders are found too).
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".mat", ".img", ".nc", ".jp2", ".h5", ".he5")
LIST_SUFFIXES = (".txt", ".lst", ".list")
#: What each output of a scene adds to its name: the score raster, its work folder, its STAC item.
OUTPUT_ENDINGS = (".tif", ".tif.superad-work", ".tif.json")

_UNSAFE = re.compile(r"[^\w.-]")


@dataclass(frozen=True)
class BatchScene:
    """One scene of a batch."""

    path: str
    """What is read: a file, a product folder or zip, a ``/vsi`` path."""
    given: str
    """What named it, for messages: an INPUT, a list file's line, a STAC item."""
    output: Path
    """Its score raster, ``<out_dir>/<name>.tif``."""
    item: Any = None
    """Its :class:`~superad_geo.scene.stac.StacScene`, for a STAC item."""

    @property
    def item_id(self) -> str:
        return self.item.item_id if self.item is not None else ""

    def __str__(self) -> str:
        return self.given if self.item is not None else repr(self.path)


def output_name(text: str) -> str:
    """A file name made from ``text`` that cannot name another folder.

    Every character but letters, digits, ``_``, ``-`` and ``.`` becomes ``_``,
    and so do leading dots (``../victim/precious`` → ``___victim_precious``).
    """
    name = _UNSAFE.sub("_", text)
    return re.sub(r"^\.+", lambda m: "_" * len(m.group()), name) or "_"


def _stem(scene: str) -> str:
    name = Path(scene.rstrip("/")).name
    return name.split(".", 1)[0] if name.endswith(".tar.gz") else Path(name).stem


def _scan_folder(folder: Path) -> list[str]:
    """A folder's scenes, in name order: raster files, ENVI images, product folders and zips."""
    headers = sorted(folder.glob("*.hdr"))
    envi_data = {d for d in (envi_data_file(h) for h in headers) if d is not None}
    found: list[str] = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir() or p.suffix.lower() == ".zip":
            if _cli.is_product(str(p)):
                found.append(str(p))
        elif p in envi_data or p.suffix.lower() in RASTER_SUFFIXES:
            found.append(str(p))
    return found


def _read_list(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not os.path.isabs(line) and not _cli.is_virtual_path(line):
            line = str(path.parent / line)
        lines.append(line)
    return lines


@functools.cache
def _is_product_folder(folder: str) -> bool:
    """Whether a folder is a product folder, looked at once per folder (a glob's many files)."""
    return _cli.is_product_folder(folder)


def _as_scene(path: str) -> str:
    """``path``, or the product folder it is a part of (a product is one scene, never its parts)."""
    folder = os.path.dirname(os.path.abspath(path))
    return folder if os.path.isfile(path) and _is_product_folder(folder) else path


def _expand_pattern(pattern: str) -> list[str]:
    scenes: list[str] = []
    matches = sorted(glob.glob(pattern))
    if not matches:
        echo_err(f"Warning: no file matches {pattern!r}")
    for m in matches:
        if Path(m).is_dir() and not _cli.is_product(m):
            scenes.extend(_scan_folder(Path(m)))
        else:
            scenes.append(_as_scene(m))
    return list(dict.fromkeys(scenes))  # a product's parts matched: the product once


def _expand_one(item: str) -> list[tuple[str, str]]:
    """The ``(scene, given)`` pairs one INPUT names."""
    given = repr(item)
    if any(ch in item for ch in "*?[") and not Path(item).exists():
        return [(s, given) for s in _expand_pattern(item)]
    if _cli.is_virtual_path(item):
        return [(item, given)]
    p = Path(item)
    if not p.exists():
        raise click.BadParameter(f"{item!r} does not exist", param_hint="INPUT")
    if p.is_dir() and not _cli.is_product(item):
        found = _scan_folder(p)
        if not found:
            echo_err(f"Warning: no raster file in folder {item!r}")
        return [(s, given) for s in found]
    if p.suffix.lower() in LIST_SUFFIXES:
        listed = _read_list(p)
        missing = [s for s in listed if not _cli.is_virtual_path(s) and not Path(s).exists()]
        if missing:
            raise click.BadParameter(
                f"{item!r} lists {len(missing)} path(s) that do not exist, e.g. {missing[0]!r}",
                param_hint="INPUT",
            )
        return [(_as_scene(s), f"{item!r} listing {s!r}") for s in listed]
    if p.suffix.lower() == ".hdr":
        data = envi_data_file(p)
        return [(str(data) if data is not None else item, given)]
    return [(_as_scene(item), given)]


def expand_inputs(inputs: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """Turn files, folders, glob patterns and list files into ``(scene path, given)`` pairs.

    - a folder: its raster files, product folders and product zips (not
      recursive; ENVI images through their ``.hdr``), in name order;
    - a pattern with ``*``, ``?`` or ``[``: the matching files, sorted;
    - a ``.txt``/``.lst``/``.list`` file: one path per line (``#`` starts a
      comment; relative paths are relative to the list file);
    - anything else: a scene path (GDAL virtual paths pass unchecked).

    A file inside a product folder stands for the product.

    Raises
    ------
    click.BadParameter
        If a path does not exist or nothing is found.
    """
    _is_product_folder.cache_clear()  # a folder is looked at once per command
    scenes = [pair for item in inputs for pair in _expand_one(item)]
    if not scenes:
        raise click.BadParameter("no scene found in the inputs", param_hint="INPUT")
    return scenes


def expand_stac(inputs: tuple[str, ...], asset: str | None) -> tuple[list[str], list[Any]]:
    """Split STAC Item/ItemCollection files from the other inputs; their items' chosen assets.

    Raises
    ------
    click.BadParameter
        If a STAC file is given without ``--asset``, or a ``.json`` input is
        neither a STAC Item nor an ItemCollection (a Catalog, malformed JSON).
    """
    others: list[str] = []
    items: list[Any] = []
    for item in inputs:
        if not item.lower().endswith(".json") or not Path(item).is_file():
            others.append(item)
            continue
        problem = _cli.stac_problem(item)
        if problem is not None:
            raise click.BadParameter(f"{item!r} {problem}", param_hint="INPUT")
        if asset is None:
            raise click.BadParameter(
                f"{item!r} is a STAC catalogue: choose the asset to score with --asset "
                "(e.g. --asset image)",
                param_hint="'--asset'",
            )
        items.extend(_cli.stac_scenes(item, asset))
    return others, items


def _identity(path: str) -> str:
    return path if _cli.is_virtual_path(path) else os.path.realpath(path)


def _check_inside(output: Path, folder: Path) -> None:
    """Refuse an output (or its work folder, its STAC item) that would lie outside ``folder``."""
    inside = folder.resolve()
    for ending in OUTPUT_ENDINGS:
        path = output.with_name(output.name[: -len(".tif")] + ending)
        if path.resolve().parent != inside:
            raise superad_geo.OutputError(
                f"{str(path)!r} leads to {str(path.resolve())!r}, outside --out-dir "
                f"{str(folder)!r}; remove the link, nothing outside --out-dir is written"
            )


def batch_scenes(inputs: tuple[str, ...], asset: str | None, out_dir: str) -> list[BatchScene]:
    """The scenes of a batch with their outputs, checked before any scene runs.

    Raises
    ------
    click.BadParameter
        If one scene is named twice (one file listed twice, two STAC items
        with one asset href) or two scenes would write one output, naming both.
    OutputError
        If an output would lie outside ``out_dir`` (a link to elsewhere).
    """
    others, items = expand_stac(inputs, asset)
    pairs = expand_inputs(others) if others or not items else []
    folder = Path(out_dir)
    scenes = [BatchScene(s, given, folder / f"{_stem(s)}.tif") for s, given in pairs]
    scenes += [
        BatchScene(i.path, f"STAC item {i.item_id!r}", folder / f"{output_name(i.item_id)}.tif", i)
        for i in items
    ]
    by_input: dict[str, BatchScene] = {}
    by_output: dict[str, BatchScene] = {}
    for scene in scenes:
        first = by_input.setdefault(_identity(scene.path), scene)
        if first is not scene:
            raise click.BadParameter(
                f"{scene.path!r} is named twice, by {first.given} and by {scene.given}; "
                "give each scene once",
                param_hint="INPUT",
            )
        first = by_output.setdefault(scene.output.name, scene)
        if first is not scene:
            raise click.BadParameter(
                f"{first} and {scene} would both write {scene.output.name}; rename one",
                param_hint="INPUT",
            )
        _check_inside(scene.output, folder)
    return scenes

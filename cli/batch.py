"""``superad-geo batch``: score many scenes into one folder, with a run manifest."""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

import click

import superad_geo
from superad_geo_cli.common import (
    check_output,
    echo_err,
    envi_data_file,
    error_text,
    no_partial_outputs,
    params_for_record,
    preflight_scene,
    show_warnings,
)
from superad_geo_cli.detect import detect_kwargs
from superad_geo_cli.options import detect_options
from superad_geo_cli.progress import format_duration, make_progress

__all__ = ["MANIFEST", "RASTER_SUFFIXES", "batch", "expand_inputs"]

MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("scene", "item", "status", "seconds", "output", "parameters", "error")
STALE_HINT = "; use --overwrite to rerun the scene"
#: File endings taken from a folder (ENVI images are found through their .hdr).
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".mat", ".img", ".nc", ".jp2", ".h5", ".he5")
LIST_SUFFIXES = (".txt", ".lst", ".list")


def _scan_folder(folder: Path) -> list[Path]:
    found: list[Path] = []
    headers = sorted(folder.glob("*.hdr"))
    envi_data = {d for d in (envi_data_file(h) for h in headers) if d is not None}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p in envi_data or p.suffix.lower() in RASTER_SUFFIXES:
            found.append(p)
    return found


def _read_list(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not os.path.isabs(line) and not line.startswith("/vsi") and "://" not in line:
            line = str(path.parent / line)
        lines.append(line)
    return lines


def expand_inputs(inputs: tuple[str, ...] | list[str]) -> list[str]:
    """Turn files, folders, glob patterns and list files into scene paths.

    - a folder: its raster files (not recursive; ENVI images through their
      ``.hdr``), in name order;
    - a pattern with ``*``, ``?`` or ``[``: the matching files, sorted;
    - a ``.txt``/``.lst``/``.list`` file: one path per line (``#`` starts a
      comment; relative paths are relative to the list file);
    - anything else: a scene path (GDAL virtual paths pass unchecked).

    Duplicates are dropped, the first occurrence kept.

    Raises
    ------
    click.BadParameter
        If a path does not exist or nothing is found.
    """
    scenes: list[str] = []
    for item in inputs:
        if any(ch in item for ch in "*?[") and not Path(item).exists():
            matches = sorted(glob.glob(item))
            if not matches:
                echo_err(f"Warning: no file matches {item!r}")
            for m in matches:
                if Path(m).is_dir():
                    scenes.extend(str(f) for f in _scan_folder(Path(m)))
                else:
                    scenes.append(m)
            continue
        if item.startswith("/vsi") or "://" in item:
            scenes.append(item)
            continue
        p = Path(item)
        if not p.exists():
            raise click.BadParameter(f"{item!r} does not exist", param_hint="INPUT")
        if p.is_dir() and superad_geo.is_product_folder(item):  # one scene (EnMAP L2A)
            scenes.append(item)
        elif p.is_dir():
            found = _scan_folder(p)
            if not found:
                echo_err(f"Warning: no raster file in folder {item!r}")
            scenes.extend(str(f) for f in found)
        elif p.suffix.lower() in LIST_SUFFIXES:
            listed = _read_list(p)
            missing = [s for s in listed if not s.startswith("/vsi") and not Path(s).exists()]
            if missing:
                raise click.BadParameter(
                    f"{item!r} lists {len(missing)} path(s) that do not exist, e.g. {missing[0]!r}",
                    param_hint="INPUT",
                )
            scenes.extend(listed)
        elif p.suffix.lower() == ".hdr":
            data = envi_data_file(p)
            scenes.append(str(data) if data is not None else item)
        else:
            scenes.append(item)
    seen: set[str] = set()
    unique = []
    for s in scenes:
        key = os.path.abspath(s) if not s.startswith("/vsi") else s
        if key not in seen:
            seen.add(key)
            unique.append(s)
    if not unique:
        raise click.BadParameter("no scene found in the inputs", param_hint="INPUT")
    return unique


def expand_stac(inputs: tuple[str, ...], asset: str | None) -> tuple[list[str], dict[str, Any]]:
    """Split STAC Item/ItemCollection files from the other inputs.

    Returns the other inputs and, for each STAC item, its chosen asset's GDAL
    path mapped to the :class:`~superad_geo.scene.stac.StacScene` (outputs
    and manifest rows are named by the item id).
    """
    from superad_geo import is_stac, stac_scenes

    others: list[str] = []
    items: dict[str, Any] = {}
    for item in inputs:
        if not is_stac(item):
            others.append(item)
            continue
        if asset is None:
            raise click.BadParameter(
                f"{item!r} is a STAC catalogue: choose the asset to score with --asset "
                "(e.g. --asset image)",
                param_hint="'--asset'",
            )
        items.update({s.path: s for s in stac_scenes(item, asset)})
    return others, items


def _stem(scene: str) -> str:
    name = Path(scene.rstrip("/")).name
    return name.split(".", 1)[0] if name.endswith(".tar.gz") else Path(name).stem


def _existing_output(output: Path, scene: str, opts: dict[str, Any]) -> str | None:
    """Why an existing ``output`` is not this run's result; None when it is (skip it).

    It is this run's result when its ``SUPERAD_FINGERPRINT`` tag equals the
    fingerprint of ``scene`` with ``opts`` (input identity and every option that
    changes the scores).
    """
    import rasterio

    from superad_geo import FINGERPRINT_TAG, result_fingerprint

    try:
        with rasterio.open(output) as ds:
            found = ds.tags().get(FINGERPRINT_TAG)
            ds.read(1, window=((ds.height - 1, ds.height), (ds.width - 1, ds.width)))
    except Exception:  # noqa: BLE001 - anything unreadable is not a result of ours
        return f"{str(output)!r} exists but is not a readable score raster"
    if found is None:
        return f"{str(output)!r} exists but has no {FINGERPRINT_TAG} tag (not made by this version)"
    if found != result_fingerprint(scene, detect_kwargs(opts)):
        return f"{str(output)!r} was made from other input or options"
    return None


def _write_manifest(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in MANIFEST_FIELDS})
    with superad_geo.atomic_write(path) as tmp:
        tmp.write_text(buffer.getvalue())


def _run_one(scene: str, output: str, opts: dict[str, Any], progress=None, local=False) -> None:
    """Check and score one scene (also the task run on a dask worker)."""
    preflight_scene(scene, opts)
    kwargs = detect_kwargs(opts)
    if local:  # on a dask worker: no nested cluster, tiles run in the worker's threads
        import dask

        kwargs["scheduler"] = None
        with dask.config.set(scheduler="threads"), no_partial_outputs(output):
            superad_geo.detect_file(scene, output, progress=None, **kwargs)
        return
    with no_partial_outputs(output):
        superad_geo.detect_file(scene, output, progress=progress, **kwargs)


def _error_text(exc: BaseException) -> str:
    text = error_text(exc)
    return text if isinstance(exc, superad_geo.SuperadGeoError) else f"{type(exc).__name__}: {text}"


@click.command(short_help="Score many scenes into one folder, with a run manifest.")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder for the score rasters and manifest.csv (created if needed).",
)
@click.option(
    "--asset",
    default=None,
    metavar="KEY",
    help="For STAC Item/ItemCollection inputs (.json): the asset of each item to score.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the scenes (STAC item ids), the paths that would be read and the outputs; "
    "score nothing.",
)
@detect_options
@click.pass_context
def batch(
    ctx: click.Context,
    inputs: tuple[str, ...],
    out_dir: str,
    asset: str | None,
    dry_run: bool,
    **opts: Any,
) -> None:
    """Score every scene of INPUT... into OUT_DIR/<scene stem>.tif.

    INPUT may be files, folders (their raster files), glob patterns, a
    .txt/.lst file listing one path per line, or a STAC Item/ItemCollection
    (.json) with --asset KEY: each item's asset is scored into
    OUT_DIR/<item id>.tif (remote hrefs are read through /vsicurl/, /vsis3/),
    with a STAC Item of the result beside it, OUT_DIR/<item id>.tif.json.
    The options are those of `detect`. A manifest, OUT_DIR/manifest.csv, records each scene's status
    (ok, skipped, failed), seconds, output, parameters and error.

    Scenes whose output already exists and is complete are skipped (unless
    --overwrite); a failing scene is reported and the others go on. With
    --scheduler, scenes run in parallel on the dask.distributed cluster
    (inputs and OUT_DIR must be reachable from every worker).

    Exit status: 0 when every scene is done or skipped; 2 when some output
    is stale, or some scene failed and all failures are bad input (corrupt
    file, no valid pixel, ...); 1 when some scene failed for another reason.

    \b
    Example:
      superad-geo batch archive/ --out-dir scores/
      superad-geo batch 'archive/*.tif' scenes.txt --out-dir scores/ --method rx
      superad-geo batch archive/ --out-dir /shared/scores --scheduler tcp://head:8786
      superad-geo batch items.json --asset image --out-dir scores/ --dry-run
    """
    show_warnings(opts["quiet"])
    others, stac_items = expand_stac(inputs, asset)
    scenes = (expand_inputs(others) if others or not stac_items else []) + list(stac_items)

    def item_id(scene: str) -> str:
        return stac_items[scene].item_id if scene in stac_items else ""

    def name_of(scene: str) -> str:
        return item_id(scene) or _stem(scene)

    by_stem: dict[str, str] = {}
    for s in scenes:
        stem = name_of(s)
        if stem in by_stem:
            raise click.BadParameter(
                f"{by_stem[stem]!r} and {s!r} would both write {stem}.tif; rename one",
                param_hint="INPUT",
            )
        by_stem[stem] = s
    if dry_run:
        for s in scenes:
            click.echo(f"{item_id(s) or '-'}\t{s}\t{Path(out_dir) / (name_of(s) + '.tif')}")
        return
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise superad_geo.OutputError(
            f"cannot create output folder {out_dir!r}: {exc.strerror}"
        ) from exc
    check_output(folder / MANIFEST, overwrite=True, what="manifest")

    params = params_for_record(opts)
    params_json = json.dumps(params, sort_keys=True)
    rows: list[dict[str, Any]] = []
    todo: list[tuple[str, Path]] = []
    reruns: dict[str, str] = {}  # scene -> why its existing output was replaced
    for s in scenes:
        out = folder / f"{name_of(s)}.tif"
        stale = _existing_output(out, s, opts) if out.exists() else None
        if out.exists() and not opts["overwrite"]:
            status, error = ("skipped", "") if stale is None else ("stale", stale + STALE_HINT)
            rows.append(
                {"scene": s, "item": item_id(s), "status": status, "seconds": 0.0,
                 "output": str(out), "parameters": params_json, "error": error}
            )  # fmt: skip
            continue
        if stale is not None:
            reruns[s] = stale
        todo.append((s, out))
    manifest = folder / MANIFEST
    _write_manifest(manifest, rows)

    progress = make_progress(opts["progress"], opts["quiet"])
    failures: list[BaseException] = []
    done = len(rows)
    total = len(scenes)
    progress(done, total, "scenes")

    def record(scene: str, out: Path, seconds: float, exc: BaseException | None) -> None:
        nonlocal done
        done += 1
        if exc is None and scene in stac_items:  # catalogue the result next to its input
            from superad_geo import write_result_item

            write_result_item(stac_items[scene], out)
        row = {
            "scene": scene,
            "item": item_id(scene),
            "status": "ok" if exc is None else "failed",
            "seconds": round(seconds, 3),
            "output": str(out) if exc is None else "",
            "parameters": params_json,
            "error": "" if exc is None else _error_text(exc),
        }
        if exc is None and scene in reruns:
            row["status"] = "rerun"
            progress.message(f"rerun: {reruns[scene]}")
        rows.append(row)
        _write_manifest(manifest, rows)
        if exc is not None:
            failures.append(exc)
            progress.message(f"failed: {scene}: {row['error']}")
            if (ctx.obj or {}).get("debug"):
                traceback.print_exception(type(exc), exc, exc.__traceback__)
        elif not opts["quiet"]:
            progress.message(f"done: {scene} -> {out} ({format_duration(seconds)})")
        progress(done, total, "scenes")

    run_opts = dict(opts)
    with progress:
        if opts["scheduler"]:
            _run_distributed(todo, run_opts, opts["scheduler"], record)
        else:
            for s, out in todo:
                start = time.monotonic()
                try:
                    _run_one(s, str(out), run_opts, progress=progress.child(scene=name_of(s)))
                except Exception as exc:  # noqa: BLE001 - one scene's failure stops nothing
                    record(s, out, time.monotonic() - start, exc)
                else:
                    record(s, out, time.monotonic() - start, None)

    n_ok = sum(r["status"] in ("ok", "rerun") for r in rows)
    n_skip = sum(r["status"] == "skipped" for r in rows)
    n_stale = sum(r["status"] == "stale" for r in rows)
    if not opts["quiet"] or failures or n_stale:
        stale_text = f", {n_stale} stale (refused)" if n_stale else ""
        echo_err(
            f"{total} scene{'s' if total != 1 else ''}: {n_ok} done, {n_skip} skipped, "
            f"{len(failures)} failed{stale_text}; manifest: {manifest}"
        )
    if n_stale and not failures:
        ctx.exit(2)
    if failures:
        ctx.exit(2 if all(isinstance(e, superad_geo.SuperadGeoError) for e in failures) else 1)


def _run_distributed(todo, opts, address, record) -> None:
    """Run the scenes as tasks on a dask.distributed cluster, recording as they finish."""
    from superad_geo import connect_scheduler, require

    as_completed = require("distributed", "batch --scheduler").as_completed

    task_opts = dict(opts)
    task_opts["progress"] = "none"
    with connect_scheduler(address) as client, client.as_current():
        futures = {}
        starts = {}
        for s, out in todo:
            fut = client.submit(_run_one, s, str(out), task_opts, None, True, pure=False)
            futures[fut] = (s, out)
            starts[fut] = time.monotonic()
        for fut in as_completed(futures):
            s, out = futures[fut]
            exc = fut.exception()
            record(s, out, time.monotonic() - starts[fut], exc)

"""``superad-geo batch``: score many scenes into one folder, with a run manifest."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import click

import superad_geo
from superad_geo import _cli
from superad_geo_cli.batch_inputs import RASTER_SUFFIXES, BatchScene, batch_scenes
from superad_geo_cli.common import (
    check_output,
    collected_warnings,
    echo_err,
    error_text,
    no_partial_outputs,
    params_for_record,
    run_options,
    show_warnings,
)
from superad_geo_cli.options import detect_options
from superad_geo_cli.progress import format_duration, make_progress

__all__ = ["MANIFEST", "RASTER_SUFFIXES", "batch"]

MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("scene", "item", "status", "seconds", "output", "parameters", "error")
STALE_HINT = "; use --overwrite to rerun the scene"


def _existing_output(output: Path, scene: str, options: superad_geo.DetectOptions) -> str | None:
    """Why an existing ``output`` is not this run's result; None when it is (skip it).

    It is this run's result when its ``SUPERAD_FINGERPRINT`` tag equals the
    fingerprint of ``scene`` with ``options`` (the content of the input's files
    and every option that changes the scores).
    """
    import rasterio

    tag = _cli.FINGERPRINT_TAG
    try:
        with rasterio.open(output) as ds:
            found = ds.tags().get(tag)
            ds.read(1, window=((ds.height - 1, ds.height), (ds.width - 1, ds.width)))
    except Exception:  # noqa: BLE001 - anything unreadable is not a result of ours
        return f"{str(output)!r} exists but is not a readable score raster"
    if found is None:
        return f"{str(output)!r} exists but has no {tag} tag (not made by this version)"
    if found != _cli.file_fingerprint(scene, options):
        return f"{str(output)!r} was made from other input or options"
    return None


def _run_one(
    scene: str, output: str, opts: dict[str, Any], progress=None, local=False
) -> list[str]:
    """Check and score one scene (also the task run on a dask worker); its warnings.

    The warnings are returned rather than shown: on a worker they would be
    lost, and the batch names the scene they concern.
    """
    options, execution = run_options(opts)
    run = functools.partial(
        superad_geo.detect_file, scene, output, options=options, overwrite=opts["overwrite"]
    )
    with collected_warnings() as found, no_partial_outputs(output):
        if local:  # on a dask worker: no nested cluster, tiles run in the worker's threads
            import dask

            with dask.config.set(scheduler="threads"):
                run(execution=dataclasses.replace(execution, scheduler=None))
        else:
            run(execution=execution, progress=progress)
    return found


def _error_text(exc: BaseException) -> str:
    text = error_text(exc)
    return text if isinstance(exc, superad_geo.SuperadGeoError) else f"{type(exc).__name__}: {text}"


class Manifest:
    """The rows of ``manifest.csv``, rewritten atomically as each scene is recorded."""

    def __init__(self, path: Path, parameters: str) -> None:
        self.path, self.parameters = path, parameters
        self.rows: list[dict[str, Any]] = []

    @classmethod
    def create(cls, out_dir: str, opts: dict[str, Any]) -> Manifest:
        """The empty manifest of a batch into ``out_dir`` (created if needed), written."""
        folder = Path(out_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise superad_geo.OutputError(
                f"cannot create output folder {out_dir!r}: {exc.strerror}"
            ) from exc
        check_output(folder / MANIFEST, overwrite=True, what="manifest")
        manifest = cls(folder / MANIFEST, json.dumps(params_for_record(opts), sort_keys=True))
        manifest.write()
        return manifest

    def add(self, scene: BatchScene, status: str, seconds: float = 0.0, error: str = "") -> None:
        output = "" if status == "failed" else str(scene.output)
        self.rows.append(
            {"scene": scene.path, "item": scene.item_id, "status": status,
             "seconds": round(seconds, 3), "output": output, "parameters": self.parameters,
             "error": error}
        )  # fmt: skip
        self.write()

    def write(self) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: row.get(k, "") for k in MANIFEST_FIELDS})
        with _cli.atomic_write(self.path) as tmp:
            tmp.write_text(buffer.getvalue())

    def count(self, *statuses: str) -> int:
        return sum(row["status"] in statuses for row in self.rows)


def _sort_out(
    scenes: list[BatchScene],
    options: superad_geo.DetectOptions,
    overwrite: bool,
    manifest: Manifest,
):
    """Record the scenes to skip (or refuse as stale); the scenes to run and why each reruns."""
    todo: list[BatchScene] = []
    reruns: dict[BatchScene, str] = {}  # why an existing output is replaced
    for scene in scenes:
        exists = scene.output.exists()
        stale = _existing_output(scene.output, scene.path, options) if exists else None
        if exists and not overwrite:
            if stale is None:
                manifest.add(scene, "skipped")
            else:
                manifest.add(scene, "stale", error=stale + STALE_HINT)
            continue
        if stale is not None:
            reruns[scene] = stale
        todo.append(scene)
    return todo, reruns


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

    INPUT may be files, folders (their raster files, product folders and
    product zips), glob patterns, a .txt/.lst file listing one path per line,
    or a STAC Item/ItemCollection (.json) with --asset KEY: each item's asset
    is scored into OUT_DIR/<item id>.tif (characters of the id other than
    letters, digits, '_', '-' and '.' become '_'; remote hrefs are read
    through /vsicurl/, /vsis3/), with a STAC Item of the result beside it,
    OUT_DIR/<item id>.tif.json. A product (an EnMAP folder or zip) is one
    scene: a file inside it stands for the product. A scene named twice, or
    two scenes with one output name, are refused before any work. The
    options are those of `detect`. A manifest, OUT_DIR/manifest.csv,
    records each scene's status (ok, skipped, failed), seconds, output,
    parameters and error.

    Scenes whose output already exists and was made from the same input
    content with the same options are skipped (unless --overwrite); a
    failing scene is reported and the others go on. With --scheduler, scenes
    run in parallel on the dask.distributed cluster (inputs and OUT_DIR must
    be reachable from every worker).

    Exit status: 0 when every scene is done or skipped; 2 when some output
    is stale, or some scene failed and all failures are bad input (corrupt
    file, no valid pixel, ...); 1 when some scene failed for another reason,
    or the scheduler went away (rerun to resume).

    \b
    Example:
      superad-geo batch archive/ --out-dir scores/
      superad-geo batch 'archive/*.tif' scenes.txt --out-dir scores/ --method rx
      superad-geo batch archive/ --out-dir /shared/scores --scheduler tcp://head:8786
      superad-geo batch items.json --asset image --out-dir scores/ --dry-run
    """
    show_warnings(opts["quiet"])
    options, _ = run_options(opts)
    scenes = batch_scenes(inputs, asset, out_dir)
    if dry_run:
        for s in scenes:
            click.echo(f"{s.item_id or '-'}\t{s.path}\t{s.output}")
        return
    manifest = Manifest.create(out_dir, opts)
    todo, reruns = _sort_out(scenes, options, opts["overwrite"], manifest)
    failures = _run_scenes(todo, reruns, opts, manifest, bool((ctx.obj or {}).get("debug")))
    _finish(ctx, len(scenes), manifest, failures, opts["quiet"])


def _finish(ctx: click.Context, n_scenes: int, manifest: Manifest, failures, quiet: bool) -> None:
    """Say what the batch did, and exit with its status."""
    n_stale = manifest.count("stale")
    if not quiet or failures or n_stale:
        stale_text = f", {n_stale} stale (refused)" if n_stale else ""
        echo_err(
            f"{n_scenes} scene{'s' if n_scenes != 1 else ''}: "
            f"{manifest.count('ok', 'rerun')} done, {manifest.count('skipped')} skipped, "
            f"{len(failures)} failed{stale_text}; manifest: {manifest.path}"
        )
    if n_stale and not failures:
        ctx.exit(2)
    if failures:
        ctx.exit(2 if all(isinstance(e, superad_geo.SuperadGeoError) for e in failures) else 1)


def _run_scenes(todo, reruns, opts, manifest: Manifest, debug: bool) -> list[BaseException]:
    """Run the scenes to do (locally, or on the scheduler); the failures."""
    progress = make_progress(opts["progress"], opts["quiet"])
    failures: list[BaseException] = []
    total = len(todo) + len(manifest.rows)
    progress(len(manifest.rows), total, "scenes")

    def record(scene: BatchScene, seconds: float, exc: BaseException | None, found=()) -> None:
        for text in found:
            warnings.warn(f"{scene.path}: {text}", UserWarning, stacklevel=2)
        if exc is None and scene.item is not None:  # catalogue the result next to its input
            _cli.write_result_item(scene.item, scene.output)
        if exc is not None:
            manifest.add(scene, "failed", seconds, _error_text(exc))
            failures.append(exc)
            progress.message(f"failed: {scene.path}: {manifest.rows[-1]['error']}")
            if debug:
                traceback.print_exception(type(exc), exc, exc.__traceback__)
        elif scene in reruns:
            manifest.add(scene, "rerun", seconds)
            progress.message(f"rerun: {reruns[scene]}")
        else:
            manifest.add(scene, "ok", seconds)
            if not opts["quiet"]:
                took = format_duration(seconds)
                progress.message(f"done: {scene.path} -> {scene.output} ({took})")
        progress(len(manifest.rows), total, "scenes")

    with progress:
        if opts["scheduler"]:
            _run_distributed(todo, opts, opts["scheduler"], record)
            return failures
        for scene in todo:
            start = time.monotonic()
            try:
                child = progress.child(scene=scene.output.stem)
                found = _run_one(scene.path, str(scene.output), opts, progress=child)
            except Exception as exc:  # noqa: BLE001 - one scene's failure stops nothing
                record(scene, time.monotonic() - start, exc)
            else:
                record(scene, time.monotonic() - start, None, found)
    return failures


def _run_distributed(todo: list[BatchScene], opts, address, record) -> None:
    """Run the scenes as tasks on a dask.distributed cluster, recording as they finish.

    A worker that dies is replaced by the scheduler (its scene runs again,
    resuming from the tiles it finished); a scheduler that dies ends the
    batch with :class:`superad_geo.SchedulerLost`, finished scenes kept.
    """
    distributed = _cli.require("distributed", "batch --scheduler")
    task_opts = {**opts, "progress": "none"}
    with _cli.connect_scheduler(address) as client, client.as_current():
        futures = {}
        starts = {}
        for scene in todo:
            fut = client.submit(
                _run_one, scene.path, str(scene.output), task_opts, None, True, pure=False
            )
            futures[fut] = scene
            starts[fut] = time.monotonic()
        for fut in distributed.as_completed(futures):
            try:
                found, exc = _cli.cluster_result(fut), None
            except _cli.SchedulerLost:
                raise
            except Exception as failure:  # noqa: BLE001 - one scene's failure stops nothing
                found, exc = (), failure
            record(futures[fut], time.monotonic() - starts[fut], exc, found)

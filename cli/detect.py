"""``superad-geo detect``: score one scene."""

from __future__ import annotations

import time
from pathlib import Path

import click

import superad_geo
from superad_geo_cli.common import (
    echo_err,
    no_partial_outputs,
    resolve_scene_path,
    run_options,
    show_warnings,
)
from superad_geo_cli.options import (
    check_input_path,
    detect_options,
    far_opt,
    mask_out_opt,
    output_opt,
    quantile_opt,
)
from superad_geo_cli.progress import Progress, format_duration, format_estimate, make_progress

__all__ = ["detect", "check_mask_options"]


def check_mask_options(mask_out: str | None, quantile: float | None, far: float | None) -> None:
    """--mask-out needs exactly one of --quantile and --far, and they need --mask-out."""
    if mask_out is not None and quantile is None and far is None:
        raise click.UsageError("--mask-out needs a threshold: give --quantile or --far")
    if quantile is not None and far is not None:
        raise click.UsageError("give either --quantile or --far, not both")
    if mask_out is None and (quantile is not None or far is not None):
        flag = "--quantile" if quantile is not None else "--far"
        raise click.UsageError(f"{flag} only applies with --mask-out PATH")


def announce(estimate, progress: Progress, quiet: bool) -> None:
    """Say which training the run will use and how long it should take, before it starts."""
    if progress.mode == "json":
        seconds = round(estimate.seconds, 1)
        progress.child(training=estimate.training, estimated_seconds=seconds)(0, 1, "estimate")
    elif not quiet:
        echo_err(f"estimate: {format_estimate(estimate.training, estimate.seconds)}")


@click.command(short_help="Score a scene's pixels for anomalies (writes a score GeoTIFF).")
@click.argument("scene", metavar="SCENE", callback=check_input_path)
@output_opt
@detect_options
@mask_out_opt
@quantile_opt
@far_opt
def detect(scene: str, output: str, mask_out, quantile, far, **opts) -> None:
    """Score every pixel of SCENE and write the scores to OUTPUT.

    SCENE is any GDAL raster (GeoTIFF, ENVI .hdr/.img, VRT, /vsicurl/ and
    /vsis3/ paths) or a .mat benchmark cube. OUTPUT is a single-band float32
    Cloud-Optimized GeoTIFF on the scene's grid (CRS, transform, nodata),
    higher meaning more anomalous, written atomically. A large scene is
    processed in overlapping tiles; an interrupted run resumes where it
    stopped. NaN/inf input values are treated as nodata (with a warning).

    With --mask-out and --quantile or --far, a binary anomaly mask is
    written too (as by `superad-geo threshold`).

    \b
    Example:
      superad-geo detect scene.tif -o scores.tif
      superad-geo detect cube.mat -o scores.tif --method rx
      superad-geo detect enmap.vrt -o scores.tif --bands 400-1300nm,1500-1800nm \\
          --mask-out mask.tif --far 0.001 --progress json
    """
    scene = resolve_scene_path(scene)
    show_warnings(opts["quiet"])
    check_mask_options(mask_out, quantile, far)
    if mask_out is not None and Path(mask_out).resolve() == Path(output).resolve():
        raise click.UsageError("--mask-out must differ from the score output")
    options, execution = run_options(opts)
    start = time.monotonic()
    progress = make_progress(opts["progress"], opts["quiet"])
    with progress, no_partial_outputs(output, mask_out):
        superad_geo.detect_file(
            scene,
            output,
            options=options,
            execution=execution,
            progress=progress,
            overwrite=opts["overwrite"],
            mask_out=mask_out,
            quantile=quantile,
            far=far,
            on_estimate=lambda estimate: announce(estimate, progress, opts["quiet"]),
        )
    if not opts["quiet"]:
        extra = f" and {mask_out}" if mask_out else ""
        echo_err(f"wrote {output}{extra} in {format_duration(time.monotonic() - start)}")

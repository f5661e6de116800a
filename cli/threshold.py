"""``superad-geo threshold``: a binary anomaly mask (and polygons) from a score raster."""

from __future__ import annotations

import click

import superad_geo
from superad_geo_cli.common import echo_err, no_partial_outputs, show_warnings
from superad_geo_cli.options import (
    check_input_path,
    far_opt,
    output_opt,
    overwrite_opt,
    progress_opt,
    quantile_opt,
    quiet_opt,
)
from superad_geo_cli.progress import make_progress

__all__ = ["threshold"]


@click.command(short_help="Turn a score raster into a binary anomaly mask (and polygons).")
@click.argument("scores", metavar="SCORES", callback=check_input_path)
@output_opt
@quantile_opt
@far_opt
@click.option(
    "--vector",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Also write the connected anomaly regions as polygons (.gpkg, .geojson or .fgb).",
)
@overwrite_opt
@quiet_opt
@progress_opt
def threshold(scores, output, quantile, far, vector, overwrite, quiet, progress) -> None:
    """Write a binary anomaly mask of SCORES to OUTPUT.

    Exactly one rule: --quantile Q flags the pixels scoring above the
    Q-quantile of the valid scores; --far F (false-alarm rate) flags the
    fraction F of the valid pixels with the highest scores. OUTPUT is a
    uint8 GeoTIFF on the same grid: 1 anomaly, 0 background, 255 (nodata)
    where SCORES has none.

    --vector also writes each connected anomaly region (8-connected) as a
    polygon in the raster's CRS with its pixel count, area (square CRS
    units), peak and mean score.

    \b
    Example:
      superad-geo threshold scores.tif -o mask.tif --far 0.001
      superad-geo threshold scores.tif -o mask.tif --quantile 0.999 --vector anomalies.gpkg
    """
    show_warnings(quiet)
    if (quantile is None) == (far is None):
        raise click.UsageError("give exactly one of --quantile and --far")
    report = make_progress(progress, quiet)
    with report, no_partial_outputs(output, vector):
        report(0, 1, "threshold")
        result = superad_geo.threshold_raster(
            scores, output, quantile=quantile, far=far, vector=vector, overwrite=overwrite
        )
        report(1, 1, "threshold")
    if not quiet:
        rule = f"quantile {quantile}" if quantile is not None else f"false-alarm rate {far}"
        regions = f", {result.n_regions} regions in {vector}" if vector else ""
        echo_err(
            f"threshold {result.threshold:.6g} ({rule}): {result.n_flagged} of "
            f"{result.n_valid} pixels flagged ({100 * result.fraction:.3g} %){regions}; "
            f"wrote {output}"
        )

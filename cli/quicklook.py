"""``superad-geo quicklook``: a colour composite PNG on map axes, scores over it, truth outlines."""

from __future__ import annotations

from pathlib import Path

import click

import superad_geo
from superad_geo_cli.common import (
    check_output,
    echo_err,
    no_partial_outputs,
    resolve_scene_path,
    show_warnings,
)
from superad_geo_cli.evaluate import check_same_grid, read_truth
from superad_geo_cli.options import (
    check_input_path,
    field_option,
    output_opt,
    overwrite_opt,
    progress_opt,
    quiet_opt,
)
from superad_geo_cli.progress import make_progress

__all__ = ["quicklook"]


def _rgb_callback(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        bands = tuple(int(v) for v in value.split(","))
    except ValueError:
        bands = ()
    if len(bands) != 3 or min(bands) < 1:
        raise click.BadParameter(
            f"{value!r} is not three 1-based band numbers such as 50,30,15", ctx=ctx, param=param
        )
    return bands


@click.command(short_help="Draw a colour composite PNG with a score heat overlay.")
@click.argument("scene", metavar="SCENE", callback=check_input_path)
@click.option(
    "--scores",
    default=None,
    callback=check_input_path,
    help="Score raster on the scene's grid, drawn over the composite with a colour bar.",
)
@click.option(
    "--truth",
    default=None,
    callback=check_input_path,
    help="Ground truth on the scene's grid (raster, non-zero = anomaly, or .mat with 'map'), "
    "drawn as outlines.",
)
@output_opt
@click.option(
    "--composite",
    type=click.Choice(["auto", "true", "false"]),
    default="auto",
    show_default=True,
    help="True colour, false colour (colour infrared), or auto from the wavelengths.",
)
@click.option(
    "--rgb",
    default=None,
    callback=_rgb_callback,
    metavar="R,G,B",
    help="1-based band numbers for red, green and blue (overrides --composite).",
)
@click.option(
    "--max-size",
    type=click.IntRange(min=16),
    default=1024,
    show_default=True,
    help="Longest side of the picture in scene pixels (larger scenes are decimated).",
)
@field_option("nodata")
@overwrite_opt
@quiet_opt
@progress_opt
def quicklook(
    scene, scores, truth, output, composite, rgb, max_size, nodata, overwrite, quiet, progress
):
    """Draw SCENE as a colour composite PNG, with SCORES over it and TRUTH outlined.

    The composite is true colour (about 640/550/460 nm) or false colour
    (colour infrared, about 860/650/550 nm) chosen from the band
    wavelengths, named in the title; without wavelengths, fixed band
    positions are used. Each channel is stretched between its 2nd and 98th
    percentiles. The axes are in the scene's CRS (named under the picture),
    or in pixels without one. Scores above the background level (the lower
    of the 99th percentile and median + 5 MAD) are drawn opaque, coloured by
    their rank, so that the weakest anomaly shows as well as the strongest;
    nodata is transparent. Large scenes are decimated (--max-size; scores by
    block maximum), so only a fraction of the scene is read.

    \b
    Example:
      superad-geo quicklook scene.tif -o scene.png
      superad-geo quicklook scene.tif --scores scores.tif --truth truth.tif -o look.png
    """
    scene = resolve_scene_path(scene)
    show_warnings(quiet)
    check_output(output, overwrite)
    from superad_geo import render_quicklook

    report = make_progress(progress, quiet)
    with report, no_partial_outputs(output):
        report(0, 2, "quicklook")
        cube = superad_geo.open_scene(scene, nodata=nodata)
        score_map = None if scores is None else _open_scores(scores)
        truth_map = None if truth is None else _read_truth_on_grid(truth, scene, cube)
        report(1, 2, "quicklook")
        render_quicklook(
            cube,
            output,
            scores=score_map,
            truth=truth_map,
            kind=composite,
            rgb=None if rgb is None else _rgb_positions(rgb, cube),
            max_size=max_size,
            title=Path(scene).name + (f" — {Path(scores).name}" if scores else ""),
            overwrite=overwrite,
        )
        report(2, 2, "quicklook")
    if not quiet:
        echo_err(f"wrote {output}")


def _rgb_positions(rgb: tuple[int, int, int], cube) -> tuple[int, ...]:
    """The positions in ``cube`` of the 1-based band numbers ``rgb`` (``--rgb``).

    Raises
    ------
    BandSelectionError
        If the scene has no band of one of these numbers.
    """
    from superad_geo import BandSelectionError

    numbers = [int(b) for b in cube["band"].values] if "band" in cube.coords else []
    numbers = numbers or list(range(1, cube.shape[0] + 1))
    missing = [b for b in rgb if b not in numbers]
    if missing:
        raise BandSelectionError(
            f"--rgb names band(s) {missing} but the scene has bands {min(numbers)}-{max(numbers)}"
        )
    return tuple(numbers.index(b) for b in rgb)


def _read_truth_on_grid(path: str, scene_path: str, cube):
    """The truth as a bool array, refused unless it lies on the scene's grid."""
    truth, _, crs, transform = read_truth(path)
    scene_grid = (cube.rio.crs, cube.rio.transform())
    check_same_grid(
        scene_path, path, cube.shape[1:], truth.shape, scene_grid, (crs, transform), what="scene"
    )
    return truth


def _open_scores(path: str):
    import rioxarray

    from superad_geo import InputError

    try:
        da = rioxarray.open_rasterio(path, chunks=True, masked=True)
    except Exception as exc:  # noqa: BLE001 - unreadable scores are bad input
        raise InputError(f"cannot read scores {path!r} as a raster: {exc}") from None
    return da.isel(band=0)

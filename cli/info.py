"""``superad-geo info``: what a scene holds and how a detect run would tile it."""

from __future__ import annotations

import json
import math

import click
import numpy as np

import superad_geo
from superad_geo import _cli
from superad_geo_cli.common import resolve_scene_path, run_options, show_warnings
from superad_geo_cli.options import check_input_path, field_option, progress_opt, quiet_opt
from superad_geo_cli.progress import format_estimate

__all__ = ["info", "describe_scene"]


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] → '1-3,7,9-10'."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and int(out[-1].split("-")[-1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ",".join(out)


def describe_scene(
    path: str, options: superad_geo.DetectOptions, execution: superad_geo.Execution
) -> dict:
    """A JSON-ready description of a scene, of the tiles a detect run with ``options`` makes
    and of its training and estimated time on this machine (None where the method has none)."""
    plan = _cli.plan_scene(path, options, check=False)
    estimate = (
        _cli.estimate_run(plan, execution)
        if plan.detector.check_scene(plan.options, *plan.scene.shape[1:]) is None
        else None
    )
    scene, used, tiles = plan.opened, plan.scene, plan.tiles
    all_bands = int(scene.shape[0])
    bad = []
    if "bbl" in scene.coords:
        numbers = scene["band"].values if "band" in scene.coords else np.arange(1, all_bands + 1)
        bad = [int(n) for n, ok in zip(numbers, scene["bbl"].values, strict=True) if not ok]
    n_bands, rows, cols = (int(v) for v in used.shape)
    wl = superad_geo.scene_wavelengths(used)
    crs = scene.rio.crs
    transform = scene.rio.transform()
    grid = (max(t.index[0] for t in tiles) + 1, max(t.index[1] for t in tiles) + 1)
    nodata_value = scene.rio.encoded_nodata
    if nodata_value is None:
        nodata_value = scene.rio.nodata
    nodata_out = None
    if nodata_value is not None:
        nv = float(nodata_value)
        nodata_out = nv if math.isfinite(nv) else str(nv)
    return {
        "path": path,
        "rows": rows,
        "cols": cols,
        "bands": n_bands,
        "bands_in_file": all_bands,
        "band_numbers": _ranges([int(b) for b in used["band"].values])
        if "band" in used.coords
        else None,
        "bad_bands": _ranges(bad) if bad else "",
        "wavelengths_nm": [round(float(w), 3) for w in wl] if wl is not None else None,
        "crs": crs.to_string() if crs is not None else None,
        "geolocation": scene.attrs.get("geolocation"),
        "transform": list(transform)[:6],
        "resolution": [abs(transform.a), abs(transform.e)],
        "resolution_units": _cli.crs_units(crs),
        "nodata": nodata_out,
        "method": options.method,
        "tile_size": options.tile_size,
        "overlap": plan.options.overlap,
        "halo": plan.options.halo,
        "tile_grid": list(grid),
        "training": estimate.training if estimate else None,
        "estimated_seconds": round(estimate.seconds, 1) if estimate else None,
        "tiles": [
            {
                "name": t.name,
                "row_off": t.window.row_off,
                "col_off": t.window.col_off,
                "height": t.window.height,
                "width": t.window.width,
            }
            for t in tiles
        ],
    }


def _no_crs(geolocation: str | None) -> str:
    if geolocation is None:
        return "none"
    return f"none: sensor geometry, placed by the geolocation arrays of {geolocation}"


@click.command(short_help="Show a scene's size, bands, CRS, nodata and detect tiles.")
@click.argument("scene", metavar="SCENE", callback=check_input_path)
@field_option("method")
@field_option("tile_size")
@field_option("overlap")
@field_option("bands")
@field_option("drop_water_bands")
@field_option("nodata")
@field_option("preset")
@field_option("training")
@field_option("steps")
@field_option("workers")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@quiet_opt
@progress_opt
def info(scene: str, as_json: bool, quiet: bool, progress: str, **opts) -> None:
    """Describe SCENE and the tiles a detect run would make.

    Shows the size, the bands used (after --bands, --drop-water-bands and
    the file's bad-band flags), wavelengths, CRS, pixel size, nodata, and
    the tiles of a `detect` run with the same --method, --tile-size and
    --overlap (RX reads tiles without halo or overlap).

    \b
    Example:
      superad-geo info scene.tif
      superad-geo info mosaic.vrt --tile-size 128 --json
      superad-geo info mosaic.vrt --method rx
    """
    scene = resolve_scene_path(scene)
    show_warnings(quiet)
    d = describe_scene(scene, *run_options(opts))
    if as_json:
        click.echo(json.dumps(d))
        return
    wl = d["wavelengths_nm"]
    lines = [
        ("scene", d["path"]),
        ("size", f"{d['rows']} rows × {d['cols']} columns"),
        (
            "bands",
            f"{d['bands']} used of {d['bands_in_file']}"
            + (f" (numbers {d['band_numbers']})" if d["bands"] != d["bands_in_file"] else ""),
        ),
        ("bad bands", d["bad_bands"] or "none flagged"),
        (
            "wavelengths",
            f"{min(wl):.1f}–{max(wl):.1f} nm ({len(wl)} bands)" if wl else "unknown",
        ),
        ("CRS", d["crs"] or _no_crs(d["geolocation"])),
        ("pixel size", "{:g} × {:g} {}".format(*d["resolution"], d["resolution_units"])),
        ("origin", f"{d['transform'][2]:.3f}, {d['transform'][5]:.3f}"),
        ("nodata", "none" if d["nodata"] is None else str(d["nodata"])),
        (
            "tiles",
            f"{len(d['tiles'])} ({d['tile_grid'][0]} × {d['tile_grid'][1]}) of "
            f"{d['tile_size']} px, overlap {d['overlap']} px, halo {d['halo']} px",
        ),
    ]
    if d["training"] is not None:
        lines.append(("detect", format_estimate(d["training"], d["estimated_seconds"])))
    for key, value in lines:
        click.echo(f"{key + ':':<13}{value}")

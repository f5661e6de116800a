"""The ``superad-geo`` command group.

The group does the cross-cutting work once: warnings and logging go to
stderr, and errors are turned into exit statuses —

- 0: success;
- 2: misuse or bad input the user can fix (click's usage errors and every
  :class:`superad_geo.errors.SuperadGeoError`): one line, no traceback;
- 1: a failure of the program itself: one line, and the traceback with
  ``--debug``.
"""

from __future__ import annotations

import logging
import sys
import traceback
import warnings

import click

import superad_geo
from superad_geo_cli.batch import batch
from superad_geo_cli.common import error_text
from superad_geo_cli.detect import detect
from superad_geo_cli.evaluate import evaluate
from superad_geo_cli.info import info
from superad_geo_cli.quicklook import quicklook
from superad_geo_cli.threshold import threshold

__all__ = ["cli"]


class UserError(click.ClickException):
    """Bad input the user can fix: exit status 2."""

    exit_code = 2


class RuntimeFailure(click.ClickException):
    """A failure of the program itself: exit status 1."""

    exit_code = 1


class SuperadGroup(click.Group):
    """A click group that maps the core's exceptions onto exit statuses."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():
                return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place errors meet the user
            from superad_geo import SuperadGeoError

            debug = bool((ctx.obj or {}).get("debug"))
            if debug:
                traceback.print_exc(file=sys.stderr)
            if isinstance(exc, SuperadGeoError):
                raise UserError(error_text(exc)) from exc
            if isinstance(exc, MemoryError):
                msg = "out of memory; use a smaller --tile-size or fewer --workers"
            else:
                msg = f"{type(exc).__name__}: {error_text(exc)}"
            hint = "" if debug else " (run with --debug for the traceback)"
            raise RuntimeFailure(msg + hint) from exc


@click.group(cls=SuperadGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(superad_geo.__version__, "--version", prog_name="superad-geo")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Super-AD hyperspectral anomaly detection for georeferenced scenes.

    Scores every pixel of a hyperspectral scene of any size (GeoTIFF, ENVI,
    VRT, any GDAL raster, or a .mat benchmark cube) and writes a
    Cloud-Optimized GeoTIFF of anomaly scores on the scene's grid.

    Bad input exits with status 2 and one line naming the problem; other
    failures exit with status 1 (add --debug for the traceback).

    \b
    Example:
      superad-geo detect scene.tif -o scores.tif
      superad-geo threshold scores.tif -o mask.tif --far 0.001 --vector anomalies.gpkg
      superad-geo quicklook scene.tif --scores scores.tif -o look.png
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s: %(name)s: %(message)s",
    )


for _command in (detect, batch, threshold, evaluate, quicklook, info):
    cli.add_command(_command)

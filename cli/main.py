"""The ``superad-geo`` command group.

The group does the cross-cutting work once: warnings and logging go to
stderr, and errors are turned into exit statuses —

- 0: success;
- 2: misuse or bad input the user can fix (click's usage errors and every
  :class:`superad_geo.errors.SuperadGeoError`): one line, no traceback;
- 1: a failure of the program itself (a full disk included): one line, and
  the traceback with ``--debug``;
- 130: interrupted (Ctrl-C).

Usage errors are one line too; ``--debug`` shows click's full usage text.
"""

from __future__ import annotations

import errno
import logging
import os
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

GDAL_CACHE_MB = "256"
"""GDAL's block cache for a command, in megabytes, unless ``GDAL_CACHEMAX`` is set."""


class UserError(click.ClickException):
    """Bad input the user can fix: exit status 2."""

    exit_code = 2


class RuntimeFailure(click.ClickException):
    """A failure of the program itself: exit status 1."""

    exit_code = 1


#: Raised (click 8.2 on) for a group or command called bare: shows the help text.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())

#: Exit status of an interrupted command (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a full disk (ENOSPC, also as GDAL reports it)."""
    from superad_geo._cli import causes

    return any(
        getattr(e, "errno", None) == errno.ENOSPC or "No space left on device" in str(e)
        for e in causes(exc)
    )


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
            from superad_geo._cli import unreadable_block

            debug = bool((ctx.obj or {}).get("debug"))
            if debug:
                traceback.print_exc(file=sys.stderr)
            hint = "" if debug else " (run with --debug for the traceback)"
            if _disk_full(exc):
                raise RuntimeFailure(
                    f"disk full (ENOSPC) while writing; free space and rerun to resume{hint}"
                ) from exc
            if isinstance(exc, SuperadGeoError):
                raise UserError(error_text(exc)) from exc
            failed_read = unreadable_block(exc)
            if failed_read is not None:
                raise UserError(str(failed_read)) from exc
            if isinstance(exc, MemoryError):
                msg = "out of memory; use a smaller --tile-size or fewer --workers"
            else:
                msg = f"{type(exc).__name__}: {error_text(exc)}"
            raise RuntimeFailure(msg + hint) from exc

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the command; every error is one line on stderr, Ctrl-C exits 130."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        try:
            status = super().main(argv, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            if "--debug" in argv or isinstance(exc, _NO_ARGS_IS_HELP):  # the help text itself
                exc.show()
            else:
                where = exc.ctx.command_path if exc.ctx is not None else "superad-geo"
                message = " ".join(exc.format_message().split())
                click.echo(f"Error: {message} (see '{where} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo("\ninterrupted", err=True)
            if args is None:  # the console script: leave at once, whatever threads still run
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(INTERRUPTED)
            sys.exit(INTERRUPTED)
        sys.exit(status if isinstance(status, int) else 0)


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
    # GDAL's block cache defaults to 5 % of the memory and keeps what a large scene
    # filled it with for the whole run; scenes are read window by window, once, so a
    # small cache costs nothing. GDAL reads it at its first block; a user's value wins.
    os.environ.setdefault("GDAL_CACHEMAX", GDAL_CACHE_MB)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    if not debug:  # a lost scheduler or worker is one line of ours, not dask's tracebacks
        handler.addFilter(lambda record: not record.name.startswith("distributed"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])


for _command in (detect, batch, threshold, evaluate, quicklook, info):
    cli.add_command(_command)

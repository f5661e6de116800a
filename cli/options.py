"""Options shared by the ``superad-geo`` subcommands, defined once.

The options of a run are made from the fields of the core's
:class:`~superad_geo.DetectOptions` and :class:`~superad_geo.Execution`
(their :class:`~superad_geo.options.Option`: help, type, bounds, default,
choices), by :func:`field_option`; the core checks their values when the
command builds them, and a bad value is one line and exit status 2. The
other options (outputs, thresholds, ``--quiet``, ``--progress``) are click
decorators here, stacked by name.

Which command uses which option:

=========================  ======================================
option                     commands
=========================  ======================================
``-o/--output``            detect, threshold, quicklook
every option of a run      detect, batch (:func:`detect_options`)
``--method``               info too
``--tile-size``            info too
``--overlap``              info too
``--bands``                info, quicklook too
``--drop-water-bands``     info too
``--nodata``               info, quicklook too
``--mask-out``             detect
``--quantile``, ``--far``  detect, threshold
``--overwrite``            detect, batch, threshold, evaluate, quicklook
``--quiet``                every command
``--progress``             every command that runs for long
=========================  ======================================

This module imports only :mod:`superad_geo`'s lazy top level and its
facade's option table (never torch nor the raster stack), so ``--help`` is fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from superad_geo import _cli

__all__ = [
    "DEFAULTS",
    "DEVICES",
    "PRESETS",
    "PROGRESS_MODES",
    "check_input_path",
    "detect_options",
    "far_opt",
    "field_option",
    "mask_out_opt",
    "output_opt",
    "overwrite_opt",
    "progress_opt",
    "quantile_opt",
    "quiet_opt",
]

#: The options of a run the command line offers, by field name.
OFFERED = {o.name: o for o in _cli.offered_options() if o.about.flag}
PROGRESS_MODES = ("auto", "json", "none")
#: The command line's default values: the core's, and the progress display's.
DEFAULTS: dict[str, Any] = {
    **{name: o.default for name, o in OFFERED.items()},
    "progress": "auto",
}
PRESETS = OFFERED["preset"].about.choices  # the QGIS enum keeps this order
DEVICES = OFFERED["device"].about.choices


# --- paths --------------------------------------------------------------------------


def check_input_path(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback: an input must exist and be readable (GDAL virtual paths pass)."""
    if value is None:
        return value
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if _cli.is_virtual_path(v):
            continue
        p = Path(v)
        if not p.exists():
            raise click.BadParameter(f"file {v!r} does not exist", ctx=ctx, param=param)
        problem = _cli.product_folder_problem(v) if p.is_dir() else None
        if problem is not None:
            raise click.BadParameter(f"{v!r} {problem}", ctx=ctx, param=param)
        if not os.access(p, os.R_OK):
            raise click.BadParameter(f"file {v!r} is not readable", ctx=ctx, param=param)
    return value


# --- the options of a run -----------------------------------------------------------


class DetectorChoice(click.Choice):
    """``--method``'s choices: the detectors registered when the command runs."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(_cli.DETECTORS)

    @choices.setter
    def choices(self, value: Any) -> None:
        """The registry is the choices; nothing is kept."""


def _click_type(name: str, about: Any) -> Any:
    """The click type of an option's values."""
    if name == "method":
        return DetectorChoice()
    if about.choices and about.only_choices:
        return click.Choice(about.choices)
    if about.type is Path:
        return click.Path(dir_okay=False, path_type=str)
    if about.type is int:
        return click.INT if about.minimum is None else click.IntRange(min=about.minimum)
    return {float: click.FLOAT, str: click.STRING}[about.type]


def field_option(name: str) -> Callable[[Any], Any]:
    """The click option of the core's option ``name``: ``--name-with-dashes``."""
    default, about = OFFERED[name].default, OFFERED[name].about
    flag = "--" + name.replace("_", "-")
    if about.type is bool:
        return click.option(flag, is_flag=True, default=default, help=about.help)
    return click.option(
        flag,
        type=_click_type(name, about),
        default=default,
        show_default=default is not None,
        metavar=about.metavar,
        callback=check_input_path if about.type is Path else None,
        help=about.help,
    )


# --- the other options -------------------------------------------------------------

output_opt = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="Output file; its folder must exist.",
)
mask_out_opt = click.option(
    "--mask-out",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Also write a binary anomaly mask (needs --quantile or --far).",
)
quantile_opt = click.option(
    "--quantile",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=None,
    help="Flag pixels scoring above this quantile of the valid scores (e.g. 0.999).",
)
far_opt = click.option(
    "--far",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=None,
    help="False-alarm rate: flag this fraction of the valid pixels (e.g. 0.001).",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace existing output files."
)
quiet_opt = click.option(
    "-q", "--quiet", is_flag=True, default=False, help="No progress bar, no summary."
)
progress_opt = click.option(
    "--progress",
    type=click.Choice(PROGRESS_MODES),
    default=DEFAULTS["progress"],
    show_default=True,
    help="Progress on stderr: a bar when stderr is a terminal, else a line every 10% (auto), "
    'one JSON object per line ({"done", "total", "stage"}) for programs, or none.',
)


def detect_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options that ``detect`` and ``batch`` share: every option of a run, then
    ``--overwrite``, ``--quiet`` and ``--progress``, in help order."""
    for opt in reversed(
        [*(field_option(name) for name in OFFERED), overwrite_opt, quiet_opt, progress_opt]
    ):
        f = opt(f)
    return f

"""Options shared by the ``superad-geo`` subcommands, defined once.

Every option is a click decorator stacked by name; parsing and validation sit
in its callback, and bad values raise :class:`click.BadParameter` (exit 2).
The default values are the core's (:data:`superad_geo.DEFAULTS`, gathered in
:data:`DEFAULTS`): the QGIS plugin's defaults table is checked against the
commands' parameters, and the commands pass every value explicitly to
:func:`superad_geo.detect_file`.

Which command uses which option:

=========================  ======================================
option                     commands
=========================  ======================================
``-o/--output``            detect, threshold, quicklook
``--method``               detect, batch
``--preset``, ``--steps``  detect, batch
``--tile-size``            detect, batch, info
``--overlap``              detect, batch, info
``--device``, ``--seed``   detect, batch
``--bands``                detect, batch, info, quicklook
``--drop-water-bands``     detect, batch, info, quicklook
``--nodata``               detect, batch, info, quicklook
``--roi``                  detect, batch
``--mask-out``             detect
``--quantile``, ``--far``  detect, threshold
``--workers``              detect, batch
``--batch-size``           detect, batch
``--scheduler``            detect, batch
``--overwrite``            detect, batch, threshold, evaluate, quicklook
``--quiet``                every command
``--progress``             every command that runs for long
=========================  ======================================

This module imports only :mod:`superad_geo`'s lazy top level (never torch nor the
raster stack), so ``--help`` is fast.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import click

import superad_geo

__all__ = [
    "DEFAULTS",
    "METHODS",
    "MIN_BANDS",
    "PRESETS",
    "PROGRESS_MODES",
    "bands_opt",
    "batch_size_opt",
    "check_input_path",
    "detect_options",
    "device_opt",
    "drop_water_bands_opt",
    "far_opt",
    "mask_out_opt",
    "method_opt",
    "nodata_opt",
    "output_opt",
    "overlap_opt",
    "overwrite_opt",
    "preset_opt",
    "progress_opt",
    "quantile_opt",
    "quiet_opt",
    "roi_opt",
    "scheduler_opt",
    "seed_opt",
    "steps_opt",
    "tile_size_opt",
    "workers_opt",
]

#: The command line's default values: the core's (:data:`superad_geo.DEFAULTS`), and
#: the progress display's.
DEFAULTS: dict[str, Any] = {
    **{
        name: superad_geo.DEFAULTS[name]
        for name in (
            "method",
            "preset",
            "steps",  # None: the preset's number of steps
            "training",  # None: the preset's training
            "tile_size",
            "overlap",
            "device",
            "seed",
            "bands",
            "drop_water_bands",
            "nodata",  # None: the file's own nodata value
            "roi",
            "workers",
            "batch_size",  # None: automatic (1 on the CPU, by free memory on a GPU)
            "scheduler",
        )
    },
    "progress": "auto",
}

METHODS = tuple(superad_geo.DETECTORS)
PRESETS = tuple(sorted(superad_geo.PRESETS))  # the QGIS enum keeps this order
DEVICES = ("auto", "cpu", "cuda")
PROGRESS_MODES = ("auto", "json", "none")
#: Fewest bands each method can work with (Super-AD builds a 3-band composite).
MIN_BANDS = {name: detector.min_bands for name, detector in superad_geo.DETECTORS.items()}


# --- paths --------------------------------------------------------------------------


def check_input_path(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback: an input must exist and be readable (GDAL virtual paths pass)."""
    if value is None:
        return value
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if superad_geo.is_virtual_path(v):
            continue
        p = Path(v)
        if not p.exists():
            raise click.BadParameter(f"file {v!r} does not exist", ctx=ctx, param=param)
        problem = superad_geo.product_folder_problem(v) if p.is_dir() else None
        if problem is not None:
            raise click.BadParameter(f"{v!r} {problem}", ctx=ctx, param=param)
        if not os.access(p, os.R_OK):
            raise click.BadParameter(f"file {v!r} is not readable", ctx=ctx, param=param)
    return value


def _check_output_folder(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is None:
        return value
    p = Path(value)
    if p.is_dir():
        raise click.BadParameter(f"{value!r} is a folder; give a file name", ctx=ctx, param=param)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise click.BadParameter(
            f"output folder {str(folder)!r} does not exist; create it first", ctx=ctx, param=param
        )
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(
            f"output folder {str(folder)!r} is not writable", ctx=ctx, param=param
        )
    return value


# --- bands --------------------------------------------------------------------------


def _bands_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from superad_geo import BandSelectionError

    try:
        if not superad_geo.parse_band_spec(value):
            raise BandSelectionError("empty band specification; give e.g. '1-100' or '400-1300nm'")
    except BandSelectionError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value.strip()


# --- other callbacks ----------------------------------------------------------------


def _nodata_callback(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        v = float(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a number (use e.g. -9999 or nan)", ctx=ctx, param=param
        ) from None
    if math.isinf(v):
        raise click.BadParameter("nodata cannot be infinite", ctx=ctx, param=param)
    return v


def _device_callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = value.strip().lower()
    if value not in DEVICES and not re.fullmatch(r"cuda:\d+", value):
        raise click.BadParameter(
            f"{value!r} is not one of auto, cpu, cuda (or cuda:N)", ctx=ctx, param=param
        )
    if value.startswith("cuda"):
        import torch  # only when CUDA is asked for: keeps --help fast

        if not torch.cuda.is_available():
            raise click.BadParameter(
                f"{value!r} was requested but CUDA is not available on this machine; "
                "use --device cpu or auto",
                ctx=ctx,
                param=param,
            )
    return value


def _scheduler_callback(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from superad_geo import InputError, check_scheduler_address

    try:
        check_scheduler_address(value)
    except InputError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


# --- the registry -------------------------------------------------------------------

output_opt = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    callback=_check_output_folder,
    help="Output file; its folder must exist.",
)
method_opt = click.option(
    "--method",
    type=click.Choice(METHODS),
    default=DEFAULTS["method"],
    show_default=True,
    help="Detector: Super-AD, or the global RX detector (a fast baseline).",
)
preset_opt = click.option(
    "--preset",
    type=click.Choice(PRESETS),
    default=DEFAULTS["preset"],
    show_default=True,
    help="Super-AD parameter set ('reference' reproduces the paper, 'fast' for a first look).",
)
steps_opt = click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=DEFAULTS["steps"],
    help="Training steps: of each tile's network, or of the scene's with scene "
    "training [default: the preset's].",
)
training_opt = click.option(
    "--training",
    type=click.Choice(("auto", "scene", "tile")),
    default=DEFAULTS["training"],
    help="Super-AD training: one network per tile, one per scene trained on crops "
    "across it and scoring every tile (a fixed cost per scene), or auto: per tile "
    "up to 256 × 256 pixels, per scene beyond [default: the preset's].",
)
tile_size_opt = click.option(
    "--tile-size",
    type=click.IntRange(min=16),
    default=DEFAULTS["tile_size"],
    show_default=True,
    help="Tile side in pixels.",
)
overlap_opt = click.option(
    "--overlap",
    type=click.IntRange(min=0),
    default=DEFAULTS["overlap"],
    show_default=True,
    help="Overlap between neighbouring tiles in pixels.",
)
device_opt = click.option(
    "--device",
    default=DEFAULTS["device"],
    show_default=True,
    callback=_device_callback,
    metavar="[auto|cpu|cuda]",
    help="Torch device; 'auto' takes CUDA when available.",
)
seed_opt = click.option(
    "--seed",
    type=click.IntRange(*superad_geo.SEED_RANGE),
    default=DEFAULTS["seed"],
    show_default=True,
    help="Random seed of the network's initialisation.",
)
bands_opt = click.option(
    "--bands",
    default=DEFAULTS["bands"],
    callback=_bands_callback,
    metavar="SPEC",
    help="Bands to use: 1-based numbers and ranges (1-100,120-150) or "
    "wavelength ranges with units (400-1300nm,1500-1800nm).",
)
drop_water_bands_opt = click.option(
    "--drop-water-bands",
    is_flag=True,
    default=DEFAULTS["drop_water_bands"],
    help="Drop the water-vapour absorption bands (needs wavelengths).",
)
nodata_opt = click.option(
    "--nodata",
    default=DEFAULTS["nodata"],
    callback=_nodata_callback,
    metavar="VALUE",
    help="Nodata value of the input, overriding the file's (a number or nan).",
)
roi_opt = click.option(
    "--roi",
    type=click.Path(dir_okay=False, path_type=str),
    default=DEFAULTS["roi"],
    callback=check_input_path,
    help="Region of interest: a raster mask (non-zero inside) or a polygon file; "
    "only pixels inside are analysed.",
)
mask_out_opt = click.option(
    "--mask-out",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    callback=_check_output_folder,
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
workers_opt = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULTS["workers"],
    show_default=True,
    help="Tiles processed in parallel (locally); torch threads are shared among them.",
)
batch_size_opt = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULTS["batch_size"],
    help="Tiles trained side by side in one step (one network each); default: 1 on "
    "the CPU, as many as half the free GPU memory holds on a GPU.",
)
scheduler_opt = click.option(
    "--scheduler",
    default=DEFAULTS["scheduler"],
    callback=_scheduler_callback,
    metavar="ADDRESS",
    help="Address of a dask.distributed scheduler (tcp://, tls://, ucx:// or inproc://); "
    "inputs and outputs must be reachable from every worker. Waits "
    "$SUPERAD_GEO_SCHEDULER_TIMEOUT seconds (default 30) for it to answer.",
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


def detect_options(f):
    """The options that ``detect`` and ``batch`` share, in help order."""
    for opt in reversed(
        [
            method_opt,
            preset_opt,
            steps_opt,
            training_opt,
            tile_size_opt,
            overlap_opt,
            device_opt,
            seed_opt,
            bands_opt,
            drop_water_bands_opt,
            nodata_opt,
            roi_opt,
            workers_opt,
            batch_size_opt,
            scheduler_opt,
            overwrite_opt,
            quiet_opt,
            progress_opt,
        ]
    ):
        f = opt(f)
    return f

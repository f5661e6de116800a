"""The options of a run, as two values checked when built, each field described once.

:class:`DetectOptions` says *what* is computed (method, settings, bands,
tiling); :class:`Execution` says *how* (device, workers, cluster, threads,
batch size). A bad value is refused when the value is built; what only a
detector can judge (an unknown preset) when the run is planned: before any
pixel is read either way. Each field carries an :class:`Option` (help, type,
bounds, choices, detector, dialog label), and everything that offers an
option is made from it: the keywords of :func:`superad_geo.detect` and
:func:`superad_geo.detect_file`, the command line's flags, the QGIS plugin's
parameter table and a result's fingerprint. Their defaults are the only
defaults. Torch-free: building and checking options never imports the engine.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from superad_geo.errors import BandSelectionError, DeviceError, OptionError, TilingError
from superad_geo.scene.bands import parse_band_spec

#: Seeds torch.manual_seed accepts (a signed or unsigned 64-bit integer).
SEED_RANGE = (-(2**63), 2**64 - 1)

#: Super-AD's trainings (see :class:`DetectOptions`).
TRAININGS = ("auto", "scene", "tile")

#: The devices offered by name (``cuda:N`` is accepted too).
DEVICES = ("auto", "cpu", "cuda")

#: Address schemes of a dask.distributed scheduler.
SCHEDULER_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://")


@dataclass(frozen=True)
class Option:
    """What an option is, for every place that offers it."""

    help: str
    """One sentence: the command line's help, the dialog's tooltip."""
    type: type = str
    """Its values' type there: ``int``, ``float``, ``str``, ``bool`` (a flag), ``Path`` (a file)."""
    detector: str | None = None
    """The detector whose result it changes (None: every detector's), for the fingerprint."""
    flag: bool = True
    """Offered on the command line, as ``--name``."""
    label: str = ""
    """The QGIS dialog's label; empty: not in the dialog."""
    choices: tuple[str, ...] = ()
    """The values offered; with ``only_choices`` False others are accepted too."""
    only_choices: bool = True
    minimum: int | None = None
    """The least value the command line and the dialog accept."""
    metavar: str | None = None
    advanced: bool = False
    """In the dialog's Advanced group."""


def option(default: Any, help: str, **about: Any) -> Any:
    """A dataclass field with ``default`` and its :class:`Option` (``help`` and ``about``)."""
    factory = {"default_factory": default} if callable(default) else {"default": default}
    return field(**factory, metadata={"option": Option(help, **about)})


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _ints(value: Any, what: str) -> int | tuple[int, int]:
    """``value`` (an int or a (rows, cols) pair of ints, NumPy's included) as Python ints."""
    if _is_int(value):
        return int(value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise TilingError(f"{what} must be an int or a (rows, cols) pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _listed(value: Any) -> Any:
    """A tuple as a list (as JSON has it), anything else as it is."""
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class DetectOptions:
    """What a run computes; each field's :class:`Option` says what it is.

    Raises
    ------
    SuperadGeoError
        A subclass (``OptionError``, ``BandSelectionError``, ``TilingError``)
        naming the first bad value.
    """

    method: str = option("superad", "The detector that scores the pixels", label="Method")
    preset: str = option(
        "default",
        "Super-AD parameter set ('reference' reproduces the paper, 'fast' for a first look).",
        detector="superad",
        label="Preset",
    )
    steps: int | None = option(
        None,
        "Training steps: of each tile's network, or, with scene training, per-tile "
        "training's of a scene up to the preset's scene_training_pixels, in crop steps "
        "[default: the preset's].",
        type=int,
        minimum=1,
        detector="superad",
        label="Training steps (empty: the preset's)",
    )
    training: str | None = option(
        None,
        "Super-AD training: one network per tile, one per scene trained on crops across it "
        "and scoring every tile (its steps scaled to the scene's area up to a fixed cost per "
        "scene), or auto: per tile up to 256 × 256 pixels, per scene beyond [default: the "
        "preset's].",
        choices=TRAININGS,
        detector="superad",
        label="Training (empty: the preset's)",
    )
    background_types: int | None = option(
        None,
        "Super-AD scene training: one network per background type, this many spectral types "
        "(k-means of the smoothed spectra), each scoring its own pixels; 0: one network for "
        "the scene [default: the preset's].",
        type=int,
        minimum=0,
        detector="superad",
        label="Background types (empty: the preset's)",
    )
    band_binning: int | None = option(
        None,
        "Super-AD: average each run of this many neighbouring bands into one before "
        "training (never leaving fewer than 25 bands); 1: every band as it is "
        "[default: the preset's].",
        type=int,
        minimum=1,
        detector="superad",
        label="Band binning (empty: the preset's)",
    )
    seed: int = option(
        0,
        "Random seed of the network's initialisation (per-tile training with the fast preset "
        "starts from a pretrained network instead, on 7 bands or more).",
        type=int,
        detector="superad",
        label="Random seed",
    )
    tile_size: int | tuple[int, int] = option(
        512, "Tile side in pixels.", type=int, minimum=16, label="Tile size (pixels)"
    )
    overlap: int | tuple[int, int] | None = option(
        None,
        "Overlap between neighbouring tiles in pixels [default: the detector's; Super-AD: 64 "
        "when each tile trains its own network, 0 when one network scores the whole scene].",
        type=int,
        minimum=0,
        detector="superad",
        label="Tile overlap (pixels; empty: the detector's)",
    )
    halo: int | None = option(
        None,
        "Context read around each tile, in pixels [default: the detector's].",
        type=int,
        detector="superad",
        flag=False,
    )
    bands: str | tuple[int, ...] | None = option(
        None,
        "Bands to use: 1-based numbers and ranges (1-100,120-150) or wavelength ranges with "
        "units (400-1300nm,1500-1800nm).",
        metavar="SPEC",
        label="Bands to use (empty: all)",
    )
    drop_water_bands: bool = option(
        False,
        "Drop the water-vapour absorption bands (needs wavelengths).",
        type=bool,
        label="Drop the water-vapour absorption bands",
    )
    nodata: float | None = option(
        None,
        "Nodata value of the input, overriding the file's (a number or nan).",
        type=float,
        metavar="VALUE",
        label="Nodata value (empty: the file's)",
        advanced=True,
    )
    roi: Any = option(
        None,
        "Region of interest: a raster mask (non-zero inside) or a polygon file; only pixels "
        "inside are analysed.",
        type=Path,
        label="Region of interest (raster mask or polygons)",
    )
    scaling: str | tuple[float, float] | None = option(
        None,
        "Scene-wide input scaling: 'minmax', 'percentile' or (lo, hi) [default: the detector's].",
        flag=False,
    )
    params: Mapping[str, Any] = option(
        dict,
        "Engine parameter overrides, e.g. superpixel_size.",
        detector="superad",
        flag=False,
    )

    def __post_init__(self) -> None:
        if isinstance(self.bands, str):
            parse_band_spec(self.bands)
        elif self.bands is not None:
            if not all(_is_int(b) for b in self.bands):
                raise BandSelectionError(f"bands must be a spec string or ints, got {self.bands!r}")
            object.__setattr__(self, "bands", tuple(int(b) for b in self.bands))
        object.__setattr__(self, "tile_size", _ints(self.tile_size, "tile size"))
        if min(_pair(self.tile_size)) < 1:
            raise TilingError(f"tile size must be >= 1 pixel, got {self.tile_size!r}")
        if self.overlap is not None:
            object.__setattr__(self, "overlap", _ints(self.overlap, "overlap"))
            if min(_pair(self.overlap)) < 0:
                raise TilingError(f"overlap must be >= 0, got {self.overlap!r}")
        if not _is_int(self.seed) or not SEED_RANGE[0] <= self.seed <= SEED_RANGE[1]:
            raise OptionError(f"seed must be a 64-bit integer, got {self.seed!r}", option="seed")
        if self.halo is not None:
            if not _is_int(self.halo) or self.halo < 0:
                raise TilingError(f"halo must be an int >= 0, got {self.halo!r}")
            object.__setattr__(self, "halo", int(self.halo))
        if self.nodata is not None and math.isinf(float(self.nodata)):
            raise OptionError("nodata cannot be infinite", option="nodata")
        if self.training is not None and self.training not in TRAININGS:
            raise OptionError(
                f"unknown training {self.training!r}; use one of {', '.join(TRAININGS)}",
                option="training",
            )
        if isinstance(self.scaling, str):
            if self.scaling not in ("minmax", "percentile"):
                raise OptionError(
                    f"unknown scaling {self.scaling!r}; use 'minmax', 'percentile' or (lo, hi)"
                )
        elif self.scaling is not None and len(tuple(self.scaling)) != 2:
            raise OptionError(
                f"scaling must be 'minmax', 'percentile' or (lo, hi), got {self.scaling!r}"
            )
        if not isinstance(self.params, Mapping):
            raise OptionError(f"params must be a mapping, got {type(self.params).__name__}")

    def record(self) -> dict[str, Any]:
        """The options every detector's output records in its tags (JSON-ready)."""
        roi = self.roi
        if roi is not None:
            roi = os.path.basename(roi) if isinstance(roi, (str, os.PathLike)) else "array"
        scaling = self.scaling
        if scaling is not None and not isinstance(scaling, str):
            scaling = [float(v) for v in scaling]
        return {
            "method": self.method,
            "tile_size": _listed(self.tile_size),
            "overlap": _listed(self.overlap),
            "halo": self.halo,
            "bands": _listed(self.bands),
            "drop_water_bands": bool(self.drop_water_bands),
            "nodata": self.nodata,
            "roi": roi,
            "scaling": scaling,
        }


_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def check_scheduler_address(address: str) -> None:
    """Refuse an address that is not a dask.distributed scheduler's (``tcp://host:8786``)."""
    if not address.startswith(SCHEDULER_SCHEMES) or address.endswith("://"):
        raise OptionError(
            f"{address!r} is not a dask scheduler address; give one starting with "
            f"{', '.join(SCHEDULER_SCHEMES)} (e.g. tcp://host:8786)",
            option="scheduler",
        )


@dataclass(frozen=True)
class Execution:
    """How a run is executed; never changes the scores (for a fixed ``threads``)."""

    device: str = option(
        "auto",
        "Torch device; 'auto' takes CUDA when available.",
        choices=DEVICES,
        only_choices=False,
        metavar="[auto|cpu|cuda]",
        detector="superad",
        label="Device",
    )
    workers: int = option(
        1,
        "Tiles processed in parallel (locally); torch threads are shared among them.",
        type=int,
        minimum=1,
        label="Tiles processed in parallel",
        advanced=True,
    )
    batch_size: int | None = option(
        None,
        "Tiles trained side by side in one step (one network each); default: 1 on the CPU, "
        "as many as half the free GPU memory holds on a GPU.",
        type=int,
        minimum=1,
    )
    scheduler: Any = option(
        None,
        "Address of a dask.distributed scheduler (tcp://, tls://, ucx:// or inproc://); "
        "inputs and outputs must be reachable from every worker. Waits "
        "$SUPERAD_GEO_SCHEDULER_TIMEOUT seconds (default 30) for it to answer.",
        metavar="ADDRESS",
        label="Dask scheduler address (empty: local)",
        advanced=True,
    )
    threads: int | None = option(
        None,
        "Compute threads per tile task [default: the detector's].",
        type=int,
        flag=False,
    )

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not _DEVICE.fullmatch(self.device):
            raise DeviceError(
                f"unknown device {self.device!r}; choose one of {', '.join(DEVICES)}",
                option="device",
            )
        for name in ("workers", "threads", "batch_size"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 1):
                raise OptionError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.scheduler, str):
            check_scheduler_address(self.scheduler)


def _document(cls: type) -> None:
    """Append to the docstring of ``cls`` an Attributes section: each field's help."""
    lines = [f"    {f.name}\n        {f.metadata['option'].help}" for f in fields(cls)]
    cls.__doc__ = f"{cls.__doc__}\n\n    Attributes\n    ----------\n" + "\n".join(lines) + "\n"


_document(DetectOptions)
_document(Execution)


def option_fields() -> list[dataclasses.Field]:
    """Every option: the fields of :class:`DetectOptions`, then those of :class:`Execution`."""
    return [*fields(DetectOptions), *fields(Execution)]


#: Every default of :func:`superad_geo.detect`, by keyword (``params`` aside).
DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in option_fields() if f.default is not dataclasses.MISSING
}


def options_from(
    keywords: Mapping[str, Any],
    options: DetectOptions | None = None,
    execution: Execution | None = None,
) -> tuple[DetectOptions, Execution]:
    """The two values of a call's keywords: a field's name sets that field (over ``options``
    and ``execution`` when given); any other name is an engine parameter (``params``).

    Raises
    ------
    SuperadGeoError
        A subclass naming the first bad value.
    """
    detect = {f.name for f in fields(DetectOptions)}
    how = {f.name for f in fields(Execution)}
    params = {k: v for k, v in keywords.items() if k not in detect | how}
    chosen = {k: v for k, v in keywords.items() if k in detect}
    if params:
        base = chosen.get("params", options.params if options is not None else {})
        chosen["params"] = {**base, **params}
    how_chosen = {k: v for k, v in keywords.items() if k in how}
    return _built(DetectOptions, options, chosen), _built(Execution, execution, how_chosen)


def _built(cls: type, value: Any, changes: dict[str, Any]) -> Any:
    """``value`` with ``changes`` (built anew only when there are some), or a new ``cls``."""
    if value is None:
        return cls(**changes)
    return dataclasses.replace(value, **changes) if changes else value


__all__ = [
    "DEFAULTS",
    "DEVICES",
    "SEED_RANGE",
    "TRAININGS",
    "DetectOptions",
    "Execution",
    "Option",
    "check_scheduler_address",
    "option",
    "option_fields",
    "options_from",
]

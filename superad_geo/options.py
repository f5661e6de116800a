"""The options of a run, as two values checked when built.

:class:`DetectOptions` says *what* is computed (the method, its settings, the
bands, the tiling); :class:`Execution` says *how* (device, workers, cluster,
threads, batch size). :func:`superad_geo.detect` and
:func:`superad_geo.detect_file` build both from their keywords, so a bad
value (unknown method, preset or engine parameter, malformed band
selection, impossible tiling) is refused before any pixel is read. Their
fields are what the output records; their defaults are the only defaults.

Torch-free: building and checking options never imports the engine.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from superad_geo.errors import DeviceError, OptionError

#: Seeds torch.manual_seed accepts (a signed or unsigned 64-bit integer).
SEED_RANGE = (-(2**63), 2**64 - 1)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _ints(value: Any, what: str) -> int | tuple[int, int]:
    """``value`` (an int or a (rows, cols) pair of ints, NumPy's included) as Python ints."""
    from superad_geo.errors import TilingError

    if _is_int(value):
        return int(value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise TilingError(f"{what} must be an int or a (rows, cols) pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True)
class DetectOptions:
    """What a run computes.

    Attributes
    ----------
    method : str
        A detector of :data:`superad_geo.detectors.DETECTORS` (``"superad"``, ``"rx"``).
    preset, steps, seed, params
        Engine settings (see :func:`superad_geo.score_cube`); ``params`` are
        engine parameter overrides such as ``superpixel_size``.
    bands, drop_water_bands, nodata, roi
        What of the scene is used (see :func:`superad_geo.detect`).
    scaling : str or (float, float), optional
        Scene-wide input scaling; None: the detector's (the preset's).
    tile_size, overlap : int or (int, int)
        Tile cores and their overlap in pixels.
    halo : int, optional
        Context read around each tile; None: the detector's.
    training : {"auto", "scene", "tile"}, optional
        Super-AD: one network per scene trained on crops, one per tile, or
        ``"auto"`` (per tile up to the ``tile_training_pixels`` parameter,
        256 × 256 pixels; per scene beyond); None: the preset's.

    Raises
    ------
    SuperadGeoError
        A subclass (``OptionError``, ``BandSelectionError``, ``TilingError``)
        naming the first bad value.
    """

    method: str = "superad"
    preset: str = "default"
    steps: int | None = None
    seed: int = 0
    bands: str | tuple[int, ...] | None = None
    drop_water_bands: bool = False
    nodata: float | None = None
    roi: Any = None
    scaling: str | tuple[float, float] | None = None
    tile_size: int | tuple[int, int] = 512
    overlap: int | tuple[int, int] = 64
    halo: int | None = None
    training: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from superad_geo.detectors import get_detector
        from superad_geo.errors import BandSelectionError, TilingError
        from superad_geo.scene.bands import parse_band_spec

        if isinstance(self.bands, str):
            parse_band_spec(self.bands)
        elif self.bands is not None:
            if not all(_is_int(b) for b in self.bands):
                raise BandSelectionError(f"bands must be a spec string or ints, got {self.bands!r}")
            object.__setattr__(self, "bands", tuple(int(b) for b in self.bands))
        for name, what in (("tile_size", "tile size"), ("overlap", "overlap")):
            object.__setattr__(self, name, _ints(getattr(self, name), what))
        if min(_pair(self.tile_size)) < 1:
            raise TilingError(f"tile size must be >= 1 pixel, got {self.tile_size!r}")
        if min(_pair(self.overlap)) < 0:
            raise TilingError(f"overlap must be >= 0, got {self.overlap!r}")
        if not _is_int(self.seed) or not SEED_RANGE[0] <= self.seed <= SEED_RANGE[1]:
            raise OptionError(f"seed must be a 64-bit integer, got {self.seed!r}", option="seed")
        if self.halo is not None:
            if not _is_int(self.halo) or self.halo < 0:
                raise TilingError(f"halo must be an int >= 0, got {self.halo!r}")
            object.__setattr__(self, "halo", int(self.halo))
        if self.nodata is not None and math.isinf(float(self.nodata)):
            raise OptionError("nodata cannot be infinite")
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
        get_detector(self.method).check(self)

    def record(self) -> dict[str, Any]:
        """The options as written into an output's tags (JSON-ready)."""
        roi = self.roi
        if roi is not None:
            roi = (
                os.path.basename(os.fspath(roi)) if isinstance(roi, (str, os.PathLike)) else "array"
            )
        scaling = self.scaling
        if scaling is not None and not isinstance(scaling, str):
            scaling = [float(v) for v in scaling]
        return {
            "method": self.method,
            "tile_size": list(self.tile_size)
            if isinstance(self.tile_size, tuple)
            else self.tile_size,
            "overlap": list(self.overlap) if isinstance(self.overlap, tuple) else self.overlap,
            "halo": self.halo,
            "bands": list(self.bands) if isinstance(self.bands, tuple) else self.bands,
            "drop_water_bands": bool(self.drop_water_bands),
            "nodata": self.nodata,
            "roi": roi,
            "scaling": scaling,
        }


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


@dataclass(frozen=True)
class Execution:
    """How a run is executed; never changes the scores (for a fixed ``threads``).

    Attributes
    ----------
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    workers : int
        Tiles processed at once locally (processes when above 1).
    scheduler : str or distributed.Client, optional
        A dask.distributed cluster to run tiles on.
    threads : int, optional
        Compute threads per tile task; None: the detector's default.
    batch_size : int, optional
        Tiles per task; None: the detector's default (by free GPU memory).
    """

    device: str = "auto"
    workers: int = 1
    scheduler: Any = None
    threads: int | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not _DEVICE.fullmatch(self.device):
            raise DeviceError(f"unknown device {self.device!r}; choose one of auto, cpu, cuda")
        for name in ("threads", "batch_size"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 1):
                raise OptionError(f"{name} must be a positive integer, got {value!r}")


#: Every default of :func:`superad_geo.detect`, by keyword.
DEFAULTS: dict[str, Any] = {
    **{f.name: f.default for f in fields(DetectOptions) if f.name != "params"},
    **{f.name: f.default for f in fields(Execution)},
}


def split_options(keywords: Mapping[str, Any]) -> tuple[DetectOptions, Execution]:
    """Build (and check) both values from a mapping of keywords, e.g. ``detect``'s ``locals()``.

    Keys that name no field (the scene, ``progress``, ...) are ignored;
    ``params`` holds the engine parameter overrides.
    """

    def pick(cls: type) -> dict[str, Any]:
        return {f.name: keywords[f.name] for f in fields(cls) if f.name in keywords}

    return DetectOptions(**pick(DetectOptions)), Execution(**pick(Execution))


__all__ = ["DEFAULTS", "SEED_RANGE", "DetectOptions", "Execution", "split_options"]

"""Helpers shared by the subcommands: output checks, clean-up, scene preflight."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from superad_geo_cli.options import MIN_BANDS

__all__ = [
    "check_output",
    "detect_file_function",
    "envi_data_file",
    "resolve_scene_path",
    "echo_err",
    "no_partial_outputs",
    "open_checked",
    "preflight_scene",
    "show_warnings",
]


def echo_err(text: str) -> None:
    """One line on stderr."""
    click.echo(text, err=True)


def check_output(path: str | os.PathLike | None, overwrite: bool, what: str = "output") -> None:
    """Refuse an existing output without ``--overwrite``, or a missing/read-only folder.

    Raises
    ------
    superad_geo.errors.OutputError
    """
    from superad_geo.errors import OutputError

    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{what} {str(p)!r} is a folder; give a file name")
    if p.exists() and not overwrite:
        raise OutputError(f"{what} {str(p)!r} exists; use --overwrite to replace it")
    folder = p.parent
    if not folder.is_dir():
        raise OutputError(f"{what} folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{what} folder {str(folder)!r} is not writable")


@contextlib.contextmanager
def no_partial_outputs(*paths: str | os.PathLike | None) -> Iterator[None]:
    """On failure, remove the outputs among ``paths`` that did not exist before.

    Outputs are written atomically by the core; this is the last guard that
    no half-written file survives a failed command.
    """
    fresh = [Path(p) for p in paths if p is not None and not Path(p).exists()]
    try:
        yield
    except BaseException:
        for p in fresh:
            with contextlib.suppress(OSError):
                if p.is_file():
                    p.unlink()
        raise


_ENVI_DATA_SUFFIXES = ("", ".img", ".dat", ".bsq", ".bil", ".bip", ".raw")


def envi_data_file(header: str | os.PathLike) -> Path | None:
    """The ENVI image that an ``.hdr`` header describes, if it exists."""
    header = Path(header)
    for suffix in _ENVI_DATA_SUFFIXES:
        candidate = header.with_suffix(suffix)
        if candidate != header and candidate.is_file():
            return candidate
    return None


def resolve_scene_path(path: str) -> str:
    """GDAL opens ENVI scenes through their image file: map ``x.hdr`` to it."""
    if path.lower().endswith(".hdr"):
        data = envi_data_file(path)
        if data is not None:
            return str(data)
    return path


def detect_file_function():
    """``superad_geo.detect_file`` (from the pipeline module until the package exports it)."""
    import superad_geo

    func = getattr(superad_geo, "detect_file", None)
    if func is None:
        from superad_geo.pipeline import detect_file as func
    return func


def open_checked(path: str, *, nodata: float | None = None):
    """:func:`superad_geo.open_scene`, with any reading failure turned into ``InputError``."""
    from superad_geo.errors import InputError, SuperadGeoError
    from superad_geo.scene.io import open_scene

    try:
        return open_scene(path, nodata=nodata)
    except SuperadGeoError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is bad input
        raise InputError(f"cannot read {path!r} as a raster: {_one_line(exc)}") from exc


def preflight_scene(
    path: str,
    *,
    method: str = "superad",
    preset: str = "default",
    bands: str | None = None,
    drop_water_bands: bool = False,
    nodata: float | None = None,
):
    """Check a scene before any output is made; return the band-selected lazy scene.

    Raises
    ------
    InputError
        If the file cannot be read as a raster, has fewer bands than the
        method needs, or is smaller than the AdaConv window.
    BandSelectionError
        If the band specification selects nothing.
    """
    from superad_geo.errors import InputError
    from superad_geo.model.presets import resolve_params
    from superad_geo.scene.bands import select_bands

    scene = open_checked(path, nodata=nodata)
    scene = select_bands(scene, bands, drop_water_bands=drop_water_bands)
    n_bands, rows, cols = (int(v) for v in scene.shape)
    need = MIN_BANDS.get(method, 1)
    if n_bands < need:
        raise InputError(
            f"{path!r} has {n_bands} usable band{'s' if n_bands != 1 else ''}; "
            f"--method {method} needs at least {need}"
        )
    if method == "superad":
        window = int(resolve_params(preset)["window"])
        if rows < window or cols < window:
            raise InputError(
                f"{path!r} is {rows}×{cols} pixels, smaller than the AdaConv window "
                f"({window}×{window}); use a larger scene or --method rx"
            )
    return scene


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_seen_warnings: set[str] = set()


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    if text in _seen_warnings:
        return
    _seen_warnings.add(text)
    print(f"Warning: {text}", file=sys.stderr, flush=True)


def show_warnings(quiet: bool = False) -> None:
    """Print each distinct warning once as ``Warning: ...`` on stderr (none with quiet).

    The group restores the warning filters after each command
    (``warnings.catch_warnings``), so in-process callers are not affected.
    """
    _seen_warnings.clear()
    if quiet:
        warnings.simplefilter("ignore")
        return
    from rasterio.errors import NotGeoreferencedWarning

    # warnings about the user's data (UserWarning) are shown, each distinct message
    # once; library chatter (deprecations, numpy runtime noise) is not
    warnings.simplefilter("ignore")
    warnings.filterwarnings("always", category=UserWarning)
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    warnings.showwarning = _showwarning


def params_for_record(options: dict[str, Any]) -> dict[str, Any]:
    """The options that shape a result, for manifests and summaries."""
    keys = (
        "method",
        "preset",
        "steps",
        "tile_size",
        "overlap",
        "device",
        "seed",
        "bands",
        "drop_water_bands",
        "nodata",
        "roi",
    )
    return {k: options.get(k) for k in keys}

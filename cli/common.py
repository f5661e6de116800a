"""Helpers shared by the subcommands: a run's options, output checks, clean-up, error text."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

import superad_geo
from superad_geo import _cli
from superad_geo_cli.options import OFFERED

__all__ = [
    "check_output",
    "collected_warnings",
    "echo_err",
    "envi_data_file",
    "error_text",
    "no_partial_outputs",
    "params_for_record",
    "resolve_scene_path",
    "run_options",
    "show_warnings",
]


def echo_err(text: str) -> None:
    """One line on stderr."""
    click.echo(text, err=True)


def check_output(path: str | os.PathLike | None, overwrite: bool, what: str = "output") -> None:
    """:func:`superad_geo.files.check_output` for an optional output (None: nothing to check)."""
    if path is not None:
        _cli.check_output(path, overwrite=overwrite, what=what)


def error_text(exc: BaseException) -> str:
    """An error as one line (its first three lines joined), naming the flag that fixes it.

    The core names the keyword that fixes an error (``exc.option``); where its
    message writes the keyword as Python (``overwrite=True``,
    ``bands='1-100'``), the flag takes its place (``--overwrite``,
    ``--bands '1-100'``), else the flag is added in brackets.
    """
    lines = [s.strip() for s in str(exc).strip().splitlines() if s.strip()]
    text = " ".join(lines[:3])
    option = getattr(exc, "option", None)
    if not option:
        return text
    flag = f"--{option.replace('_', '-')}"
    as_flag = text.replace(f"{option}=True", flag).replace(f"{option}=", f"{flag} ")
    return as_flag if as_flag != text else f"{text} ({flag})"


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


def run_options(opts: dict[str, Any]) -> tuple[superad_geo.DetectOptions, superad_geo.Execution]:
    """The checked options of a run from the parsed command-line options.

    Raises
    ------
    SuperadGeoError
        A subclass naming the first bad value (shown with its flag).
    """
    return _cli.options_from({k: v for k, v in opts.items() if k in OFFERED})


_seen_warnings: set[str] = set()


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    if text in _seen_warnings:
        return
    _seen_warnings.add(text)
    print(f"Warning: {text}", file=sys.stderr, flush=True)


def _is_about_the_data(category: type[Warning]) -> bool:
    """Warnings about the user's data (UserWarning, not rasterio's missing-georeference note)."""
    from rasterio.errors import NotGeoreferencedWarning

    return issubclass(category, UserWarning) and not issubclass(category, NotGeoreferencedWarning)


#: ``warnings.catch_warnings`` changes the whole process: one collection at a time.
_COLLECTING = threading.Lock()


@contextlib.contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """Collect the distinct warnings about the data raised inside, instead of showing them.

    The list yielded is filled when the block ends. Collections run one at a
    time in a process (scenes on one dask worker's threads take turns).
    """
    found: list[str] = []
    with _COLLECTING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield found
        finally:
            messages = (str(w.message) for w in caught if _is_about_the_data(w.category))
            found.extend(dict.fromkeys(messages))


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
    """The options that shape a result, for manifests and summaries.

    Every option with a core default (:data:`superad_geo.DEFAULTS`) that the
    command line takes, except those of how tiles are executed (device aside).
    """
    skip = ("workers", "batch_size", "scheduler", "threads")
    return {k: v for k, v in options.items() if k in superad_geo.DEFAULTS and k not in skip}

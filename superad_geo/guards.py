"""Guards that keep the tool from destroying the user's files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from superad_geo.errors import OutputError


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (symbolic and hard links resolved)."""
    pa, pb = Path(a), Path(b)
    if pa.exists() and pb.exists():
        return os.path.samefile(pa, pb)
    return pa.resolve() == pb.resolve()


def refuse_input_as_output(output: str | os.PathLike, *inputs: Any) -> None:
    """Refuse an output that is one of the inputs, whatever ``--overwrite`` says.

    Inputs that are not paths (arrays, ``/vsi`` and URL paths) are passed over.

    Raises
    ------
    OutputError
        If ``output`` and an input are the same file.
    """
    for source in inputs:
        if not isinstance(source, (str, os.PathLike)):
            continue
        text = os.fspath(source)
        if text.startswith("/vsi") or "://" in text:
            continue
        if same_file(output, source):
            raise OutputError(
                f"output {os.fspath(output)!r} is the input {text!r}; "
                "choose another output name (an input is never overwritten)"
            )


#: File name endings of the GeoTIFFs written (scores, masks).
GEOTIFF_SUFFIXES = (".tif", ".tiff")


def refuse_unless_geotiff_name(output: str | os.PathLike, what: str = "output") -> None:
    """Refuse a GeoTIFF output whose name says another format (``scores.png``).

    Raises
    ------
    OutputError
        If ``output`` does not end in ``.tif`` or ``.tiff``.
    """
    suffix = Path(output).suffix.lower()
    if suffix not in GEOTIFF_SUFFIXES:
        named = f"named {suffix}" if suffix else "named without an ending"
        raise OutputError(
            f"{what} {os.fspath(output)!r} is written as a GeoTIFF but {named}; give a .tif name"
        )

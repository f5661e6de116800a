"""The output policy, in one place: refuse what should not be overwritten, never leave half a file.

Every writer of the package checks its output with :func:`check_output` (and
:func:`refuse_input_as_output`: an input is never overwritten, whatever
``overwrite`` says) and writes through :func:`atomic_write`: into a hidden temporary file beside the
target, renamed over it only once complete, so an interrupted run leaves
either the old file or the new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from superad_geo.errors import OutputError


def check_output(dst: str | os.PathLike, *, overwrite: bool = False, what: str = "output") -> Path:
    """Check that ``dst`` can be written; return it as a Path.

    Raises
    ------
    OutputError
        If ``dst`` is a folder, exists and ``overwrite`` is false, or its folder
        is missing or not writable.
    """
    path = Path(dst)
    if path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputError(
            f"{what} {str(path)!r} exists; give overwrite=True to replace it", option="overwrite"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{what} folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{what} folder {str(folder)!r} is not writable")
    return path


@contextlib.contextmanager
def atomic_write(dst: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``dst`` (same suffix) and rename it to ``dst`` on success.

    On failure the temporary file is removed and ``dst`` is left as it was.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_write(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(dst)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name if it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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


def check_geotiff_output(
    dst: str | os.PathLike, *inputs: Any, overwrite: bool = False, what: str = "output"
) -> Path:
    """Check a GeoTIFF output: writable (:func:`check_output`), not one of the ``inputs``,
    named ``.tif``; return it as a Path.

    Raises
    ------
    OutputError
        Naming the first problem.
    """
    path = check_output(dst, overwrite=overwrite, what=what)
    refuse_input_as_output(path, *inputs)
    refuse_unless_geotiff_name(path, what)
    return path


__all__ = [
    "GEOTIFF_SUFFIXES",
    "atomic_write",
    "check_geotiff_output",
    "check_output",
    "one_line",
    "refuse_input_as_output",
    "refuse_unless_geotiff_name",
    "same_file",
]

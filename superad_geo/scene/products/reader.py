"""What a reader is, what it returns, and the registry that finds the reader of an input.

A reader has the shape of xarray's ``BackendEntrypoint``: :meth:`Reader.guess_can_open`
(a cheap look at the path) and :meth:`Reader.open` (the raw cube, lazily, as a
:class:`RawScene`). It also declares the files an input is read from
(:meth:`Reader.files`), so that the input's identity covers every byte of them.
Each reader module registers its reader (:func:`register`); :func:`reader_for`
asks them in turn and falls back on the reader registered as the fallback
(GDAL's, which reads any raster).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask.array as da
from affine import Affine

from superad_geo.scene.band_metadata import BandMetadata
from superad_geo.scene.paths import is_virtual

#: Target size of one dask chunk (all bands of a block of pixels), bytes.
CHUNK_BYTES = 64 * 2**20


def default_chunks(bands: int, itemsize: int = 4) -> dict[str, int]:
    """Chunks holding all bands of a square block of about :data:`CHUNK_BYTES`."""
    side = int(math.sqrt(CHUNK_BYTES / max(bands * itemsize, 1)))
    side = max(128, min(2048, side // 64 * 64))
    return {"band": -1, "y": side, "x": side}


@dataclass(frozen=True)
class RawScene:
    """An input's cube as a reader returns it: raw ``(band, y, x)`` values and what they mean."""

    data: da.Array
    """Raw values (the file's dtype), ``(band, y, x)``."""
    bands: BandMetadata
    transform: Affine
    crs: Any
    """A CRS rasterio/rioxarray accepts, or None."""
    product: str
    """Short name of what was read, e.g. ``"NEON AOP reflectance"`` or GDAL's driver."""
    geolocation: str | None = None
    """The ``_loc`` file placing a sensor-geometry cube (:mod:`superad_geo.scene.geolocation`)."""


class Reader:
    """One kind of input. Subclasses implement :meth:`guess_can_open` and :meth:`open`."""

    def guess_can_open(self, path: str) -> bool:
        """Whether ``path`` looks like this reader's input (a cheap look: no cube is read)."""
        raise NotImplementedError

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        """The raw cube of ``path``, lazily; ``chunks`` as :func:`default_chunks` gives them.

        Raises
        ------
        InputError
            If ``path`` is not a readable input of this kind.
        """
        raise NotImplementedError

    def files(self, path: str) -> list[Path]:
        """The local files the input is read from, the file first: by default what GDAL lists
        for it (:func:`gdal_files`)."""
        return gdal_files(path)

    def root(self, path: str) -> str:
        """The file or folder that holds the input (a product's folder for one of its files)."""
        return path

    def folder_problem(self, path: str) -> str | None:
        """Why the folder ``path``, holding parts of this reader's inputs, is not one input."""
        return None


#: The readers tried in turn, as their modules registered them; then the fallback.
READERS: list[Reader] = []
FALLBACK: list[Reader] = []


def register(reader: Reader, *, fallback: bool = False) -> Reader:
    """Add ``reader`` to the readers :func:`reader_for` asks (``fallback``: asked last, always)."""
    (FALLBACK if fallback else READERS).append(reader)
    return reader


def reader_for(path: str) -> Reader:
    """The first registered reader that guesses it can open ``path``, else the fallback."""
    for reader in READERS:
        if reader.guess_can_open(path):
            return reader
    return FALLBACK[-1]


def gdal_files(path: str) -> list[Path]:
    """The local files GDAL reads for ``path``: itself, its side files, a VRT's sources.

    The VRTs among a VRT's sources are followed too. A GDAL dataset name
    (``NETCDF:"f.nc":reflectance``) is the files GDAL lists for it; where GDAL
    cannot open the path (``.mat``, zip), just the path.
    """
    if is_virtual(path):
        return [p.resolve() for p in _listed(path) if p.is_file()]
    first = Path(path).resolve()
    found: list[Path] = []
    pending = [first]
    while pending:
        current = pending.pop(0).resolve()
        if current in found or not current.is_file():
            continue
        found.append(current)
        if current == first or current.suffix.lower() == ".vrt":
            pending.extend(_listed(str(current))[1:])
    return found


def _listed(name: str) -> list[Path]:
    """GDAL's file list of a dataset (itself first), or ``[name]`` where GDAL cannot open it."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(name) as ds:
                names = list(ds.files)
    except RasterioIOError:
        names = []
    local = [Path(n) for n in names if not is_virtual(n)]
    return local or ([] if is_virtual(name) else [Path(name)])


def is_product(path: str) -> bool:
    """True for a folder or zip a reader takes as one product: one scene, whatever its parts."""
    return (os.path.isdir(path) or path.lower().endswith(".zip")) and any(
        reader.guess_can_open(path) for reader in READERS
    )


def is_product_folder(path: str) -> bool:
    """True for a folder that holds one product (an EnMAP L2A product folder), not a collection."""
    return os.path.isdir(path) and is_product(path)


def folder_problem(path: str) -> str | None:
    """Why the folder ``path`` cannot be read as a scene; None for one product's folder."""
    if is_product_folder(path):
        return None
    found = (reader.folder_problem(path) for reader in READERS)
    return next((p for p in found if p), None) or "is a folder, not a file nor a product folder"

"""The identity of an input: a SHA-256 of every byte a scene is read from.

A result is stale when any byte it was made from changes, so an input is
identified by the content of all its files (:func:`input_files`): the file
itself and what GDAL reads with it (an ENVI header, a VRT's sources and
theirs, a ``.aux.xml`` beside it), or every file of a product folder (an
EnMAP product given as its folder or its METADATA.XML). Not by its path nor
its modification time, so a copied archive keeps its results.

Each file is hashed once per process: the digest is kept under the file's
device, inode, size, modification and change times (the change time cannot
be set back by a user, so a rewritten file is hashed again).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

from superad_geo.scene.paths import is_remote, is_virtual

#: Bytes read at a time while hashing.
READ_BYTES = 1 << 22

_digests: dict[tuple[int, ...], str] = {}


def input_files(source: str | os.PathLike) -> list[Path]:
    """The local files a scene is read from: the file first, then those read with it.

    A folder (a product folder) is every file under it, in name order; an
    EnMAP METADATA.XML stands for its product folder; a GDAL dataset name
    (``NETCDF:"f.nc":reflectance``) is the files GDAL lists for it; any other
    path is what GDAL lists for it, following the VRTs among a VRT's sources
    (just the path itself where GDAL cannot open it: ``.mat``, zip).
    """
    text = os.fspath(source)
    if is_virtual(text):
        return [p.resolve() for p in _gdal_files(text) if p.is_file()]
    path = scene_root(text).resolve()
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    found: list[Path] = []
    pending = [path]
    while pending:
        current = pending.pop(0).resolve()
        if current in found or not current.is_file():
            continue
        found.append(current)
        if current == path or current.suffix.lower() == ".vrt":
            pending.extend(_gdal_files(str(current))[1:])
    return found


def scene_root(source: str | os.PathLike) -> Path:
    """The file or folder that holds a scene: a product's folder for its METADATA.XML."""
    from superad_geo.scene.products import product_root

    return Path(product_root(os.fspath(source)) or source)


def _gdal_files(name: str) -> list[Path]:
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


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, computed once per process for a file that did not change."""
    info = path.stat()
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(READ_BYTES):
                digest.update(chunk)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def content_identity(source: Any) -> Any:
    """What identifies an input: the SHA-256 of the content of all its files, and their count.

    A GDAL dataset name adds itself (which dataset of its file). Remote
    inputs (``/vsi`` paths, URLs) are identified by their name, other
    objects by their ``name`` attribute or type.
    """
    if not isinstance(source, (str, os.PathLike)):
        return str(getattr(source, "name", None) or type(source).__name__)
    text = os.fspath(source)
    if is_remote(text) or not (is_virtual(text) or os.path.exists(text)):
        return text
    folder = None if is_virtual(text) else scene_root(text).resolve()
    digest = hashlib.sha256(text.encode() if folder is None else b"")
    files = input_files(text)
    for path in files:
        name = path.relative_to(folder).as_posix() if folder and folder.is_dir() else ""
        digest.update(f"{name}\0{path.stat().st_size}\0{file_digest(path)}\0".encode())
    return {"files": len(files), "sha256": digest.hexdigest()}


__all__ = ["content_identity", "file_digest", "input_files"]

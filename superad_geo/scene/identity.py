"""The identity of an input: a SHA-256 of every byte a scene is read from.

A result is stale when any byte it was made from changes, so an input is
identified by the content of all the files its reader declares
(:func:`input_files`, :meth:`~superad_geo.scene.products.reader.Reader.files`):
the file itself and what GDAL reads with it (an ENVI header, a VRT's sources
and theirs, a ``.aux.xml`` beside it, the ``_loc`` file placing a
sensor-geometry scene), or every file of a product folder (an EnMAP product
given as its folder or its METADATA.XML). Not by its path nor its
modification time, so a copied archive keeps its results.

Each file is hashed once per process: the digest is kept under the file's
device, inode, size, modification and change times (the change time cannot
be set back by a user, so a rewritten file is hashed again).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from superad_geo.scene.paths import is_remote, is_virtual
from superad_geo.scene.products import reader_for

#: Bytes read at a time while hashing.
READ_BYTES = 1 << 22

_digests: dict[tuple[int, ...], str] = {}


def input_files(source: str | os.PathLike) -> list[Path]:
    """The local files a scene is read from, as its reader declares them (the file first).

    A product folder is every file under it, in name order (an EnMAP
    METADATA.XML stands for its folder); a GDAL raster is what GDAL lists for
    it, following the VRTs among a VRT's sources, and its ``_loc`` file.
    """
    return reader_for(os.fspath(source)).files(os.fspath(source))


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
    reader = reader_for(text)
    folder = None if is_virtual(text) else Path(reader.root(text)).resolve()
    digest = hashlib.sha256(text.encode() if folder is None else b"")
    files = reader.files(text)
    for path in files:
        name = path.relative_to(folder).as_posix() if folder and folder.is_dir() else ""
        digest.update(f"{name}\0{path.stat().st_size}\0{file_digest(path)}\0".encode())
    return {"files": len(files), "sha256": digest.hexdigest()}


__all__ = ["content_identity", "file_digest", "input_files"]

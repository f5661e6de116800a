"""What kind of path an input is: a local file, or something only GDAL can reach."""

from __future__ import annotations

import os
import re

#: A URL's scheme, ``https://``, ``s3://``.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

#: A GDAL dataset name with a driver prefix, ``NETCDF:"file.nc":reflectance`` or
#: ``hdf5:file.h5://cube`` (two letters at least: ``C:`` is a Windows drive).
_DRIVER_PREFIX = re.compile(r"^[A-Za-z0-9_]{2,}:")


def is_remote(path: str | os.PathLike) -> bool:
    """True for a GDAL virtual file system path (``/vsicurl/...``) or a URL."""
    text = os.fspath(path)
    return text.startswith("/vsi") or _URL.match(text) is not None


def is_virtual(path: str | os.PathLike) -> bool:
    """True for what GDAL reads but the file system does not hold as named: remote paths
    (:func:`is_remote`) and driver-prefixed dataset names (``NETCDF:"f.nc":reflectance``),
    unless a local file has that name."""
    text = os.fspath(path)
    if is_remote(text):
        return True
    return _DRIVER_PREFIX.match(text) is not None and not os.path.exists(text)


__all__ = ["is_remote", "is_virtual"]

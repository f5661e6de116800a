"""HDF5 access shared by the product readers: a lazy, picklable dataset and a listing.

h5py is an optional dependency (the ``hdf5`` extra): without it no file is
taken for an HDF5 product (GDAL reads what it can), and the functions that
need it raise :class:`~superad_geo.errors.DependencyError` naming that extra.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from superad_geo.extras import available, require

HDF5_SUFFIXES = (".h5", ".hdf5", ".he5", ".hdf", ".nc", ".nc4")


def h5py_module() -> Any:
    """Import h5py, or say which extra installs it."""
    return require("h5py", "reading HDF5/NetCDF-4 products")


def is_hdf5(path: str) -> bool:
    """True for a local HDF5 file (NetCDF-4 too) with an HDF5 suffix, when h5py is installed."""
    if not path.lower().endswith(HDF5_SUFFIXES) or not os.path.isfile(path):
        return False
    return available("h5py") and bool(h5py_module().is_hdf5(path))


def subdataset_name(path: str, name: str) -> str:
    """GDAL's name of one dataset of an HDF5 file: ``HDF5:"file"://path``."""
    return f'HDF5:"{path}"://{name.lstrip("/")}'


def array_datasets(path: str) -> dict[str, tuple[int, ...]]:
    """Shapes of the datasets of at least two dimensions in an HDF5 file, by path."""
    h5py = h5py_module()
    found: dict[str, tuple[int, ...]] = {}

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset) and item.ndim >= 2:
            found[name] = tuple(item.shape)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return found


class LazyDataset:
    """An HDF5 dataset read on demand: sliceable, picklable, for :func:`dask.array.from_array`.

    Each read opens the file, so dask workers in other processes can read it
    too (the file must be reachable from them).
    """

    def __init__(self, path: str, name: str) -> None:
        with h5py_module().File(path, "r") as f:
            item = f[name]
            self.shape = tuple(item.shape)
            self.dtype = np.dtype(item.dtype)
        self.ndim = len(self.shape)
        self.path, self.name = path, name

    def __getitem__(self, key: Any) -> np.ndarray:
        with h5py_module().File(self.path, "r") as f:
            return np.asarray(f[self.name][key])


def read_string(item: Any) -> str:
    """An HDF5 string dataset or attribute (bytes, array of bytes or str) as str."""
    value = item[()] if hasattr(item, "shape") and not isinstance(item, np.ndarray) else item
    value = np.asarray(value).ravel()[0] if np.ndim(value) else value
    return value.decode() if isinstance(value, bytes) else str(value)

"""MATLAB ``.mat`` files: the benchmark cubes (HAD, ABU) and their ground truths, read once here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

from superad_geo.errors import InputError

#: Keys of a 2-D 0/1 ground truth in a ``.mat`` file, in order of preference.
TRUTH_KEYS = ("map", "gt", "groundtruth", "ground_truth", "mask")


def load_mat(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of a ``.mat`` file (v5 or v7.3/HDF5), in MATLAB's axis order.

    Raises
    ------
    InputError
        If the file does not exist or is not a MATLAB file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"input {path!r} does not exist; check the path")
    try:
        import scipy.io

        return {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    except NotImplementedError:  # MATLAB v7.3 is HDF5
        import h5py

        with h5py.File(path, "r") as f:
            # h5py sees MATLAB arrays with reversed axes
            return {k: np.transpose(np.asarray(f[k])) for k in f if isinstance(f[k], h5py.Dataset)}
    except Exception as exc:
        raise InputError(f"cannot read {path!r} as a MATLAB file: {exc}") from exc


def mat_truth(
    content: Mapping[str, np.ndarray], shape: tuple[int, ...] | None = None
) -> np.ndarray | None:
    """The first 2-D array under :data:`TRUTH_KEYS` (of ``shape`` if given), as bool."""
    for name in TRUTH_KEYS:
        value = content.get(name)
        if value is not None and np.ndim(value) == 2 and (shape is None or value.shape == shape):
            return np.asarray(value) != 0
    return None


def read_mat_truth(path: str | os.PathLike) -> np.ndarray:
    """The ground truth of a ``.mat`` file as a bool ``(y, x)`` array.

    Raises
    ------
    InputError
        If the file has no 2-D array under :data:`TRUTH_KEYS`.
    """
    content = load_mat(path)
    truth = mat_truth(content)
    if truth is None:
        raise InputError(
            f"{os.fspath(path)!r} has no 2-D ground truth under the key 'map' "
            f"(keys: {sorted(content)})"
        )
    return truth


def read_mat(path: str | os.PathLike) -> tuple[xr.DataArray, np.ndarray | None]:
    """Read a MATLAB benchmark cube and its ground truth.

    Parameters
    ----------
    path : str or path
        ``.mat`` file with a rows x cols x bands array (key ``data``, else the
        only 3-D array) and an optional 2-D 0/1 ground truth (first of
        :data:`TRUTH_KEYS`).

    Returns
    -------
    (xarray.DataArray, numpy.ndarray or None)
        The raw cube as ``(band, y, x)`` (no CRS, pixel-unit transform) and
        the ground truth as uint8 ``(y, x)``.

    Raises
    ------
    InputError
        If the file cannot be read or holds no 3-D array.
    """
    path = os.fspath(path)
    content = load_mat(path)
    cubes = {k: v for k, v in content.items() if getattr(v, "ndim", 0) == 3}
    key = "data" if "data" in cubes else (next(iter(cubes)) if len(cubes) == 1 else None)
    if key is None:
        raise InputError(
            f"{path!r} holds no single 3-D cube (keys: {sorted(content)}); "
            "store the cube under the key 'data' as rows x cols x bands"
        )
    cube = np.ascontiguousarray(np.moveaxis(cubes[key], -1, 0))
    truth = None
    found = mat_truth(content, cube.shape[1:])
    if found is not None:
        truth = found.astype(np.uint8)
    bands, rows, cols = cube.shape
    scene = xr.DataArray(
        cube,
        dims=("band", "y", "x"),
        coords={
            "band": np.arange(1, bands + 1),
            "y": np.arange(rows) + 0.5,
            "x": np.arange(cols) + 0.5,
        },
        name=Path(path).stem,
        attrs={"source": Path(path).name},
    )
    scene = scene.rio.write_transform(Affine.identity())
    return scene, truth

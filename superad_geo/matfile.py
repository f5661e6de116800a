"""The MATLAB format of the hyperspectral anomaly detection benchmarks.

A ``.mat`` file holds the cube under ``data`` as ``(y, x, band)`` and, for
benchmark scenes, the binary ground truth under ``map``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from superad_geo.errors import InputError


def read_benchmark_scene(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a ``.mat`` benchmark scene.

    Returns
    -------
    cube : np.ndarray
        float32 ``(band, y, x)``.
    truth : np.ndarray or None
        uint8 ``(y, x)`` ground truth when the file has a ``map`` key.

    Raises
    ------
    InputError
        If the file cannot be read or holds no 3-D ``data`` array.
    """
    try:
        content = scipy.io.loadmat(str(path))
    except (OSError, ValueError, NotImplementedError) as error:
        raise InputError(f"{path}: not a readable MATLAB file ({error})") from error
    cube = content.get("data")
    if cube is None or np.ndim(cube) != 3:
        arrays = [k for k, v in content.items() if not k.startswith("__") and np.ndim(v) == 3]
        if len(arrays) != 1:
            raise InputError(f"{path}: expected a 3-D array under the key 'data'")
        cube = content[arrays[0]]
    truth = content.get("map")
    if truth is not None:
        truth = (np.asarray(truth) != 0).astype(np.uint8)
    return np.moveaxis(np.asarray(cube, dtype=np.float32), -1, 0), truth

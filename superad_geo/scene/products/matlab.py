"""MATLAB ``.mat`` benchmark cubes (HAD, ABU): rows × cols × bands under ``data``, no georeference.

The file is read by :func:`superad_geo.scene.mat.read_mat` (which also holds
the ground truth); the cube has neither CRS nor band metadata, and its pixel
grid is the identity transform.
"""

from __future__ import annotations

from collections.abc import Mapping

import dask.array as da
import numpy as np
from affine import Affine

from superad_geo.scene.band_metadata import BandMetadata
from superad_geo.scene.mat import read_mat
from superad_geo.scene.products.reader import RawScene, Reader, register

#: A ``.mat`` cube is read whole; dask blocks of this many rows and columns.
BLOCK = 1024


class MatReader(Reader):
    """A ``.mat`` benchmark cube."""

    def guess_can_open(self, path: str) -> bool:
        return path.lower().endswith(".mat")

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        cube, _ = read_mat(path)
        size = dict(chunks) if chunks is not None else {"y": BLOCK, "x": BLOCK}
        data = da.from_array(np.asarray(cube.values), chunks=(-1, size["y"], size["x"]))
        return RawScene(
            data=data,
            bands=BandMetadata.of(cube.sizes["band"]),
            transform=Affine.identity(),
            crs=None,
            product="MATLAB cube",
        )


MAT = register(MatReader())

"""A new input format is one reader: a toy one, defined here alone, read through the whole pipeline.

The toy format is a NumPy ``.npy`` cube named ``*.toy`` with a JSON side file
(``*.toy.json``: wavelengths and nodata). Registering the reader is all it
takes for ``open_scene``, ``detect_file`` and the input's identity (which
covers the side file, as the reader declares it) to read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

import superad_geo
from superad_geo.scene import products
from superad_geo.scene.band_metadata import BandMetadata
from superad_geo.scene.identity import content_identity, input_files
from superad_geo.scene.products import RawScene, Reader

WAVELENGTHS = [450.0 + 50 * i for i in range(8)]


class ToyReader(Reader):
    """``*.toy``: a ``(band, y, x)`` .npy cube; ``*.toy.json``: wavelengths and nodata."""

    def guess_can_open(self, path: str) -> bool:
        return path.endswith(".toy")

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        cube = np.load(path)
        side = json.loads(Path(path + ".json").read_text())
        return RawScene(
            data=da.from_array(cube, chunks=(-1, 16, 16)),
            bands=BandMetadata.of(
                cube.shape[0], wavelength=side["wavelength"], nodata=side["nodata"]
            ),  # fmt: skip
            transform=from_origin(500000.0, 5800000.0, 10.0, 10.0),
            crs="EPSG:32633",
            product="toy cube",
        )

    def files(self, path: str) -> list[Path]:
        return [Path(path).resolve(), Path(path + ".json").resolve()]


@pytest.fixture
def toy_reader(monkeypatch):
    """The toy reader registered for the test only (as its module would register it)."""
    monkeypatch.setattr(products.reader, "READERS", list(products.READERS))
    return products.register(ToyReader())


def _toy_scene(folder: Path, nodata: float = -1.0) -> Path:
    scene, _ = superad_geo.make_scene((32, 40), len(WAVELENGTHS), seed=2)
    cube = np.asarray(scene.values, dtype=np.float32)
    cube[:, 0, 0] = nodata
    path = folder / "scene.toy"
    with path.open("wb") as f:
        np.save(f, cube)
    Path(str(path) + ".json").write_text(json.dumps({"wavelength": WAVELENGTHS, "nodata": nodata}))
    return path


def test_a_registered_reader_opens_its_format(toy_reader, tmp_path):
    scene = superad_geo.open_scene(_toy_scene(tmp_path))
    assert scene.dims == ("band", "y", "x") and scene.shape == (8, 32, 40)
    assert scene["wavelength"].values.tolist() == WAVELENGTHS
    assert scene.attrs["product"] == "toy cube"
    assert scene.rio.crs == "EPSG:32633"
    assert np.isnan(scene.values[:, 0, 0]).all() and scene.rio.encoded_nodata == -1.0


def test_a_registered_reader_runs_through_detect_file(toy_reader, tmp_path):
    out = tmp_path / "scores.tif"
    superad_geo.detect_file(_toy_scene(tmp_path), out, method="rx")
    with rasterio.open(out) as ds:
        assert ds.crs == "EPSG:32633" and ds.nodata == -1.0
        scores = ds.read(1)
        assert json.loads(ds.tags()["SUPERAD_WAVELENGTHS"]) == WAVELENGTHS
    assert scores[0, 0] == -1.0 and np.isfinite(scores[1:]).all()


def test_the_identity_covers_the_files_the_reader_declares(toy_reader, tmp_path):
    path = _toy_scene(tmp_path)
    assert [p.name for p in input_files(path)] == ["scene.toy", "scene.toy.json"]
    before = content_identity(path)
    side = Path(str(path) + ".json")
    side.write_text(json.dumps({"wavelength": WAVELENGTHS, "nodata": -2.0}))  # the cube is kept
    assert content_identity(path) != before


def test_without_the_reader_the_format_is_refused(tmp_path):
    with pytest.raises(superad_geo.InputError, match="cannot read"):
        superad_geo.open_scene(_toy_scene(tmp_path))

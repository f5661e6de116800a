"""Fixtures of the command-line tests: tiny scenes in every input format."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import product_fixtures  # the core tests' product files, for the CLI's tests too
import pytest
import rasterio
import scipy.io
from click.testing import CliRunner
from rasterio.transform import from_origin

from superad_geo_cli.main import cli

os.environ.setdefault("OMP_NUM_THREADS", "1")

HAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "had"
ENMAP = Path(__file__).resolve().parents[3] / "shared" / "data" / "enmap-potsdam"
if not HAD.is_dir():  # running from another checkout
    HAD = Path("/work/shared/data/had")
    ENMAP = Path("/work/shared/data/enmap-potsdam")

TRANSFORM = from_origin(364095.0, 5809965.0, 30.0, 30.0)
CRS = "EPSG:32633"


def make_cube(rows: int = 40, cols: int = 44, bands: int = 12, seed: int = 0):
    """A smooth two-material cube with a few bright anomalies, and its truth."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols] / max(rows, cols)
    a = 0.5 + 0.4 * np.sin(3 * xx + 2 * yy)
    spectra = rng.uniform(0.1, 0.6, size=(2, bands))
    cube = a[None] * spectra[0][:, None, None] + (1 - a)[None] * spectra[1][:, None, None]
    cube += rng.normal(0, 0.003, size=cube.shape)
    truth = np.zeros((rows, cols), dtype=np.uint8)
    for r, c in [(5, 7), (20, 30), (33, 12)]:
        cube[:, r : r + 2, c : c + 2] = rng.uniform(0.0, 1.0, size=(bands, 1, 1))
        truth[r : r + 2, c : c + 2] = 1
    return cube.astype(np.float32), truth


def write_tif(path, cube, *, nodata=None, crs=CRS, transform=TRANSFORM, wavelengths=True):
    bands, rows, cols = cube.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=bands,
        dtype=str(cube.dtype),
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(cube)
        if wavelengths:
            for i, w in enumerate(np.linspace(420, 2400, bands), start=1):
                ds.update_tags(i, wavelength=f"{w:.2f}", wavelength_units="Nanometers")
    return Path(path)


def write_truth_tif(path, truth, *, transform=TRANSFORM):
    with rasterio.open(
        path, "w", driver="GTiff", width=truth.shape[1], height=truth.shape[0], count=1,
        dtype="uint8", crs=CRS, transform=transform,
    ) as ds:  # fmt: skip
        ds.write(truth, 1)
    return Path(path)


@pytest.fixture(scope="session")
def helpers():
    """The module's helpers and constants, for tests (conftest is not importable)."""
    return SimpleNamespace(
        make_cube=make_cube,
        write_tif=write_tif,
        write_truth_tif=write_truth_tif,
        CRS=CRS,
        TRANSFORM=TRANSFORM,
        HAD=HAD,
        ENMAP=ENMAP,
        products=product_fixtures,
    )


@pytest.fixture(scope="session")
def products_dir() -> Path:
    """The shared real product files (``data/products``); the test is skipped without them."""
    folder = HAD.parent / "products"
    if not folder.is_dir():
        pytest.skip("shared product files not available")
    return folder


@pytest.fixture(scope="session")
def cube_truth():
    return make_cube()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, cube_truth):
    """A folder with the same scene as GeoTIFF, ENVI and .mat, plus its truth."""
    d = tmp_path_factory.mktemp("scenes")
    cube, truth = cube_truth
    write_tif(d / "scene.tif", cube, nodata=-9999)
    with rasterio.open(
        d / "scene_envi.img", "w", driver="ENVI", width=cube.shape[2], height=cube.shape[1],
        count=cube.shape[0], dtype="float32", crs=CRS, transform=TRANSFORM,
    ) as ds:  # fmt: skip
        ds.write(cube)
    scipy.io.savemat(d / "scene.mat", {"data": np.moveaxis(cube, 0, -1), "map": truth})
    write_truth_tif(d / "truth.tif", truth)
    return d


@pytest.fixture
def run():
    """Invoke the CLI in-process; returns click's Result (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke

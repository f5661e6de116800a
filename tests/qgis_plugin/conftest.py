"""Fixtures for the QGIS plugin's tests.

Most tests drive a real QGIS through ``qgis_process.bin`` in a throwaway
profile (``QGIS_CUSTOM_CONFIG_PATH``) where the plugin was installed from its
zip and enabled. They are skipped, with the reason, when QGIS is not
installed. The algorithms run either the real ``superad-geo`` (the one next
to this interpreter) or a fake one written by :func:`fake_cli` that mimics
``--progress json`` and copies the input raster to the output.

Environment: ``SUPERAD_QGIS_PROCESS`` overrides the path of
``qgis_process.bin`` (default ``/usr/bin/qgis_process.bin``, Debian's; its
``/usr/bin/qgis_process`` wrapper passes an option 3.22 rejects), and
``SUPERAD_QGIS_PYTHON`` the Python that imports QGIS's bindings (default
``/usr/bin/python3``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_support import (
    PLUGIN_NAME,
    QGIS_PROCESS,
    QGIS_PYTHON,
    QgisProfile,
    qgis_process_missing,
    qgis_python_missing,
    write_fake_cli,
)


@pytest.fixture(scope="session")
def qgis_process() -> Path:
    """The ``qgis_process.bin`` executable; skips the test when QGIS is not installed."""
    reason = qgis_process_missing()
    if reason:
        pytest.skip(reason)
    return QGIS_PROCESS


@pytest.fixture(scope="session")
def qgis_python() -> Path:
    """A Python that imports QGIS's bindings; skips the test when there is none."""
    reason = qgis_python_missing()
    if reason:
        pytest.skip(reason)
    return QGIS_PYTHON


@pytest.fixture(scope="session")
def plugin_zip(tmp_path_factory) -> Path:
    """The plugin zip, built by ``qgis_plugin/build_zip.py``."""
    import build_zip

    return build_zip.build_zip(tmp_path_factory.mktemp("zip") / f"{PLUGIN_NAME}.zip")


@pytest.fixture(scope="session")
def qgis_profile(tmp_path_factory, qgis_process, plugin_zip) -> QgisProfile:
    """One profile shared by the tests that do not change settings."""
    return QgisProfile(tmp_path_factory.mktemp("qgis-profile"), qgis_process, plugin_zip)


@pytest.fixture
def fresh_profile(tmp_path, qgis_process, plugin_zip) -> QgisProfile:
    """A profile of the test's own, for tests that change settings."""
    return QgisProfile(tmp_path / "qgis-profile", qgis_process, plugin_zip)


@pytest.fixture(scope="session")
def scene(tmp_path_factory) -> Path:
    """A small georeferenced hyperspectral scene: 20 bands, 40 × 40 pixels, UTM 33N.

    Smooth background spectra plus noise, with a 2 × 2 anomalous target.
    """
    import numpy as np
    import rasterio
    from rasterio.transform import Affine

    rng = np.random.default_rng(0)
    bands, size = 20, 40
    wavelengths = np.linspace(450, 2400, bands)
    background = 0.2 + 0.1 * np.sin(wavelengths / 300.0)
    cube = background[:, None, None] + 0.01 * rng.standard_normal((bands, size, size))
    cube[:, 20:22, 20:22] += 0.3 * np.cos(wavelengths / 200.0)[:, None, None]
    path = tmp_path_factory.mktemp("scene") / "scene.tif"
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": bands,
        "dtype": "float32",
        "crs": "EPSG:32633",
        "transform": Affine(30.0, 0.0, 368000.0, 0.0, -30.0, 5810000.0),
        "nodata": -9999.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(cube.astype("float32"))
        for band, wavelength in enumerate(wavelengths, start=1):
            dst.update_tags(band, wavelength=f"{wavelength:.1f}", wavelength_units="nm")
    return path


@pytest.fixture
def fake_cli(tmp_path) -> Path:
    """A fake ``superad-geo`` in its own folder (see :data:`FAKE_CLI`)."""
    return write_fake_cli(tmp_path / "fake-bin")

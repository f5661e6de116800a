"""Airborne radiance in sensor geometry: its ``_loc`` file, and scores that GDAL places.

The shared AVIRIS-3 and PRISM pieces (one and two pixels) test the reading
and the metadata written; GDAL's geolocation warper needs a grid at least two
pixels wide, so the warp is tested on a flight line in the AVIRIS-3 layout
built around the real AVIRIS-3 spectrum and position.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from product_fixtures import AVIRIS3_UTM, make_airborne_line
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

import superad_geo
from superad_geo.scene.geolocation import geolocation_metadata
from superad_geo.scene.tiling import Window
from superad_geo.scene.write import write_cog

AVIRIS3 = "aviris3-envi/AV320250308t200738_rdn.img"
PRISM = "prism-envi/prm20231110t071521_rdn_two_px"
#: Debian 12's GDAL 3.6 command-line tools (the GDAL of its QGIS), where installed.
SYSTEM_GDAL = Path("/usr/bin")


def _system_gdal(tool: str) -> str:
    path = SYSTEM_GDAL / tool
    if not path.exists():
        pytest.skip(f"no system GDAL ({path} is missing; `make qgis` installs it)")
    return str(path)


def _system_env() -> dict[str, str]:
    """The environment without the venv's GDAL and PROJ settings (system tools have theirs)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "PROJ_"))}


def _score_piece(products_dir: Path, name: str, folder: Path) -> tuple[Path, str]:
    """Scores on the grid of a shared piece, written by detect_file's writer, and its ``_loc``.

    The pieces (one and two pixels) are too small to score: the values are
    the pixel numbers.
    """
    scene = superad_geo.open_scene(products_dir / name)
    assert scene.rio.crs is None
    loc = scene.attrs["geolocation"]
    rows, cols = scene.sizes["y"], scene.sizes["x"]
    values = np.arange(1, rows * cols + 1, dtype=np.float32).reshape(rows, cols)
    blocks = [(Window(0, 0, rows, cols), values)]
    geolocation = geolocation_metadata(loc)
    out = folder / "scores.tif"
    write_cog(out, blocks, shape=(rows, cols), transform=None, geolocation=geolocation)
    with rasterio.open(out) as ds:
        assert ds.crs is None and ds.transform.is_identity and np.array_equal(ds.read(1), values)
    return out, loc


@pytest.mark.parametrize("name", [AVIRIS3, PRISM])
def test_real_pieces_are_placed_by_their_loc_file(products_dir, tmp_path, name):
    out, loc = _score_piece(products_dir, name, tmp_path)
    assert Path(loc) == products_dir / name.replace("_rdn", "_loc")
    with rasterio.open(out) as ds:
        geo = ds.tags(ns="GEOLOCATION")
    assert geo["X_DATASET"] == geo["Y_DATASET"] == loc
    assert (geo["X_BAND"], geo["Y_BAND"]) == ("1", "2")
    assert CRS.from_wkt(geo["SRS"]).to_epsg() == 4326
    assert geo["GEOREFERENCING_CONVENTION"] == "PIXEL_CENTER"


def test_gdal_places_the_prism_pixels_on_their_loc_positions(products_dir, tmp_path):
    """GDAL's geolocation transformer (the system GDAL 3.6, QGIS 3.22's) on the two PRISM pixels.

    (AVIRIS-3's single pixel cannot be: GDAL needs a geolocation grid of two
    pixels at least, "Invalid pixel size for backmap".)
    """
    out, loc = _score_piece(products_dir, PRISM, tmp_path)
    with rasterio.open(loc) as ds:
        lonlat = ds.read([1, 2]).reshape(2, -1).T
    centres = "0.5 0.5\n0.5 1.5\n"  # column, row of the two pixel centres
    command = [_system_gdal("gdaltransform"), "-geoloc", str(out)]
    done = subprocess.run(
        command, input=centres, capture_output=True, text=True, env=_system_env(), check=True
    )
    placed = np.array([line.split()[:2] for line in done.stdout.splitlines()], dtype=float)
    np.testing.assert_allclose(placed, lonlat, atol=1e-6)


def _warped_peak(src: Path) -> np.ndarray:
    """The map position (UTM 11N) of the highest score after GDAL's geolocation warp."""
    with rasterio.open(src) as ds, WarpedVRT(ds, crs=AVIRIS3_UTM[0],
                                             resampling=Resampling.nearest) as vrt:  # fmt: skip
        warped = vrt.read(1, masked=True)
        row, col = np.unravel_index(np.ma.argmax(warped), warped.shape)
        return np.array(vrt.xy(row, col)), abs(vrt.transform.a)


def test_scores_are_written_in_sensor_geometry_and_warp_into_place(products_dir, tmp_path):
    with rasterio.open(products_dir / AVIRIS3) as ds:
        spectrum = ds.read()[:, 0, 0]
    rdn, anomaly, position = make_airborne_line(tmp_path, spectrum)
    out, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    superad_geo.detect_file(rdn, out, method="rx", bands="1-60", mask_out=mask, far=0.002)
    with rasterio.open(out) as ds:
        scores = ds.read(1)
        assert ds.crs is None and ds.shape == (30, 24)
        assert ds.tags(ns="GEOLOCATION")["X_DATASET"] == str(rdn).replace("_rdn", "_loc")
    assert np.unravel_index(np.nanargmax(scores), scores.shape) == anomaly
    with rasterio.open(mask) as ds:
        assert ds.tags(ns="GEOLOCATION") == geolocation_metadata(str(rdn).replace("_rdn", "_loc"))
    peak, pixel = _warped_peak(out)  # rasterio's GDAL
    assert np.hypot(*(peak - position)) < 1.5 * pixel
    warped = tmp_path / "warped.tif"
    subprocess.run([_system_gdal("gdalwarp"), "-q", "-geoloc", "-t_srs", AVIRIS3_UTM[0],
                    str(out), str(warped)], check=True, env=_system_env())  # fmt: skip
    with rasterio.open(warped) as ds:  # Debian's GDAL 3.6, QGIS 3.22's
        data = ds.read(1, masked=True)
        row, col = np.unravel_index(np.ma.argmax(data), data.shape)
        assert ds.crs.to_epsg() == 32611
        assert np.hypot(*(np.array(ds.xy(row, col)) - position)) < 1.5 * abs(ds.transform.a)


def test_polygons_of_sensor_geometry_scores_are_refused(products_dir, tmp_path):
    with rasterio.open(products_dir / AVIRIS3) as ds:
        spectrum = ds.read()[:, 0, 0]
    rdn, _, _ = make_airborne_line(tmp_path, spectrum, rows=20, cols=20)
    out = tmp_path / "scores.tif"
    superad_geo.detect_file(rdn, out, method="rx", bands="1-40")
    with pytest.raises(superad_geo.InputError, match="sensor geometry.*gdalwarp -geoloc"):
        superad_geo.threshold_raster(out, tmp_path / "m.tif", far=0.01, vector=tmp_path / "a.gpkg")
    assert not (tmp_path / "m.tif").exists() and not (tmp_path / "a.gpkg").exists()


def test_a_loc_file_of_another_size_is_refused(products_dir, tmp_path):
    for src, dst in [(PRISM, "X_rdn_two_px"), ("aviris3-envi/AV320250308t200738_loc.img",
                                                 "X_loc_two_px")]:  # fmt: skip
        shutil.copy(products_dir / src, tmp_path / dst)
        header = Path(str(products_dir / src).removesuffix(".img") + ".hdr")
        shutil.copy(header, tmp_path / f"{dst}.hdr")
    with pytest.raises(superad_geo.InputError, match="'X_loc_two_px' has 3 band.*1×1.*2×1"):
        superad_geo.open_scene(tmp_path / "X_rdn_two_px")

"""``superad-geo info`` and ``superad-geo quicklook`` on every input format."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from matplotlib.image import imread


@pytest.mark.parametrize("name", ["scene.tif", "scene_envi.img", "scene.mat"])
def test_info_formats(run, data_dir, name):
    result = run("info", data_dir / name, "--tile-size", "32", "--overlap", "8", "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert (d["rows"], d["cols"], d["bands"]) == (40, 44, 12)
    assert d["tile_grid"] == [2, 2] and len(d["tiles"]) == 4
    if name != "scene.mat":
        assert d["crs"] == "EPSG:32633"
    if name == "scene.tif":
        assert d["nodata"] == -9999
        assert d["wavelengths_nm"][0] == pytest.approx(420.0)


def test_info_reports_the_plan_of_the_method(run, data_dir):
    def plan(*method):
        args = ("info", data_dir / "scene.tif", "--tile-size", "16", "--overlap", "4", *method)
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    superad, rx = plan(), plan("--method", "rx")
    assert (superad["method"], superad["overlap"], superad["halo"]) == ("superad", 4, 40)
    assert (rx["method"], rx["overlap"], rx["halo"]) == ("rx", 0, 0)
    assert len(rx["tiles"]) < len(superad["tiles"])  # no overlap: fewer tiles


def test_info_enmap_mosaic_table(run, helpers):
    vrt = helpers.ENMAP / "mosaic.vrt"
    if not vrt.exists():
        pytest.skip("EnMAP data missing")
    result = run("info", vrt, "--tile-size", "128", "--overlap", "16")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "192 rows × 160 columns" in out
    assert "224 used of 224" not in out  # bbl-flagged bands are dropped
    assert "418.2" in out and "EPSG:32633" in out and "-32768" in out
    assert "tiles:" in out and "(2 × 2)" in out


def test_info_overlap_not_below_tile_size_is_a_usage_error(run, data_dir):
    result = run("info", data_dir / "scene.tif", "--tile-size", "16", "--overlap", "16")
    assert result.exit_code == 2 and "overlap must satisfy" in result.stderr


def test_info_bad_band_spec(run, data_dir):
    result = run("info", data_dir / "scene.tif", "--bands", "5-2")
    assert result.exit_code == 2
    assert "reversed" in result.stderr


def test_quicklook_with_scores(run, data_dir, tmp_path, cube_truth):
    cube, truth = cube_truth
    scores = truth.astype(np.float32) * 5 + np.random.default_rng(0).random(truth.shape)
    with rasterio.open(data_dir / "scene.tif") as src:
        profile = dict(src.profile, count=1, dtype="float32", nodata=None)
    with rasterio.open(tmp_path / "scores.tif", "w", **profile) as ds:
        ds.write(scores.astype(np.float32), 1)
    out = tmp_path / "look.png"
    result = run("quicklook", data_dir / "scene.tif", "--scores", tmp_path / "scores.tif",
                 "-o", out, "--composite", "false")  # fmt: skip
    assert result.exit_code == 0, result.output
    image = imread(out)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    # a colour bar makes the picture wider than the square-ish scene
    assert image.shape[1] > image.shape[0]


@pytest.mark.parametrize("name", ["scene_envi.img", "scene.mat"])
def test_quicklook_formats(run, data_dir, tmp_path, name):
    out = tmp_path / "look.png"
    result = run("quicklook", data_dir / name, "-o", out, "--rgb", "9,5,2", "--max-size", "20")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_quicklook_bad_inputs(run, data_dir, tmp_path):
    out = tmp_path / "look.png"
    result = run("quicklook", data_dir / "scene.tif", "-o", out, "--rgb", "1,2,99")
    assert result.exit_code == 2 and "99" in result.stderr
    bad_scores = tmp_path / "scores.tif"
    with rasterio.open(bad_scores, "w", driver="GTiff", width=5, height=5, count=1,
                       dtype="float32") as ds:  # fmt: skip
        ds.write(np.zeros((5, 5), np.float32), 1)
    result = run("quicklook", data_dir / "scene.tif", "--scores", bad_scores, "-o", out)
    assert result.exit_code == 2 and "same grid" in result.stderr
    assert not out.exists()
    result = run("quicklook", data_dir / "scene.tif", "-o", tmp_path / "no" / "look.png")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_quicklook_outlines_the_truth_on_map_axes(run, data_dir, tmp_path, helpers):
    out = tmp_path / "look.png"
    result = run("quicklook", data_dir / "scene.tif", "--truth", data_dir / "truth.tif", "-o", out)
    assert result.exit_code == 0, result.output
    image = imread(out)[..., :3]
    cyan = (image[..., 0] < 0.1) & (image[..., 1] > 0.9) & (image[..., 2] > 0.9)
    assert cyan.sum() > 50  # the three targets' outlines
    plain = tmp_path / "plain.png"
    assert run("quicklook", data_dir / "scene.tif", "-o", plain).exit_code == 0
    image = imread(plain)[..., :3]
    assert not ((image[..., 0] < 0.1) & (image[..., 1] > 0.9) & (image[..., 2] > 0.9)).any()
    # a .mat scene takes its own .mat truth (pixel axes)
    result = run("quicklook", data_dir / "scene.mat", "--truth", data_dir / "scene.mat",
                 "-o", tmp_path / "mat.png")  # fmt: skip
    assert result.exit_code == 0, result.output


def test_quicklook_refuses_a_truth_off_the_grid(run, data_dir, tmp_path, helpers, cube_truth):
    _, truth = cube_truth
    shifted = helpers.TRANSFORM * helpers.TRANSFORM.translation(1, 0)
    helpers.write_truth_tif(tmp_path / "t.tif", truth, transform=shifted)
    out = tmp_path / "look.png"
    result = run("quicklook", data_dir / "scene.tif", "--truth", tmp_path / "t.tif", "-o", out)
    assert result.exit_code == 2 and "not the same CRS/transform" in result.stderr
    assert "scene" in result.stderr and not out.exists()


def test_info_pixel_size_has_units(run, data_dir):
    result = run("info", data_dir / "scene.tif")
    assert result.exit_code == 0, result.output
    assert "pixel size:  30 × 30 m" in result.stdout
    result = run("info", data_dir / "scene.mat", "--json")
    assert json.loads(result.stdout)["resolution_units"] == "px"


def test_a_costly_tiling_is_warned_about_with_a_better_size(run, data_dir):
    # 40 × 44 pixels in 16-px tiles with a 40-px halo: every tile reads nearly the whole scene
    result = run("info", data_dir / "scene.tif", "--tile-size", "16", "--overlap", "4")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: tiles of 16 px with a 4-px overlap and a 40-px halo make the detector "
        "process 12.0× the scene's 40×44 pixels; a tile size of 64 px would process 1.0×"
    ) in result.stderr
    one_tile = run("info", data_dir / "scene.tif", "--tile-size", "64")
    assert "Warning" not in one_tile.stderr
    rx = run("info", data_dir / "scene.tif", "--tile-size", "16", "--method", "rx")
    assert "Warning" not in rx.stderr  # RX reads tiles without halo or overlap


def test_info_names_the_geolocation_of_sensor_geometry(run, helpers):
    rdn = helpers.HAD.parent / "products/prism-envi/prm20231110t071521_rdn_two_px"
    if not rdn.exists():
        pytest.skip("shared PRISM piece not available")
    result = run("info", rdn, "--method", "rx", "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["crs"] is None and d["geolocation"] == str(rdn).replace("_rdn", "_loc")
    text = run("info", rdn, "--method", "rx").stdout
    assert "CRS:         none: sensor geometry, placed by the geolocation arrays of" in text

"""``superad-geo detect`` end to end, and every bad input the issue lists."""

from __future__ import annotations

import inspect
import json
import os

import numpy as np
import pytest
import rasterio
import torch

import superad_geo
from superad_geo_cli.main import cli
from superad_geo_cli.options import DEFAULTS, PRESETS


def _no_traceback(result):
    assert "Traceback" not in result.output, result.output


def _one_error_line(result):
    """One line names the problem; click's usage hint may precede it."""
    lines = [s for s in result.stderr.splitlines() if s.strip()]
    assert sum(s.startswith("Error:") for s in lines) == 1, result.stderr
    others = [s for s in lines if not s.startswith(("Error:", "Usage:", "Try "))]
    assert others == [], result.stderr


@pytest.mark.parametrize("name", ["scene.tif", "scene_envi.img", "scene.mat"])
def test_detect_rx_every_format(run, data_dir, tmp_path, name):
    out = tmp_path / "scores.tif"
    result = run("detect", data_dir / name, "-o", out, "--method", "rx", "--tile-size", "32",
                 "--overlap", "8")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr
    with rasterio.open(out) as ds:
        assert (ds.count, ds.height, ds.width) == (1, 40, 44)
        assert ds.dtypes[0] == "float32"
        scores = ds.read(1, masked=True)
        if name != "scene.mat":
            with rasterio.open(data_dir / name) as src:
                assert ds.crs == src.crs
                assert ds.transform.almost_equals(src.transform)
    assert np.isfinite(scores.compressed()).all()


def test_detect_superad_progress_json_and_mask(run, data_dir, tmp_path):
    out, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    result = run("detect", data_dir / "scene.tif", "-o", out, "--preset", "fast", "--steps", "2",
                 "--tile-size", "32", "--overlap", "8", "--device", "cpu", "--progress", "json",
                 "--mask-out", mask, "--far", "0.01", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records, result.stderr
    assert all({"done", "total", "stage"} <= set(r) for r in records)
    assert records[-1]["done"] == records[-1]["total"]
    with rasterio.open(mask) as ds:
        m = ds.read(1)
        assert ds.dtypes[0] == "uint8"
    assert 0 < (m == 1).sum() <= 0.01 * m.size


def test_nan_values_are_nodata_with_a_warning(run, tmp_path, helpers):
    cube, _ = helpers.make_cube(24, 24, 6)
    cube[:, 3, 4] = np.nan
    cube[2, 10, 10] = np.inf
    src = helpers.write_tif(tmp_path / "nan.tif", cube)
    out = tmp_path / "scores.tif"
    result = run("detect", src, "-o", out, "--method", "rx")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        s = ds.read(1, masked=True)
    assert np.ma.getmaskarray(s)[3, 4] or not np.isfinite(s.data[3, 4])
    assert "warning" in result.stderr.lower() and "nan or infinite" in result.stderr.lower()


# --- bad input: one line, exit status 2, no output ------------------------------------


def _tif(tmp_path, helpers, name, rows, cols, bands, nodata=None, fill=None):
    cube, _ = helpers.make_cube(rows, cols, bands)
    if fill is not None:
        cube[:] = fill
    return helpers.write_tif(tmp_path / name, cube, nodata=nodata)


BAD_INPUTS = {
    "missing file": (lambda tp, h: tp / "nope.tif", [], "does not exist"),
    "not a raster": (lambda tp, h: _text(tp / "text.tif"), [], "cannot read"),
    "too few bands (superad)": (lambda tp, h: _tif(tp, h, "two.tif", 20, 20, 2), [],
                                "needs at least 3"),
    "too few bands (rx)": (lambda tp, h: _tif(tp, h, "one.tif", 20, 20, 1), ["--method", "rx"],
                           "needs at least 2"),
    "smaller than the window": (lambda tp, h: _tif(tp, h, "tiny.tif", 4, 4, 6), [],
                                "smaller than the AdaConv window"),
    "no valid pixel": (lambda tp, h: _tif(tp, h, "empty.tif", 20, 20, 6, nodata=-1, fill=-1),
                       ["--method", "rx"], "valid pixel"),
    "bad band spec": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6), ["--bands", "1-x"],
                      "cannot parse band item"),
    "reversed band range": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6), ["--bands", "5-2"],
                            "reversed"),
    "band range selects nothing": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6),
                                   ["--bands", "50-60"], "selects no band"),
    "wavelengths outside the sensor": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6),
                                       ["--bands", "3000-4000nm"], "selects no band"),
    "mask without a rule": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6),
                            ["--mask-out", "{tmp}/mask.tif"], "needs a threshold"),
    "rule without a mask": (lambda tp, h: _tif(tp, h, "ok.tif", 20, 20, 6), ["--far", "0.1"],
                            "only applies with --mask-out"),
}  # fmt: skip


def _text(path):
    path.write_text("this is not a raster\n")
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input(run, tmp_path, helpers, case):
    make, extra, message = BAD_INPUTS[case]
    src = make(tmp_path, helpers)
    out = tmp_path / "scores.tif"
    extra = [a.format(tmp=tmp_path) for a in extra]
    result = run("detect", src, "-o", out, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    _one_error_line(result)
    _no_traceback(result)
    assert not out.exists()
    assert not (tmp_path / "mask.tif").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".scores")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(run, tmp_path, helpers):
    src = _tif(tmp_path, helpers, "locked.tif", 20, 20, 6)
    src.chmod(0)
    result = run("detect", src, "-o", tmp_path / "s.tif")
    assert result.exit_code == 2 and "not readable" in result.stderr
    assert not (tmp_path / "s.tif").exists()


def test_existing_output_is_kept(run, data_dir, tmp_path):
    out = tmp_path / "scores.tif"
    out.write_bytes(b"an earlier result")
    result = run("detect", data_dir / "scene.tif", "-o", out, "--method", "rx")
    assert result.exit_code == 2
    assert "exists; give --overwrite to replace it" in result.stderr  # the flag, not the keyword
    _no_traceback(result)
    assert out.read_bytes() == b"an earlier result"
    with pytest.raises(superad_geo.OutputError, match="give overwrite=True to replace it"):
        superad_geo.detect_file(data_dir / "scene.tif", out, method="rx")
    result = run("detect", data_dir / "scene.tif", "-o", out, "--method", "rx", "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert ds.count == 1


def test_output_folder_missing_or_read_only(run, data_dir, tmp_path, monkeypatch):
    out = tmp_path / "missing" / "scores.tif"
    result = run("detect", data_dir / "scene.tif", "-o", out, "--method", "rx")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "missing" in result.stderr
    assert not out.parent.exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    result = run("detect", data_dir / "scene.tif", "-o", locked / "s.tif", "--method", "rx")
    assert result.exit_code == 2
    assert "not writable" in result.stderr
    assert not (locked / "s.tif").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(run, data_dir, tmp_path):
    out = tmp_path / "scores.tif"
    result = run("detect", data_dir / "scene.tif", "-o", out, "--device", "cuda")
    assert result.exit_code == 2
    assert "CUDA is not available" in result.stderr
    _no_traceback(result)
    assert not out.exists()


def test_runtime_failure_exit_1_traceback_only_with_debug(run, data_dir, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(superad_geo, "detect_file", boom, raising=False)
    out = tmp_path / "scores.tif"
    result = run("detect", data_dir / "scene.tif", "-o", out, "--method", "rx")
    assert result.exit_code == 1
    assert "RuntimeError: the engine broke" in result.stderr
    _no_traceback(result)
    result = run("--debug", "detect", data_dir / "scene.tif", "-o", out, "--method", "rx")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert not out.exists()


# --- the contract with the QGIS plugin and the core -----------------------------------


def test_defaults_come_from_one_place():
    params = {p.name: p for p in cli.commands["detect"].params}
    for name, value in DEFAULTS.items():
        assert params[name].default == value, name
    batch = {p.name: p.default for p in cli.commands["batch"].params}
    assert all(batch[k] == v for k, v in DEFAULTS.items())
    assert set(PRESETS) == set(superad_geo.PRESETS)
    core = inspect.signature(superad_geo.detect_file).parameters
    shared = ("tile_size", "overlap", "preset", "steps", "seed", "device", "method", "workers")
    for name in shared:
        assert core[name].default == DEFAULTS[name], name


def test_help_is_clean(run):
    assert superad_geo.__version__ in run("--version").output
    result = run("--help")
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert command.short_help and "\n" not in command.short_help, name
        assert len(command.short_help) <= 70, name
        assert "\b" in command.help and "Example" in command.help, name
        sub = run(name, "--help")
        assert sub.exit_code == 0 and f"superad-geo {name}" in sub.stdout


def test_envi_header_path_and_roi(run, data_dir, tmp_path):
    import pyogrio.raw
    import shapely

    with rasterio.open(data_dir / "scene.tif") as src:
        t = src.transform
    # the left half of the scene as a polygon in the scene's CRS
    x0, y0 = t * (0, 0)
    x1, y1 = t * (22, 40)
    box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    roi = tmp_path / "roi.geojson"
    pyogrio.raw.write(str(roi), np.array([shapely.to_wkb(box)], dtype=object), [], [],
                      driver="GeoJSON", geometry_type="Polygon", crs="EPSG:32633")  # fmt: skip
    out = tmp_path / "scores.tif"
    result = run("detect", data_dir / "scene_envi.hdr", "-o", out, "--method", "rx",
                 "--roi", roi)  # fmt: skip
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        s = ds.read(1, masked=True)
    assert not np.ma.getmaskarray(s)[:, :21].any()
    assert np.ma.getmaskarray(s)[:, 23:].all()


def test_mask_out_agrees_with_threshold(run, data_dir, tmp_path):
    scores, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    result = run("detect", data_dir / "scene.tif", "-o", scores, "--method", "rx",
                 "--mask-out", mask, "--far", "0.02")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = run("threshold", scores, "-o", tmp_path / "mask2.tif", "--far", "0.02")
    assert result.exit_code == 0, result.output
    with rasterio.open(mask) as a, rasterio.open(tmp_path / "mask2.tif") as b:
        assert np.array_equal(a.read(1), b.read(1))


def test_error_names_the_flag_where_the_core_names_the_keyword(run, data_dir, tmp_path):
    out = tmp_path / "s.tif"
    result = run("detect", data_dir / "scene.mat", "-o", out, "--drop-water-bands")
    assert result.exit_code == 2
    assert "(e.g. --bands '1-100,120-150')" in result.stderr and "bands=" not in result.stderr
    with pytest.raises(superad_geo.BandSelectionError, match=r"e\.g\. bands='1-100,120-150'"):
        superad_geo.detect_file(data_dir / "scene.mat", out, drop_water_bands=True)

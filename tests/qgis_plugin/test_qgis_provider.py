"""The provider in a real QGIS, through ``qgis_process.bin``, with a fake command line.

The plugin is installed from its zip into a fresh profile and enabled (the
``qgis_profile`` fixture), so every test here also checks that the zip installs. The fake
``superad-geo`` logs its arguments, reports progress and copies the input.
"""

from __future__ import annotations

import json

import pytest
import rasterio
from plugin_support import PLUGIN_NAME, json_result, system_path
from superad_geo_qgis import defaults

pytestmark = pytest.mark.qgis

ALGORITHMS = ("superad:detect", "superad:rx", "superad:threshold")


def _calls(log) -> list[list[str]]:
    """The argument lists the fake command line was called with."""
    return [json.loads(line) for line in log.read_text().splitlines()]


def _same_grid(a, b) -> None:
    with rasterio.open(a) as first, rasterio.open(b) as second:
        assert first.crs == second.crs
        assert first.transform == second.transform
        assert (first.width, first.height) == (second.width, second.height)


def test_zip_installs_and_lists_the_algorithms(qgis_profile):
    plugins = qgis_profile.run("plugins")
    assert f"* {PLUGIN_NAME}" in plugins.stdout, plugins.stdout + plugins.stderr
    listed = qgis_profile.run("list")
    assert listed.returncode == 0, listed.stderr
    for algorithm in ALGORITHMS:
        assert algorithm in listed.stdout


@pytest.mark.parametrize(
    ("algorithm", "table"),
    [("superad:detect", defaults.DETECT), ("superad:rx", defaults.RX)]
    + [("superad:threshold", defaults.THRESHOLD)],
)
def test_parameters_mirror_the_defaults_table(qgis_profile, algorithm, table):
    helped = json_result(qgis_profile.run("--json", "help", algorithm))
    parameters = helped["parameters"]
    assert helped["algorithm_details"]["id"] == algorithm
    for key, default in table.items():
        assert key in parameters, f"{algorithm} lacks {key}"
        if not parameters[key]["is_destination"]:
            assert parameters[key]["default_value"] == default, key
        if key in defaults.CHOICES:
            options = parameters[key]["raw_definition"]["options"]
            assert tuple(options) == defaults.CHOICES[key]
    assert "INPUT" in parameters and "OUTPUT" in parameters
    assert helped["algorithm_details"].get("can_cancel", True)


def test_help_text_for_each_algorithm(qgis_profile):
    for algorithm in ALGORITHMS:
        helped = qgis_profile.run("help", algorithm)
        assert helped.returncode == 0
        assert "Typical times" in helped.stdout
        assert "superad-geo" in helped.stdout


def test_detect_builds_the_command_and_reports_progress(qgis_profile, fake_cli, scene, tmp_path):
    log = tmp_path / "calls.jsonl"
    scores, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    env = qgis_profile.env([fake_cli.parent, *system_path()], FAKE_SUPERAD_LOG=str(log))
    parameters = {
        "INPUT": scene,
        "OUTPUT": scores,
        "STEPS": 5,
        "TILE_SIZE": 32,
        "OVERLAP": 8,
        "PRESET": "fast",
        "DEVICE": "cpu",
        "BANDS": "1-10,12",
        "DROP_WATER_BANDS": "true",
        "NODATA": -9999,
        "ROI": scene,
        "MASK_OUT": mask,
        "QUANTILE": 0.99,
        "WORKERS": 2,
        "EXTRA": "--quiet",
    }
    result = json_result(qgis_profile.run_algorithm("superad:detect", parameters, env=env))
    assert result["results"] == {"OUTPUT": str(scores), "MASK_OUT": str(mask)}
    [call] = _calls(log)
    assert call == [
        "detect",
        str(scene),
        "-o",
        str(scores),
        "--method",
        "superad",
        "--preset",
        "fast",
        "--steps=5",
        f"--seed={defaults.DETECT['SEED']}",
        "--tile-size=32",
        "--overlap=8",
        "--bands",
        "1-10,12",
        "--drop-water-bands",
        "--nodata=-9999",
        "--roi",
        str(scene),
        "--device",
        "cpu",
        "--workers=2",
        "--mask-out",
        str(mask),
        "--quantile=0.99",
        "--progress",
        "json",
        "--overwrite",
        "--quiet",
    ]
    log_lines = result["log"]["info"]
    assert any(line.startswith(str(fake_cli)) and "--progress json" in line for line in log_lines)
    assert "Warning: 3 NaN pixels treated as nodata" in log_lines
    _same_grid(scene, scores)


def test_rx_and_threshold_commands(qgis_profile, fake_cli, scene, tmp_path):
    log = tmp_path / "calls.jsonl"
    env = qgis_profile.env([fake_cli.parent, *system_path()], FAKE_SUPERAD_LOG=str(log))
    scores, mask, polygons = tmp_path / "rx.tif", tmp_path / "mask.tif", tmp_path / "a.gpkg"
    json_result(
        qgis_profile.run_algorithm("superad:rx", {"INPUT": scene, "OUTPUT": scores}, env=env)
    )
    parameters = {"INPUT": scores, "OUTPUT": mask, "FAR": 0.001, "VECTOR": polygons}
    result = json_result(qgis_profile.run_algorithm("superad:threshold", parameters, env=env))
    assert result["results"] == {"OUTPUT": str(mask), "VECTOR": str(polygons)}
    rx_call, threshold_call = _calls(log)
    assert rx_call == [
        "detect",
        str(scene),
        "-o",
        str(scores),
        "--method",
        "rx",
        f"--tile-size={defaults.RX['TILE_SIZE']}",
        f"--workers={defaults.RX['WORKERS']}",
        "--progress",
        "json",
        "--overwrite",
    ]
    assert threshold_call == [
        "threshold",
        str(scores),
        "-o",
        str(mask),
        "--far=0.001",
        "--vector",
        str(polygons),
        "--progress",
        "json",
        "--overwrite",
    ]
    _same_grid(scene, mask)


def test_threshold_needs_exactly_one_threshold(qgis_profile, fake_cli, scene, tmp_path):
    env = qgis_profile.env([fake_cli.parent, *system_path()])
    both = {"INPUT": scene, "OUTPUT": tmp_path / "m.tif", "QUANTILE": 0.9, "FAR": 0.1}
    failed = qgis_profile.run_algorithm("superad:threshold", both, env=env)
    assert failed.returncode != 0
    assert "either QUANTILE or FAR" in failed.stdout + failed.stderr
    failed = qgis_profile.run_algorithm(
        "superad:threshold", {"INPUT": scene, "OUTPUT": tmp_path / "m.tif"}, env=env
    )
    assert failed.returncode != 0
    assert "QUANTILE or FAR" in failed.stdout + failed.stderr


def test_missing_executable_says_how_to_install(qgis_profile, scene, tmp_path):
    run = qgis_profile.run_algorithm(
        "superad:rx", {"INPUT": scene, "OUTPUT": tmp_path / "rx.tif"}, path=system_path()
    )
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "superad-geo command line was not found on PATH" in output
    assert "pip install superad-geo" in output
    assert "Processing > Options > Providers > Super-AD" in output
    assert not (tmp_path / "rx.tif").exists()


def test_failure_carries_the_command_line_message(qgis_profile, fake_cli, scene, tmp_path):
    env = qgis_profile.env([fake_cli.parent, *system_path()], FAKE_SUPERAD_MODE="fail")
    run = qgis_profile.run_algorithm(
        "superad:detect", {"INPUT": scene, "OUTPUT": tmp_path / "s.tif"}, env=env
    )
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "superad-geo exited with status 2" in output
    assert "Error: Invalid value for '--bands': band 300 does not exist" in output


def test_executable_from_the_provider_setting(fresh_profile, fake_cli, scene, tmp_path):
    fresh_profile.set_executable(str(fake_cli))
    log = tmp_path / "calls.jsonl"
    env = fresh_profile.env(system_path(), FAKE_SUPERAD_LOG=str(log))
    scores = tmp_path / "rx.tif"
    json_result(
        fresh_profile.run_algorithm("superad:rx", {"INPUT": scene, "OUTPUT": scores}, env=env)
    )
    assert _calls(log)[0][:2] == ["detect", str(scene)]
    _same_grid(scene, scores)

    fresh_profile.ini.write_text(
        fresh_profile.ini.read_text().replace(str(fake_cli), str(tmp_path / "gone")),
        encoding="utf-8",
    )
    run = fresh_profile.run_algorithm("superad:rx", {"INPUT": scene, "OUTPUT": scores}, env=env)
    assert run.returncode != 0
    assert "set in the provider settings" in run.stdout + run.stderr


def test_polygon_region_of_interest(qgis_profile, fake_cli, scene, tmp_path):
    """A GeoJSON file is passed as it is; a layer of a GeoPackage is exported first."""
    import numpy as np
    import shapely
    from pyogrio.raw import write

    square = shapely.box(368300.0, 5809100.0, 368900.0, 5809700.0)
    geojson = tmp_path / "roi.geojson"
    write(
        geojson,
        np.array([shapely.to_wkb(square)], dtype=object),
        [],
        [],
        driver="GeoJSON",
        geometry_type="Polygon",
        crs="EPSG:32633",
    )
    gpkg = tmp_path / "layers.gpkg"
    for layer in ("other", "roi"):
        write(
            gpkg,
            np.array([shapely.to_wkb(square)], dtype=object),
            [],
            [],
            layer=layer,
            driver="GPKG",
            geometry_type="Polygon",
            crs="EPSG:32633",
            append=gpkg.exists(),
        )
    log = tmp_path / "calls.jsonl"
    env = qgis_profile.env([fake_cli.parent, *system_path()], FAKE_SUPERAD_LOG=str(log))
    for roi in (geojson, f"{gpkg}|layername=roi"):
        parameters = {"INPUT": scene, "OUTPUT": tmp_path / "rx.tif", "ROI": roi}
        json_result(qgis_profile.run_algorithm("superad:rx", parameters, env=env))
    direct, exported = (call[call.index("--roi") + 1] for call in _calls(log))
    assert direct == str(geojson)
    assert exported.endswith(".gpkg") and exported != str(gpkg)

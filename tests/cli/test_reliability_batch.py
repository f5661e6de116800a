"""Regression tests of issue 20, items 2 and 3: a batch writes only inside --out-dir, and a
product is one scene, found whatever way it is given, never split into its parts.

docs/reliability.md maps each case to its test.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

import pytest
import rasterio

NAME = "ENMAP01-____L2A-DT0000001867_20220724T104526Z_008_V010302_20230628T165614Z"


def _rows(folder):
    with open(folder / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def _one_error_line(result) -> str:
    lines = [s for s in result.stderr.splitlines() if s.strip() and not s.startswith("Warning")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def _items(path, *features):
    """A STAC ItemCollection of ``(item id, asset href)`` pairs."""
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "stac_version": "1.0.0", "id": item, "geometry": None,
                     "properties": {"datetime": "2022-07-24T10:45:26Z"}, "links": [],
                     "assets": {"image": {"href": href}}}
                    for item, href in features
                ],
            }
        )
    )  # fmt: skip
    return path


@pytest.fixture
def scene(tmp_path, helpers):
    cube, _ = helpers.make_cube(24, 28, 6, seed=1)
    return helpers.write_tif(tmp_path / "scene.tif", cube, nodata=-9999)


@pytest.fixture(scope="module")
def tile(helpers):
    path = helpers.ENMAP / "enmap_potsdam_tile_128_0.tif"
    if not path.exists():
        pytest.skip("shared EnMAP tiles not available")
    return path


# --- 2. nothing is written outside --out-dir ----------------------------------------


def test_a_stac_item_id_never_leads_outside_the_out_dir(run, tmp_path, helpers, scene):
    victim = tmp_path / "victim"
    victim.mkdir()
    cube, _ = helpers.make_cube(24, 28, 12, seed=2)
    precious = helpers.write_tif(victim / "precious.tif", cube)
    before = precious.read_bytes()
    items = _items(tmp_path / "items.json", ("../victim/precious", str(scene)))
    out = tmp_path / "out"
    for extra in ((), ("--overwrite",)):
        result = run("batch", items, "--asset", "image", "--out-dir", out, "--method", "rx",
                     "-q", *extra)  # fmt: skip
        assert result.exit_code == 0, result.stderr
    assert precious.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [
        "___victim_precious.tif", "___victim_precious.tif.json", "manifest.csv"
    ]  # fmt: skip
    assert _rows(out)[0]["item"] == "../victim/precious"


def test_an_id_with_a_slash_is_made_safe_before_any_scene_runs(run, tmp_path, scene):
    items = _items(tmp_path / "items.json", ("a", str(scene)), ("b/c", str(scene) + ".copy"))
    shutil.copy(scene, str(scene) + ".copy")
    dry = run("batch", items, "--asset", "image", "--out-dir", tmp_path / "out", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert [line.split("\t")[2] for line in dry.stdout.splitlines()] == [
        str(tmp_path / "out" / "a.tif"), str(tmp_path / "out" / "b_c.tif")
    ]  # fmt: skip


def test_an_output_that_links_outside_the_out_dir_is_refused(run, tmp_path, scene):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "scene.tif.superad-work").symlink_to(outside, target_is_directory=True)
    result = run("batch", scene, "--out-dir", out, "--method", "rx", "--overwrite")
    assert result.exit_code == 2
    assert "outside --out-dir" in _one_error_line(result)
    assert list(outside.iterdir()) == [] and not (out / "manifest.csv").exists()


# --- 3. a product is one scene; nothing named twice ---------------------------------


def test_a_folder_of_product_folders_and_zips_lists_every_product(run, tmp_path, helpers, tile):
    archive = tmp_path / "archive"
    archive.mkdir()
    for i in range(2):
        helpers.products.make_enmap_product(archive, tile, f"{NAME[:-1]}{i}")
    zipped = helpers.products.make_enmap_product(tmp_path, tile, NAME)
    with zipfile.ZipFile(archive / f"{NAME}.ZIP", "w") as z:
        for part in zipped.iterdir():
            z.write(part, f"{NAME}/{part.name}")
    helpers.products.make_emit(archive / "emit.nc")
    result = run("batch", archive, "--out-dir", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == [
        str(archive / f"{NAME[:-1]}0"), str(archive / f"{NAME[:-1]}1"),
        str(archive / f"{NAME}.ZIP"), str(archive / "emit.nc"),
    ]  # fmt: skip


def test_a_glob_over_a_products_parts_scores_the_product_once(run, tmp_path, helpers, tile):
    product = helpers.products.make_enmap_product(tmp_path, tile, NAME)
    out = tmp_path / "out"
    result = run("batch", str(product / "*"), "--out-dir", out, "--method", "rx", "-q")
    assert result.exit_code == 0, result.stderr
    assert [(r["scene"], r["status"]) for r in _rows(out)] == [(str(product), "ok")]
    with rasterio.open(out / f"{NAME}.tif") as ds:  # read as the product, with its METADATA.XML
        assert json.loads(ds.tags()["SUPERAD_PARAMETERS"])["source"] == NAME


def test_two_items_with_one_href_are_refused_naming_both(run, tmp_path, scene):
    items = _items(tmp_path / "items.json", ("first", str(scene)), ("second", str(scene)))
    result = run("batch", items, "--asset", "image", "--out-dir", tmp_path / "out")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "STAC item 'first'" in line and "STAC item 'second'" in line
    assert not (tmp_path / "out").exists()


def test_one_scene_named_twice_is_refused_naming_both(run, tmp_path, scene):
    listing = tmp_path / "scenes.txt"
    listing.write_text("scene.tif\n")
    for inputs in ((scene, scene), (scene, listing)):
        result = run("batch", *inputs, "--out-dir", tmp_path / "out", "--method", "rx")
        assert result.exit_code == 2
        assert "is named twice" in _one_error_line(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"type": "Catalog", "id": "c", "stac_version": "1.0.0", "links": []}', "STAC Catalog"),
        ('{"type": "Feature", ', "not readable JSON"),
    ],
)
def test_json_that_is_no_item_collection_is_refused_before_any_work(
    run, tmp_path, scene, text, found
):
    document = tmp_path / "catalog.json"
    document.write_text(text)
    result = run("batch", scene, document, "--out-dir", tmp_path / "out", "--method", "rx")
    assert result.exit_code == 2
    assert found in _one_error_line(result)
    assert not (tmp_path / "out").exists()

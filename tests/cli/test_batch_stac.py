"""``superad-geo batch`` over STAC ItemCollections: the real DLR answer and a local one."""

from __future__ import annotations

import csv
import json

import numpy as np
import pystac
import pytest
import rasterio
from rasterio.warp import transform_bounds


def _feature(item_id, href):
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": None,
        "properties": {"datetime": "2022-07-24T10:45:26Z"},
        "links": [],
        "assets": {
            "image": {"href": href, "roles": ["data"]},
            "metadata": {"href": "missing.xml", "roles": ["metadata"]},
        },
    }


@pytest.fixture
def local_items(tmp_path, helpers):
    """Two EnMAP tiles catalogued as an ItemCollection: one relative href, one file:// href."""
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    names = ["enmap_potsdam_tile_128_0.tif", "enmap_potsdam_tile_128_32.tif"]
    for name in names:
        (tiles / name).write_bytes((helpers.ENMAP / name).read_bytes())
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature("potsdam-a", f"tiles/{names[0]}"),
            _feature("potsdam-b", (tiles / names[1]).as_uri()),
        ],
    }
    path = tmp_path / "items.json"
    path.write_text(json.dumps(collection))
    return path, [tiles / n for n in names]


def test_dry_run_lists_the_dlr_items(run, helpers, tmp_path):
    path = helpers.HAD.parent / "products" / "stac" / "enmap-l2a-itemcollection.json"
    if not path.exists():
        pytest.skip("shared STAC files not available")
    features = json.loads(path.read_text())["features"]
    result = run("batch", path, "--asset", "image", "--out-dir", tmp_path / "D", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [line[0] for line in lines] == [f["id"] for f in features]
    assert [line[1] for line in lines] == [
        "/vsicurl/" + f["assets"]["image"]["href"] for f in features
    ]
    assert all(line[2].endswith(f"{f['id']}.tif") for line, f in zip(lines, features, strict=True))
    assert not (tmp_path / "D").exists()  # a dry run writes nothing


def test_local_item_collection_is_scored_by_item_id(run, local_items, tmp_path):
    path, tiles = local_items
    out = tmp_path / "out"
    dry = run("batch", path, "--asset", "image", "--out-dir", out, "--dry-run")
    assert [line.split("\t")[1] for line in dry.stdout.splitlines()] == [str(t) for t in tiles]
    result = run("batch", path, "--asset", "image", "--out-dir", out, "--method", "rx")
    assert result.exit_code == 0, result.output
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["item"], r["status"]) for r in rows] == [("potsdam-a", "ok"), ("potsdam-b", "ok")]
    for row, tile in zip(rows, tiles, strict=True):
        assert row["output"] == str(out / f"{row['item']}.tif")
        with rasterio.open(row["output"]) as scores, rasterio.open(tile) as src:
            assert scores.transform == src.transform and scores.crs == src.crs
            tags = scores.tags()
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
        result_item = pystac.Item.from_file(row["output"] + ".json")
        assert result_item.id == f"{row['item']}-anomalies"
        assert result_item.datetime.isoformat() == "2022-07-24T10:45:26+00:00"
        assert result_item.assets["scores"].href.endswith(f"{row['item']}.tif")
        assert result_item.properties["superad:record"]["SUPERAD_BANDS"] == tags["SUPERAD_BANDS"]
        assert [link.title for link in result_item.links if link.rel == "derived_from"] == [
            row["item"]
        ]
        np.testing.assert_allclose(result_item.bbox, [west, south, east, north], atol=1e-3)


def test_stac_needs_an_existing_asset(run, local_items, tmp_path):
    path, _ = local_items
    missing = run("batch", path, "--out-dir", tmp_path / "o")
    assert missing.exit_code == 2 and "--asset" in missing.stderr
    wrong = run("batch", path, "--asset", "swir", "--out-dir", tmp_path / "o")
    assert wrong.exit_code == 2
    assert "has no asset 'swir'; its assets: image, metadata" in wrong.stderr

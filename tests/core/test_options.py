"""Options are values checked when built: a bad one is refused before any pixel is read."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from superad_geo import DEFAULTS, DetectOptions, Execution, detect, detect_file, tile_plan
from superad_geo.errors import (
    BandSelectionError,
    DeviceError,
    OptionError,
    SuperadGeoError,
    TilingError,
)
from superad_geo.scene.synthetic import make_scene


def _untouchable(block: np.ndarray) -> np.ndarray:
    raise AssertionError("a pixel was read")


@pytest.fixture
def unread_scene():
    """A 200 x 200 x 10 scene whose pixels raise when read."""
    scene, _ = make_scene((200, 200), 10, seed=1)
    lazy = da.from_array(scene.values, chunks=(-1, 100, 100)).map_blocks(
        _untouchable, dtype=scene.dtype, meta=np.array((), dtype=scene.dtype)
    )
    return scene.copy(data=lazy)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"preset": "fats"}, OptionError),
        ({"superpixel_sise": 100}, OptionError),
        ({"method": "rxx"}, OptionError),
        ({"steps": 0}, OptionError),
        ({"seed": 2**64}, OptionError),
        ({"scaling": "median"}, OptionError),
        ({"bands": "1-x"}, BandSelectionError),
        ({"tile_size": 0}, TilingError),
        ({"overlap": -1}, TilingError),
        ({"tile_size": 64, "overlap": 64}, TilingError),  # needs the scene's size
        ({"device": "gpu"}, DeviceError),
        ({"threads": 0}, OptionError),
    ],
)
def test_bad_option_refused_before_any_pixel_is_read(unread_scene, options, error):
    with pytest.raises(error) as raised:
        detect(unread_scene, **options)
    assert isinstance(raised.value, SuperadGeoError)


def test_detect_file_refuses_a_bad_preset_without_writing(unread_scene, tmp_path):
    dst = tmp_path / "s.tif"
    with pytest.raises(OptionError, match="unknown preset 'fats'"):
        detect_file(unread_scene, dst, preset="fats")
    assert list(tmp_path.iterdir()) == []


def test_defaults_are_the_option_values_and_detect_signature():
    import inspect

    assert DEFAULTS["tile_size"] == DetectOptions().tile_size == 512
    assert DEFAULTS["workers"] == Execution().workers == 1
    signature = inspect.signature(detect).parameters
    for name, value in DEFAULTS.items():
        assert signature[name].default == value, name


def test_the_detector_decides_the_tiling(unread_scene):
    superad, tiles = tile_plan(unread_scene, DetectOptions(tile_size=128))
    assert (superad.overlap, superad.halo, superad.scaling) == (64, 40, "minmax")
    assert tiles[0].padded.height == 128 + 40
    rx, tiles = tile_plan(unread_scene, DetectOptions(method="rx", tile_size=128))
    assert (rx.overlap, rx.halo) == (0, 0)
    assert tiles[0].padded == tiles[0].window
    coarse, _ = tile_plan(
        unread_scene, DetectOptions(params={"superpixel_size": 400}, tile_size=128)
    )
    assert coarse.halo == 60


def test_tiles_scored_by_one_scene_network_do_not_overlap(unread_scene):
    """Tiles that train their own networks overlap to blend their seams; tiles of one scene
    network need only the halo, unless the overlap is chosen."""
    tiling = {}
    for training, overlap in (("tile", None), ("scene", None), ("scene", 16)):
        options = DetectOptions(training=training, overlap=overlap, tile_size=128)
        resolved, tiles = tile_plan(unread_scene, options)
        tiling[training, overlap] = (resolved.overlap, len(tiles))
    assert tiling == {("tile", None): (64, 9), ("scene", None): (0, 4), ("scene", 16): (16, 4)}
    large, _ = make_scene((257, 257), 3, seed=1)  # above 256²: "auto" trains one network
    assert tile_plan(large, DetectOptions())[0].overlap == 0
    assert tile_plan(large, DetectOptions(training="tile"))[0].overlap == 64


def test_every_registered_detector_fills_the_seam():
    from superad_geo.detectors import DETECTORS, Detector

    assert set(DETECTORS) == {"superad", "rx"}
    for name, detector in DETECTORS.items():
        assert isinstance(detector, Detector) and detector.name == name


def test_record_is_the_options_fields():
    record = DetectOptions(bands=[1, 2, 3], tile_size=(64, 32), roi="/data/roi.gpkg").record()
    assert record["bands"] == [1, 2, 3]
    assert record["tile_size"] == [64, 32]
    assert record["roi"] == "roi.gpkg"
    assert set(record) == {
        "method", "tile_size", "overlap", "halo", "bands", "drop_water_bands", "nodata",
        "roi", "scaling",
    }  # fmt: skip

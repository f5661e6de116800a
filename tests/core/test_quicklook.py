"""Quick-look pictures: the score stretch that shows every target, and the map axes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import superad_geo
from superad_geo.evaluation.map_axes import map_frame
from superad_geo.evaluation.overlay import background_level, score_overlay


@pytest.fixture(scope="module")
def demo_rx():
    """The demo scene (``examples/make_demo_scene.py``'s call), its truth and its RX scores."""
    scene, truth = superad_geo.make_scene((128, 128), 60, seed=0)
    return scene, truth.values.astype(bool), superad_geo.detect(scene, method="rx").values


def test_every_demo_target_is_drawn_bright(demo_rx):
    _, truth, scores = demo_rx
    overlay = score_overlay(scores)
    labels, n = ndimage.label(truth, structure=np.ones((3, 3)))
    assert n == 8
    peak_rank = ndimage.maximum(overlay.norm(scores), labels, np.arange(1, n + 1))
    drawn = ndimage.maximum(overlay.rgba[..., 3], labels, np.arange(1, n + 1))
    # the weakest target (RX 135 against 2976 at the strongest) is drawn, in the bright half
    assert drawn.min() == 1.0 and peak_rank.min() > 0.5
    assert overlay.rgba[..., 3][~truth].mean() < 0.01  # at most 1 % of the background
    brightness = overlay.rgba[..., :3].max(axis=-1)
    assert brightness[overlay.rgba[..., 3] == 1].min() > 0.5  # no drawn pixel is dark


def test_background_level_holds_where_anomalies_cover_more_than_one_percent():
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 1.0, 10_000)
    scores[:500] = rng.uniform(6.0, 10.0, 500)  # 5 % anomalous, 6 to 10 sigma
    level = background_level(scores)
    assert level < 6.0 < np.percentile(scores, 99)  # the 99th percentile would hide some


def test_map_frame_is_the_scene_grid(demo_rx):
    scene, _, _ = demo_rx
    frame = map_frame(scene, 128, 128)
    left, bottom, right, top = scene.rio.bounds()
    assert frame.extent == pytest.approx((left, right, bottom, top))
    assert frame.transform == scene.rio.transform()
    assert frame.xlabel == "easting (m) — EPSG:32633 (WGS 84 / UTM zone 33N)"
    assert frame.ylabel == "northing (m)"
    no_crs = map_frame(np.zeros((3, 5, 7)), 5, 7)
    assert no_crs.extent == (0.0, 7, 5, 0.0) and no_crs.xlabel == "column"

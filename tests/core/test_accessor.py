"""The ``.superad`` accessor: ``scene.superad.detect()`` and ``.rx()`` are ``detect``."""

from __future__ import annotations

import numpy as np
import xarray as xr

import superad_geo


def test_rx_is_detect_with_method_rx():
    scene, _ = superad_geo.make_scene((48, 40), 16, seed=3)
    scores = scene.superad.rx()
    expected = superad_geo.detect(scene, method="rx")
    assert isinstance(scores, xr.DataArray) and scores.dims == ("y", "x")
    np.testing.assert_array_equal(scores.values, expected.values)
    assert scores.rio.crs == scene.rio.crs and scores.rio.transform() == scene.rio.transform()


def test_detect_takes_the_options_of_detect():
    scene, _ = superad_geo.make_scene((32, 32), 12, seed=4)
    options = {"preset": "fast", "steps": 3, "seed": 7, "bands": "1-10"}
    scores = scene.superad.detect(**options)
    np.testing.assert_array_equal(scores.values, superad_geo.detect(scene, **options).values)
    assert '"bands": "1-10"' in scores.attrs["parameters"]

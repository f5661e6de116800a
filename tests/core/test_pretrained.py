"""The pretrained network the ``fast`` preset starts from: mapped to any band count, read
from the package alone, refused where the bands cannot be mapped (the preset then
trains from the seed and says so)."""

import json
import socket

import numpy as np
import pytest
import torch

from superad_geo import detect, score_cube
from superad_geo.detectors import get_detector
from superad_geo.errors import InputError
from superad_geo.model.presets import resolve_params
from superad_geo.model.pretrained import (
    GRID_BANDS,
    MIN_BANDS,
    WEIGHTS,
    band_grid_matrix,
    pretrained_start,
    weights_identity,
)
from superad_geo.model.training import new_network
from superad_geo.options import DetectOptions
from superad_geo.scene.synthetic import make_scene

SHORT = {"steps": 3, "device": "cpu"}


@pytest.fixture
def offline(monkeypatch):
    """No socket can connect while the test runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("the pretrained network must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("bands", [MIN_BANDS, 102, 205, 426])
def test_the_first_layer_sees_the_grid_and_the_last_layer_maps_back(bands):
    """``pinv(M) · M`` is the identity up to 200 bands: a network that gives back the grid
    spectrum gives back the cube's; each grid band is a convex mix of the cube's."""
    to_grid = band_grid_matrix(bands)
    assert to_grid.shape == (GRID_BANDS, bands)
    np.testing.assert_allclose(to_grid.sum(axis=1), 1.0)
    assert (to_grid >= 0).all()
    spectrum = np.random.default_rng(bands).random(bands)
    back = np.linalg.pinv(to_grid) @ (to_grid @ spectrum)
    if bands <= GRID_BANDS:
        np.testing.assert_allclose(back, spectrum, atol=1e-9)
    else:  # more bands than the grid: what the grid keeps of the spectrum, least squares
        np.testing.assert_allclose(to_grid @ back, to_grid @ spectrum, atol=1e-9)


def test_the_packaged_weights_load_offline_and_fit_any_mappable_band_count(offline):
    assert WEIGHTS.parent.parent.name == "model" and WEIGHTS.stat().st_size < 2_000_000
    raw = torch.load(WEIGHTS, weights_only=True)
    assert raw["embed_in.weight"].shape[1] == GRID_BANDS
    on_grid = pretrained_start(GRID_BANDS)
    for name, tensor in raw.items():  # on the grid itself the mapping changes nothing
        torch.testing.assert_close(on_grid[name], tensor, rtol=1e-5, atol=1e-6)
    options = resolve_params("fast")
    for bands in (MIN_BANDS, 224):
        network = new_network([0], bands, options, torch.device("cpu"), pretrained_start(bands))
        assert network.head_out.out_channels == bands
    assert weights_identity().startswith("synthetic-200 sha256:")


def test_too_few_bands_are_refused_and_the_preset_falls_back_to_the_seed(offline):
    with pytest.raises(InputError, match=f"at least {MIN_BANDS} bands .* the cube has 5"):
        pretrained_start(5)
    cube = make_scene((24, 24), 5, seed=5)[0].values
    fast = score_cube(cube, preset="fast", seed=3, **SHORT)
    np.testing.assert_array_equal(
        fast, score_cube(cube, preset="fast", seed=3, warm_start=False, **SHORT)
    )
    assert not np.array_equal(fast, score_cube(cube, preset="fast", seed=4, **SHORT))


def test_the_warm_start_is_deterministic_and_its_own_start(offline):
    """From the pretrained network the seed no longer matters; from the seed it does."""
    cube = make_scene((24, 24), 60, seed=5)[0].values
    warm = score_cube(cube, preset="fast", seed=3, **SHORT)
    np.testing.assert_array_equal(warm, score_cube(cube, preset="fast", seed=3, **SHORT))
    np.testing.assert_array_equal(warm, score_cube(cube, preset="fast", seed=4, **SHORT))
    assert not np.array_equal(
        warm, score_cube(cube, preset="fast", seed=3, warm_start=False, **SHORT)
    )


def test_the_run_record_and_the_fingerprint_name_the_start():
    scene = make_scene((40, 40), 60, seed=2)[0]
    narrow = make_scene((40, 40), 5, seed=2)[0]
    grid = {"preset": "fast", "steps": 2, "tile_size": 40, "threads": 1}
    warm = json.loads(detect(scene, **grid).attrs["parameters"])
    cold = json.loads(detect(narrow, **grid).attrs["parameters"])
    default = json.loads(detect(scene, **{**grid, "preset": "default"}).attrs["parameters"])
    assert warm["start_used"] == weights_identity()
    assert cold["start_used"] == (
        f"seed (the pretrained network needs at least {MIN_BANDS} bands to map onto its "
        f"{GRID_BANDS}-band grid, the cube has 5)"
    )
    assert default["start_used"] == "seed"

    superad = get_detector("superad")
    assert superad.fingerprint(DetectOptions(preset="fast"))["pretrained"] == weights_identity()
    assert "pretrained" not in superad.fingerprint(DetectOptions(preset="default"))

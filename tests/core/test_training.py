"""score_cube: the public engine API."""

import numpy as np
import pytest
import torch

from superad_geo import score_cube, score_cubes
from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import new_network, train_and_score, train_networks


def _cube(seed=0, bands=12, height=24, width=20):
    rng = np.random.default_rng(seed)
    background = rng.normal(1000, 20, (bands, 1, 1)) + rng.normal(0, 5, (bands, height, width))
    background[:, 10:12, 8:10] += rng.normal(400, 50, (bands, 1, 1))  # an implanted target
    return background.astype(np.float32)


def test_returns_float32_scores_and_is_deterministic():
    cube = _cube()
    calls = []
    first = score_cube(
        cube, steps=6, seed=3, device="cpu", progress=lambda s, t: calls.append((s, t))
    )
    second = score_cube(cube, steps=6, seed=3, device="cpu")
    assert first.dtype == np.float32 and first.shape == cube.shape[1:]
    np.testing.assert_array_equal(first, second)
    assert calls == [(s, 6) for s in range(1, 7)]
    assert not np.array_equal(first, score_cube(cube, steps=6, seed=4, device="cpu"))


def test_invalid_pixels_are_nan_and_do_not_change_the_valid_ones_scale():
    cube = _cube()
    mask = np.ones(cube.shape[1:], dtype=bool)
    mask[:, :3] = False
    cube_with_nodata = cube.copy()
    cube_with_nodata[:, :, :3] = -9999
    scores = score_cube(cube_with_nodata, steps=4, mask=mask, device="cpu")
    assert np.isnan(scores[:, :3]).all() and np.isfinite(scores[:, 3:]).all()
    cube_with_nan = cube.copy()
    cube_with_nan[2, 5, 5] = np.nan
    assert np.isnan(score_cube(cube_with_nan, steps=2, device="cpu")[5, 5])


def test_scaling_argument_replaces_the_cube_min_max():
    cube = _cube()
    own = score_cube(cube, steps=3, device="cpu")
    given = score_cube(cube, steps=3, device="cpu", scaling=(float(cube.min()), float(cube.max())))
    np.testing.assert_array_equal(own, given)
    other = score_cube(cube, steps=3, device="cpu", scaling=(0.0, 4000.0))
    assert not np.array_equal(own, other)


def test_the_implanted_target_scores_highest():
    scores = score_cube(_cube(1), steps=40, device="cpu", superpixel_size=60)
    target = scores[10:12, 8:10].min()
    assert (scores > target).mean() < 0.02


def test_bad_input_raises_clear_errors():
    with pytest.raises(InputError, match="band, y, x"):
        score_cube(np.zeros((4, 4)))
    with pytest.raises(InputError, match="smaller than the 5×5"):
        score_cube(np.zeros((3, 4, 30), dtype=np.float32))
    with pytest.raises(NoValidPixelsError):
        score_cube(np.full((3, 8, 8), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="unknown parameter"):
        score_cube(_cube(), steps=1, learning_rate=0.1)


def test_presets():
    reference = resolve_params("reference")
    assert (
        reference["n_segments"],
        reference["compactness"],
        reference["kernel"],
        reference["window"],
        reference["steps"],
    ) == (100, 0.01, 3, 5, 1000)
    assert resolve_params("default", lr=0.01)["lr"] == 0.01
    with pytest.raises(ValueError, match="unknown preset"):
        resolve_params("best")


def test_batched_training_equals_one_by_one():
    cubes = [_cube(seed, height=24, width=20) for seed in (0, 1, 2)]
    cubes[2] = cubes[2] * np.linspace(0.5, 1.5, 20, dtype=np.float32)  # other superpixels
    mask = np.ones((24, 20), dtype=bool)
    mask[:5, :4] = False
    options = {"steps": 6, "device": "cpu", "superpixel_size": 40, "scaling": (900.0, 1500.0)}
    together = score_cubes(cubes, seed=[0, 1, 2], masks=[None, mask, None], **options)
    for index, (cube, got) in enumerate(zip(cubes, together, strict=True)):
        alone = score_cube(cube, seed=index, mask=mask if index == 1 else None, **options)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(alone))
        np.testing.assert_allclose(got, alone, rtol=2e-4, atol=1e-5 * np.nanmax(alone))


def test_batched_cubes_must_share_a_shape():
    with pytest.raises(InputError, match="share one shape"):
        score_cubes([_cube(), _cube(height=30)], steps=1)


def test_deterministic_with_several_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        cube = _cube(3, height=96, width=96)
        first = score_cube(cube, steps=4, device="cpu", superpixel_size=50)
        second = score_cube(cube, steps=4, device="cpu", superpixel_size=50)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(first, second)


def test_a_warm_start_continues_the_network_it_is_given():
    """Starting from a network's weights is deterministic and starts from exactly them."""
    options = resolve_params("default", steps=3)
    cube, other = prepare_cube(_cube(0), options), prepare_cube(_cube(5), options)
    cpu = torch.device("cpu")
    fresh = new_network([7], 12, options, cpu).state_dict()
    from_seed = train_and_score([cube], options, seeds=[7], device=cpu)
    from_weights = train_and_score([cube], options, seeds=[0], device=cpu, start=fresh)
    np.testing.assert_array_equal(from_weights, from_seed)
    side_by_side = train_and_score([cube, cube], options, seeds=[0, 1], device=cpu, start=fresh)
    for got in side_by_side:  # grouped convolutions round differently
        np.testing.assert_allclose(got, from_seed[0], rtol=2e-4, atol=1e-5 * from_seed.max())

    trained, _ = train_networks([other], options, seeds=[2], device=cpu)
    warm = train_and_score([cube], options, seeds=[0], device=cpu, start=trained.state_dict())
    again = train_and_score([cube], options, seeds=[0], device=cpu, start=trained.state_dict())
    np.testing.assert_array_equal(warm, again)
    assert not np.array_equal(warm, from_seed)

    with pytest.raises(InputError, match="for 12 bands, the cube has 8"):
        new_network([0], 8, options, cpu, start=fresh)

"""superad_geo.evaluation.implant: targets of known size and abundance in a scene."""

import numpy as np
import pytest

from superad_geo.evaluation.implant import (
    STRESS_LAYOUT,
    implant_targets,
    noise_level,
    resample_spectrum,
)


def _scene(seed=0, shape=(12, 100, 100)):
    rng = np.random.default_rng(seed)
    ground = np.linspace(100.0, 300.0, shape[0])[:, None, None]
    return (ground + rng.normal(0.0, 2.0, shape)).astype(np.float32)


def test_every_target_has_its_size_and_they_keep_apart():
    cube = _scene()
    avoid = np.zeros(cube.shape[1:], dtype=bool)
    avoid[40:45, 40:45] = True
    implant = implant_targets(cube, np.ones(5), abundance=1.0, seed=3, avoid=avoid)
    expected = [pixels for _, pixels, copies in STRESS_LAYOUT for _ in range(copies)]
    assert [int((implant.labels == i + 1).sum()) for i in range(len(expected))] == expected
    assert not (implant.labels[38:47, 38:47] > 0).any()  # 2-pixel gap around what to avoid
    assert implant.size_mask("blob-4").sum() == 12 and implant.size_mask("cluster-200").sum() == 200


def test_linear_mixing_at_the_abundance_and_nothing_outside():
    cube = _scene(1)
    spectrum = np.linspace(300.0, 100.0, 40)  # resampled to 12 bands
    implant = implant_targets(cube, spectrum, abundance=[1.0, 0.2], seed=0)
    outside = implant.labels == 0
    np.testing.assert_array_equal(implant.cube[:, outside], cube[:, outside])
    foreign = resample_spectrum(spectrum, 12)
    assert [t.abundance for t in implant.targets[:3]] == [1.0, 0.2, 1.0]
    by_abundance = {
        a: np.isin(
            implant.labels, [i + 1 for i, t in enumerate(implant.targets) if t.abundance == a]
        )
        for a in (1.0, 0.2)
    }
    # abundance 1: the foreign spectrum plus noise of the scene's level (σ = 2)
    full = implant.cube[:, by_abundance[1.0]]
    np.testing.assert_allclose(full.mean(axis=1), foreign, atol=0.5)
    np.testing.assert_allclose(full.std(axis=1), 2.0, rtol=0.15)
    mixed = by_abundance[0.2]
    expected = 0.8 * cube[:, mixed] + 0.2 * foreign[:, None]
    assert np.abs(implant.cube[:, mixed] - expected).max() < 0.2 * 6 * 2.0


def test_same_seed_same_implant_and_noise_of_the_scenes_level():
    cube = _scene(2)
    a = implant_targets(cube, np.ones(3), abundance=0.5, seed=11)
    b = implant_targets(cube, np.ones(3), abundance=0.5, seed=11)
    c = implant_targets(cube, np.ones(3), abundance=0.5, seed=12)
    np.testing.assert_array_equal(a.cube, b.cube)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    np.testing.assert_allclose(noise_level(cube), 2.0, rtol=0.1)


def test_a_layout_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        implant_targets(_scene(shape=(4, 12, 12)), np.ones(4), abundance=1.0, seed=0)

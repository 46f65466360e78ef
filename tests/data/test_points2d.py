"""The 2-D distributions have the shapes their names promise, and modes are counted as defined."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.data.points2d import (
    DISTRIBUTIONS,
    RING_RADIUS,
    check_drawn_points,
    covered_modes,
    modes,
    sample_points,
    spread_drawing,
)


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_every_distribution_gives_finite_repeatable_points(name):
    points = sample_points(name, 300, seed=3)
    assert points.shape == (300, 2) and points.dtype == np.float32
    assert np.all(np.isfinite(points))
    np.testing.assert_array_equal(points, sample_points(name, 300, seed=3))
    assert not np.array_equal(points, sample_points(name, 300, seed=4))


def test_ring_points_lie_on_eight_modes_of_radius_two():
    ring = modes("ring")
    assert ring.centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), RING_RADIUS, rtol=1e-6)
    points = sample_points("ring", 4000)
    assert abs(np.linalg.norm(points, axis=1).mean() - RING_RADIUS) < 0.05
    assert covered_modes(points, ring, min_share=1 / 32) == (8, pytest.approx(0.99, abs=0.01))


def test_only_the_mixtures_have_modes():
    assert len(modes("grid").centres) == 25
    assert modes("moons") is None and modes("spiral") is None


def test_a_mode_is_covered_by_enough_points_within_three_sigma():
    ring = modes("ring")
    near = np.repeat(ring.centres[:3], [50, 50, 2], axis=0) + 2 * ring.std * np.array([1.0, 0.0])
    far = np.zeros((10, 2), np.float32)  # the ring's centre: no mode within 3σ
    covered, quality = covered_modes(np.concatenate([near, far]).astype(np.float32), ring, 1 / 32)
    # The third mode holds 2 of 112 points, less than 1/32 of them: not covered.
    assert covered == 2
    assert quality == pytest.approx(102 / 112)


def test_too_few_drawn_points_are_refused_with_the_count():
    with pytest.raises(ValueError, match="draw at least 50 points; got 12"):
        check_drawn_points(np.zeros((12, 2)))
    with pytest.raises(ValueError, match="shape"):
        check_drawn_points(np.zeros((60, 3)))
    bad = np.zeros((60, 2))
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        check_drawn_points(bad)
    assert check_drawn_points([[0.5, 1.0]] * 50).shape == (50, 2)


def test_a_drawing_is_spread_into_a_density_close_to_it():
    stroke = np.stack([np.linspace(-1, 1, 60), np.zeros(60)], axis=1).astype(np.float32)
    points = spread_drawing(stroke, 2000, seed=0)
    assert points.shape == (2000, 2)
    assert np.abs(points[:, 1]).max() < 0.3  # 2 % of the stroke's length per σ
    assert points[:, 1].std() > 0

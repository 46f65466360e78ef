"""The display arrays behind the image views: filter normalisation, tiling, paired rows."""

import numpy as np
import pytest

from unsuplab.viz.images import filters_as_images, normalise, paired_rows, symmetric, tile


def test_each_filter_fills_the_grey_range_with_zero_at_mid_grey():
    weights = np.random.default_rng(0).normal(size=(5, 4, 4))
    weights[2] *= 100.0
    weights[:, 1, 1] = 0.0
    images = filters_as_images(weights)
    assert images.shape == weights.shape
    for image in images:
        assert image.min() >= 0.0 and image.max() <= 1.0
        assert np.abs(image - 0.5).max() == pytest.approx(0.5)
        assert image[1, 1] == pytest.approx(0.5)


def test_empty_stacks_normalise_to_empty_stacks():
    # A lesson can have no units of a kind yet; the panel must stay blank, not raise.
    for rule in ("filter", "symmetric", "unit"):
        assert normalise(np.zeros((0, 3, 3)), rule).shape == (0, 3, 3)
    assert symmetric(np.zeros((0, 2, 2))).shape == (0, 2, 2)


def test_tile_puts_image_k_at_row_k_div_columns():
    images = np.arange(6, dtype=np.float32)[:, None, None] * np.ones((6, 2, 3), np.float32)
    out = tile(images, columns=4, pad=1, fill=-1.0)
    assert out.shape == (2 * 3 + 1, 4 * 4 + 1)
    assert out[1 + 3, 1 + 4] == 5.0  # image 5: row 1, column 1
    assert out[0, 0] == -1.0 and out[1 + 3, 1 + 2 * 4] == -1.0  # separator, empty slot


def test_paired_rows_keep_the_rows_in_order():
    rows = {"input": np.zeros((3, 2, 2)), "reconstruction": np.ones((3, 2, 2))}
    out = paired_rows(rows, pad=1, fill=0.5)
    assert out.shape == (2 * 3 + 1, 3 * 3 + 1)
    assert (out[1:3, 1:3] == 0.0).all() and (out[4:6, 1:3] == 1.0).all()


def test_grids_avoid_empty_tiles_when_a_near_square_shape_exists():
    from unsuplab.viz.images import grid_shape

    assert grid_shape(32) == (4, 8)
    assert grid_shape(196) == (14, 14)
    assert grid_shape(100) == (10, 10)
    assert grid_shape(7) == (3, 3)  # a prime: the square grid with a partial row
    assert grid_shape(10, columns=10) == (1, 10)

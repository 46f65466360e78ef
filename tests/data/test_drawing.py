"""A drawing becomes a model input framed like the data set: MNIST's 20x20 box centred by mass in
28x28, scikit-learn's digits filling 8x8; never the wrong shape or range."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.data import load_dataset
from unsuplab.data.drawing import (
    MNIST,
    add_noise,
    check_model_image,
    frame_digit,
    model_input,
    resize_area,
)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """In pixel-index coordinates, as MNIST's centring measures it."""
    ys, xs = np.indices(image.shape)
    mass = image.sum()
    return float((ys * image).sum() / mass), float((xs * image).sum() / mass)


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def canvas_with_l(top: int, left: int, size: int = 280) -> np.ndarray:
    """An "L" (a lopsided stroke: its mass is not at its box's centre) on a large canvas."""
    canvas = np.zeros((size, size), np.float32)
    canvas[top : top + 120, left : left + 12] = 1.0
    canvas[top + 108 : top + 120, left : left + 70] = 1.0
    return canvas


def test_an_off_centre_stroke_comes_out_centred_by_mass_in_a_20_pixel_box():
    image = model_input(canvas_with_l(top=10, left=190, size=320), (28, 28))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    cy, cx = centre_of_mass(image)
    # The mass sits where MNIST's does (pixel 14, 14), not where the stroke was drawn.
    assert abs(cy - MNIST.centre) < 0.5 and abs(cx - MNIST.centre) < 0.5
    height, width = ink_extent(image)
    # The box's long side is 20 pixels (21 touched when it lands between pixels), aspect kept.
    assert height in (20, 21) and width <= 13
    assert image.max() > 0.9  # the stroke's core stays full ink after shrinking


def test_the_same_stroke_anywhere_on_the_canvas_gives_the_same_input():
    first = model_input(canvas_with_l(top=5, left=5), (28, 28))
    second = model_input(canvas_with_l(top=150, left=200), (28, 28))
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_a_wide_stroke_fits_the_box_by_its_width():
    canvas = np.zeros((200, 400), np.float32)
    canvas[90:110, 20:380] = 1.0  # a dash 360 wide, 20 high
    height, width = ink_extent(model_input(canvas, (28, 28)))
    assert width in (20, 21) and height <= 3


@pytest.mark.parametrize(
    "name, scale, likeness",
    [
        ("mnist-sample", 10, 0.9),
        # The digits' strokes are widened for the pad's thin brush, so a digit of the data set itself
        # comes back a little bolder than it went in.
        ("digits", 30, 0.85),
    ],
)
def test_a_data_set_digit_drawn_large_comes_back_as_itself(name, scale, likeness):
    """The framing is the data set's own: its digits, enlarged and moved, are found again."""
    data = load_dataset(name)
    h, w = data.image_shape
    correlations = []
    for image in data.test_images[:40]:
        canvas = np.zeros((h * scale + 90, w * scale + 50), np.float32)
        canvas[60 : 60 + h * scale, 10 : 10 + w * scale] = np.kron(image, np.ones((scale, scale)))
        prepared = model_input(canvas, (h, w))
        assert prepared.shape == (h, w)
        correlations.append(np.corrcoef(prepared.ravel(), image.ravel())[0, 1])
    assert np.mean(correlations) > likeness


def test_digits_fill_the_8x8_frame_top_to_bottom_like_scikit_learns():
    image = model_input(canvas_with_l(top=40, left=60), (8, 8))
    assert image.shape == (8, 8) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert ink_extent(image)[0] == 8
    assert abs(centre_of_mass(image)[1] - 3.5) < 0.75


def test_other_shapes_get_mnist_framing_resized():
    image = model_input(canvas_with_l(top=40, left=60), (14, 14))
    assert image.shape == (14, 14) and image.dtype == np.float32


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280)),
        np.full((280, 280), 0.05),  # a faint haze (an eraser's fringe) is not a digit
    ],
)
def test_an_empty_canvas_gives_nothing_to_send(canvas):
    assert model_input(canvas, (28, 28)) is None


def test_whatever_is_drawn_the_input_has_the_right_shape_and_range():
    rng = np.random.default_rng(0)
    for trial in range(60):
        size = rng.integers(1, 300, size=2)
        canvas = np.zeros(size)
        for _ in range(rng.integers(1, 4)):
            y0, x0 = rng.integers(0, size)
            y1, x1 = y0 + rng.integers(1, 80), x0 + rng.integers(1, 80)
            canvas[y0:y1, x0:x1] = rng.uniform(0.2, 3.0)  # values beyond 1 are clipped
        shape = [(28, 28), (8, 8), (16, 12)][trial % 3]
        image = model_input(canvas, shape)
        check_model_image(image, shape)
    dot = np.zeros((280, 280))
    dot[100, 200] = 1.0  # a single touched pixel fills the box; still a valid input
    check_model_image(model_input(dot, (28, 28)), (28, 28))


@pytest.mark.parametrize(
    "canvas, message",
    [
        (np.zeros((4, 4, 3)), "2-D"),
        (np.zeros((0, 5)), "2-D"),
        (np.full((5, 5), np.nan), "non-finite"),
    ],
)
def test_a_broken_canvas_is_refused(canvas, message):
    with pytest.raises(ValueError, match=message):
        model_input(canvas, (28, 28))


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((28, 27), np.float32), "shape"),
        (np.zeros((28, 28), np.float64), "float32"),
        (np.full((28, 28), 1.5, np.float32), r"\[0, 1\]"),
        (np.full((28, 28), np.nan, np.float32), r"\[0, 1\]"),
        ([[0.0]], "shape"),
    ],
)
def test_check_model_image_refuses_what_the_model_must_not_get(image, message):
    with pytest.raises(ValueError, match=message):
        check_model_image(image, (28, 28))


def test_resize_area_keeps_the_mean_and_the_range():
    image = np.random.default_rng(1).random((32, 32))
    small = resize_area(image, (8, 8))
    assert small.shape == (8, 8)
    assert abs(small.mean() - image.mean()) < 1e-9
    np.testing.assert_allclose(small[0, 0], image[:4, :4].mean())


def test_frame_digit_keeps_a_lopsided_digit_inside_the_frame():
    crop = np.zeros((40, 40))
    crop[:, :2] = 1.0  # all the mass at the left edge of a wide box
    crop[0, :] = 0.01
    framed = frame_digit(crop, MNIST)
    assert abs(framed.sum() - crop.sum() * (20 / 40) ** 2) < 1e-6  # no ink lost over the edge


def test_add_noise_uses_the_lessons_corruption_with_a_repeatable_pattern():
    clean = model_input(canvas_with_l(top=30, left=30), (28, 28))
    masked = add_noise(clean, "masking", 0.25, seed=3)
    assert masked.shape == clean.shape and masked.dtype == np.float32
    np.testing.assert_array_equal(masked, add_noise(clean, "masking", 0.25, seed=3))
    assert not np.array_equal(masked, add_noise(clean, "masking", 0.25, seed=4))
    assert np.all(masked <= clean) and masked.sum() < clean.sum()  # masking only removes ink
    for kind in ("gaussian", "salt-and-pepper"):
        noisy = add_noise(clean, kind, 0.25, seed=0)
        check_model_image(noisy, (28, 28))
        assert not np.array_equal(noisy, clean)

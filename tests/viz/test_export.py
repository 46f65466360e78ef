"""`write_pictures` turns the picture panels of a snapshot into PNGs, without Qt."""

from __future__ import annotations

import numpy as np
from PIL import Image

from unsuplab.core.payloads import Bars, Field, Frame, Matrix
from unsuplab.viz.export import write_pictures


def read(path) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"))


def test_a_frame_is_written_in_colour_enlarged_with_crisp_pixels(tmp_path):
    image = np.zeros((10, 10, 3))
    image[9, 4] = (1.0, 0.5, 0.0)
    written = write_pictures({"game": Frame("Breakout", image)}, tmp_path)
    assert [p.name for p in written] == ["game.png"]
    pixels = read(written[0])
    assert pixels.shape[0] == pixels.shape[1] >= 300
    scale = pixels.shape[0] // 10
    cell = pixels[9 * scale:10 * scale, 4 * scale:5 * scale]
    assert np.all(cell == (255, 128, 0))  # every pixel of the enlarged square, no blur
    assert np.all(pixels[:9 * scale] == 0)


def test_a_matrix_and_a_field_are_written_as_grey_values(tmp_path):
    heat = np.zeros((4, 6))
    heat[0] = 1.0  # row 0 is the lowest y: the bottom of the picture
    payloads = {
        "confusion": Matrix("Confusion", np.array([[8.0, 0.0], [2.0, 4.0]]), ["a", "b"], ["a", "b"]),
        "field": Field("D(x)", heat, (0.0, 6.0, 0.0, 4.0), {}),
        "q": Bars("Q", ["a"], {"Q": np.ones(1)}),  # a chart: left to `shot`
    }
    written = {p.stem: read(p)[:, :, 0] for p in write_pictures(payloads, tmp_path)}
    assert set(written) == {"confusion", "field"}
    matrix = written["confusion"]
    half = matrix.shape[0] // 2
    assert (matrix[0, 0], matrix[0, -1], matrix[-1, 0], matrix[-1, -1]) == (255, 0, 64, 128)
    assert matrix.shape == (2 * half, 2 * half)
    field = written["field"]
    assert field.shape[1] / field.shape[0] == 1.5
    assert np.all(field[-1] == 255) and np.all(field[0] == 0)

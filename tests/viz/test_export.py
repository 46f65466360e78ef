"""`write_pictures` turns the picture panels of a snapshot into PNGs, without Qt."""

from __future__ import annotations

import numpy as np
from PIL import Image

from unsuplab.core.payloads import Bars, Field, Frame, ImageGrid, Matrix, PairedRows
from unsuplab.viz.export import LEGIBLE_TILE, write_pictures
from unsuplab.viz.images import to_uint8
from unsuplab.viz.panels import GREY_SEPARATOR


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
    cell = pixels[9 * scale : 10 * scale, 4 * scale : 5 * scale]
    assert np.all(cell == (255, 128, 0))  # every pixel of the enlarged square, no blur
    assert np.all(pixels[: 9 * scale] == 0)


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


def test_digits_and_paired_rows_are_enlarged_to_legible_tiles_with_the_grey_separator(tmp_path):
    digits = np.zeros((4, 28, 28))
    digits[2, 5, 7] = 1.0
    payloads = {
        "samples": ImageGrid("Samples", digits, "unit", columns=2),
        "held-out:rows": PairedRows("Rows", {"input": digits, "output": 1.0 - digits}),
    }
    written = {p.name: read(p)[:, :, 0] for p in write_pictures(payloads, tmp_path)}
    assert set(written) == {"samples.png", "held-out-rows.png"}  # a key made a file name
    grid = written["samples.png"]
    scale = -(-LEGIBLE_TILE // 28)  # 28-pixel tiles enlarged to at least LEGIBLE_TILE pixels
    assert grid.shape == (scale * (2 * 29 + 1), scale * (2 * 29 + 1))
    separator = to_uint8(np.array(GREY_SEPARATOR))
    assert np.all(grid[:scale] == separator) and np.all(grid[:, :scale] == separator)
    y, x = scale * (1 + 29 + 5), scale * (1 + 7)  # tile 2 (row 1, column 0), its pixel (5, 7)
    assert np.all(grid[y : y + scale, x : x + scale] == 255)  # one crisp white square ...
    assert set(np.unique(grid)) == {0, int(separator), 255}  # ... on black, grey between tiles
    rows = written["held-out-rows.png"]
    assert rows.shape == (scale * (2 * 29 + 1), scale * (4 * 29 + 1))
    assert np.all(rows[:scale] == separator) and rows[scale * 31, scale * 2] == 255  # 1 - black

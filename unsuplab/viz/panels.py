"""The pixels of each picture panel: one path from a payload to the bytes the window's views draw
and `unsuplab train` exports, so an exported panel looks exactly like the panel on screen."""

from __future__ import annotations

import numpy as np

from unsuplab.core.payloads import Field, Frame, ImageGrid, Matrix, PairedRows
from unsuplab.viz.images import normalise, paired_rows, tile, to_uint8

PAD = 1  # pixels of separator between two images
#: The separator between images on black (digits, samples): a grey that keeps them apart.
GREY_SEPARATOR = 0.4
#: The separator of an image grid by its normalisation: it must differ from a tile's background,
#: black for digits, mid-grey for filters.
SEPARATOR = {"unit": GREY_SEPARATOR, "filter": 0.0, "symmetric": 0.0}


def grid_pixels(grid: ImageGrid) -> np.ndarray:
    """An image grid's tiles, mapped to grey by its normalisation rule and laid out by
    `viz.images.tile` with separators: (H, W) uint8."""
    images = normalise(np.asarray(grid.images), grid.normalisation)
    return to_uint8(tile(images, grid.columns, pad=PAD, fill=SEPARATOR[grid.normalisation]))


def rows_pixels(rows: PairedRows) -> np.ndarray:
    """Paired rows stacked so that column k shows example k in every row: (H, W) uint8."""
    return to_uint8(paired_rows(rows.rows, pad=PAD, fill=GREY_SEPARATOR))


def frame_pixels(frame: Frame) -> np.ndarray:
    """A frame in colour (a grey frame as three equal channels): (H, W, 3) uint8."""
    image = np.asarray(frame.image, dtype=np.float64)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return to_uint8(image[:, :, :3])


def value_pixels(payload: Matrix | Field) -> np.ndarray:
    """A matrix's cells (from 0 to its largest value) or a field's heat (its heat_range) in grey,
    dark for low and light for high, a field's lowest y at the bottom: (H, W) uint8. The window
    colours the same values through a colour map; a file keeps the plain values."""
    if isinstance(payload, Field):
        low, high = payload.heat_range
        values = np.asarray(payload.heat, dtype=np.float64)[::-1]  # row 0 is the lowest y
    else:
        values = np.asarray(payload.values, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low = min(float(finite.min()), 0.0) if finite.size else 0.0
        high = float(finite.max()) if finite.size else 1.0
    return to_uint8((np.nan_to_num(values, nan=low) - low) / max(high - low, 1e-12))

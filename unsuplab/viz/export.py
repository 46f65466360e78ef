"""The picture panels of a snapshot as PNG files, made of the same pixels the window's views draw."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from unsuplab.core.payloads import Field, Frame, ImageGrid, Matrix, PairedRows, Payload
from unsuplab.viz.panels import frame_pixels, grid_pixels, rows_pixels, value_pixels
from unsuplab.viz.png import write_png

# A tile this many pixels high or wide is legible in an image viewer; small digits are enlarged.
LEGIBLE_TILE = 96
MAX_PICTURE = 2048


def write_pictures(payloads: dict[str, Payload], out: Path) -> list[Path]:
    """One PNG per picture panel, named after the panel's key: image grids and paired rows as
    tiles, a frame in colour, a matrix's or a field's values in grey (see `value_pixels`).
    Charts and points are left to `unsuplab shot`."""
    written = []
    for key, payload in payloads.items():
        picture = panel_picture(payload)
        if picture is not None:
            pixels, scale = picture
            written.append(write_png(Path(out) / f"{file_stem(key)}.png", pixels, scale=scale))
    return written


def panel_picture(payload: Payload) -> tuple[np.ndarray, int] | None:
    """A panel's pixels and the whole enlargement that makes them legible in a file;
    None for a panel that is no picture."""
    if isinstance(payload, ImageGrid):
        pixels = grid_pixels(payload)
        return pixels, _scale(max(payload.images.shape[1:3]), max(pixels.shape))
    if isinstance(payload, PairedRows) and payload.rows:
        pixels = rows_pixels(payload)
        first = next(iter(payload.rows.values()))
        return pixels, _scale(max(first.shape[1:3]), max(pixels.shape))
    if isinstance(payload, Frame):
        pixels = frame_pixels(payload)
        return pixels, _enlargement(max(pixels.shape[:2]))
    if isinstance(payload, Matrix | Field):
        pixels = value_pixels(payload)
        return pixels, _enlargement(max(pixels.shape))
    return None


def _scale(tile_side: int, picture_side: int) -> int:
    """Enlarge small tiles until they are legible, without making a picture huge."""
    wanted = math.ceil(LEGIBLE_TILE / max(tile_side, 1))
    return max(1, min(wanted, MAX_PICTURE // max(picture_side, 1)))


def _enlargement(side: int) -> int:
    """A whole factor that makes a small picture (a game screen, a matrix) about
    4 x LEGIBLE_TILE pixels on its longer side, in crisp squares; large ones stay as they are."""
    return max(1, min(4 * LEGIBLE_TILE, MAX_PICTURE) // max(side, 1))


def file_stem(key: str) -> str:
    """A panel key or metric name as a safe file-name part: "curves:loss" -> "curves-loss"."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-.") or "panel"

"""Turn stacks of images and weight vectors into one displayable grey image in [0, 1], and that
into the bytes a screen or a PNG shows."""

from __future__ import annotations

import math

import numpy as np


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats to 0..255 bytes, rounded (what the window draws and a PNG holds)."""
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def filters_as_images(weights: np.ndarray) -> np.ndarray:
    """The lecture's filter picture: the input of norm 1 that most excites hidden unit i,
    x_j = w_ij / sqrt(sum_j w_ij^2), then each tile stretched so its largest |x_j| spans the
    grey range with zero at mid-grey."""
    w = weights.reshape(len(weights), math.prod(weights.shape[1:])).astype(np.float64)
    x = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    peak = np.maximum(np.abs(x).max(axis=1, keepdims=True), 1e-12)
    return (0.5 + 0.5 * x / peak).reshape(weights.shape).astype(np.float32)


def symmetric(images: np.ndarray) -> np.ndarray:
    """One scale for every tile: zero at mid-grey, the largest |value| at black or white."""
    peak = max(float(np.abs(images).max(initial=0.0)), 1e-12)
    return (0.5 + 0.5 * images / peak).astype(np.float32)


def normalise(images: np.ndarray, rule: str) -> np.ndarray:
    """Map values to [0, 1] by an ImageGrid normalisation rule ("unit", "filter", "symmetric")."""
    if rule == "filter":
        return filters_as_images(images)
    if rule == "symmetric":
        return symmetric(images)
    if rule == "unit":
        return np.clip(images, 0.0, 1.0).astype(np.float32)
    raise ValueError(f"unknown normalisation {rule!r}")


def grid_shape(count: int, columns: int | None = None) -> tuple[int, int]:
    """(rows, columns) for `count` tiles: the given columns, else a near-square grid with no
    empty tiles when one exists (32 -> 4 x 8), else the square one with a partial last row."""
    if not columns:
        side = max(1, math.ceil(math.sqrt(count)))
        columns = next((c for c in range(side, 2 * side + 1) if count % c == 0), side)
    return max(1, math.ceil(count / columns)), columns


def tile(images: np.ndarray, columns: int | None = None, pad: int = 1, fill: float = 0.0) -> np.ndarray:
    """Lay (n, h, w) images in a grid separated by `pad` pixels of `fill`: one (H, W) array."""
    n, h, w = images.shape[:3]
    rows, cols = grid_shape(n, columns)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        out[y : y + h, x : x + w] = images[i]
    return out


def paired_rows(rows: dict[str, np.ndarray], pad: int = 1, fill: float = 0.0) -> np.ndarray:
    """Stack rows of images (input, reconstruction, ...) so column k shows one example."""
    strips = [
        tile(np.clip(images, 0, 1), columns=len(images), pad=pad, fill=fill) for images in rows.values()
    ]
    return np.concatenate([s if i == 0 else s[pad:] for i, s in enumerate(strips)], axis=0)

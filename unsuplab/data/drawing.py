"""Turn a digit drawn with the mouse into a model input prepared the way the training data was.

MNIST (LeCun et al.): the ink's bounding box is scaled to fit 20x20 pixels, keeping its aspect
ratio and anti-aliased, then placed in a 28x28 frame so that its centre of mass lies at the
frame's centre. scikit-learn's 8x8 digits (UCI optdigits): the ink box fills a 32x32 bitmap,
whose 4x4 blocks are averaged. `model_input` does the same to a canvas of any size, and checks
its answer with `check_model_image`: the model never gets an image of the wrong shape or range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unsuplab.data.corruption import corrupt

#: Canvas pixels at or below this value are paper, not ink, when finding the ink's box (the
#: faint fringe an anti-aliased eraser leaves behind must not stretch the box).
INK_THRESHOLD = 0.1


@dataclass(frozen=True)
class FrameStyle:
    """How a data set frames its digits: the ink box fitted to `box` pixels inside a square
    `frame`, its centre of mass put at `centre` (pixel-index coordinates), strokes widened by
    `thicken` frame pixels on each side, then the frame area-averaged down to the image shape."""

    frame: int
    box: int
    centre: float
    thicken: int = 0


#: The measured centre of mass of the MNIST sample's digits is pixel (14.0, 14.0), not the
#: geometric 13.5: LeCun's centring rounded it that way, and the network learned digits there.
MNIST = FrameStyle(frame=28, box=20, centre=14.0)
#: optdigits: 32x32 bitmaps with the ink filling the height, counted in 4x4 blocks. Its writers'
#: strokes are about a fifth of a digit's height, twice MNIST's, while the pad has one brush:
#: widening them a frame pixel each side gives the ink the data set's mean (about 0.3).
OPTDIGITS = FrameStyle(frame=32, box=32, centre=15.5, thicken=1)


def style_for(shape: tuple[int, int]) -> FrameStyle:
    """The framing of the data set with images of `shape`: 8x8 is scikit-learn's digits, any
    other shape gets MNIST's framing, area-resized to it."""
    return OPTDIGITS if tuple(shape) == (8, 8) else MNIST


def model_input(canvas: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The drawing on `canvas` (2-D, ink bright on black, values in [0, 1], any size) as a float32
    image of `shape` in [0, 1], framed like the data set of that shape; None when there is no ink.
    """
    shape = _check_shape(shape)
    ink = np.asarray(canvas, dtype=np.float64)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"a canvas is a non-empty 2-D array, not one of shape {ink.shape}")
    if not np.all(np.isfinite(ink)):
        raise ValueError("the canvas holds non-finite values")
    ink = np.clip(ink, 0.0, 1.0)
    rows = np.flatnonzero(ink.max(axis=1) > INK_THRESHOLD)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.max(axis=0) > INK_THRESHOLD)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    style = style_for(shape)
    framed = frame_digit(crop, style)
    image = resize_area(framed, shape) if framed.shape != shape else framed
    image = np.clip(image, 0.0, 1.0).astype(np.float32)
    check_model_image(image, shape)
    return image


def frame_digit(crop: np.ndarray, style: FrameStyle) -> np.ndarray:
    """`crop` (the ink's bounding box) scaled to fit `style.box` square, aspect kept, placed in a
    `style.frame` square with its centre of mass at `style.centre`: as near as the frame allows,
    since a lopsided digit pushed by its mass must not lose ink over the edge."""
    h, w = crop.shape
    scale = style.box / max(h, w)
    mass = crop.sum()
    # Centre of mass in continuous coordinates, where pixel i spans [i, i + 1).
    com_y = (crop.sum(axis=1) @ (np.arange(h) + 0.5)) / mass
    com_x = (crop.sum(axis=0) @ (np.arange(w) + 0.5)) / mass
    target = style.centre + 0.5
    top = np.clip(target - scale * com_y, 0.0, style.frame - scale * h)
    left = np.clip(target - scale * com_x, 0.0, style.frame - scale * w)
    rows = _area_weights(h, style.frame, scale, top)
    cols = _area_weights(w, style.frame, scale, left)
    framed = rows @ crop @ cols.T
    return _widen(framed, style.thicken) if style.thicken else framed


def _widen(image: np.ndarray, radius: int) -> np.ndarray:
    """A grey dilation: each pixel the largest value within `radius` pixels (a square window)."""
    padded = np.pad(image, radius)
    h, w = image.shape
    size = 2 * radius + 1
    return np.max([padded[dy : dy + h, dx : dx + w] for dy in range(size) for dx in range(size)], axis=0)


def resize_area(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`image` resampled to `shape` by area averaging (each output pixel the mean of the input
    area it covers), the way a scanner or the optdigits block count shrinks a picture."""
    h, w = image.shape
    rows = _area_weights(h, shape[0], shape[0] / h, 0.0)
    cols = _area_weights(w, shape[1], shape[1] / w, 0.0)
    return rows @ image @ cols.T


def _area_weights(size_in: int, size_out: int, scale: float, offset: float) -> np.ndarray:
    """(size_out, size_in) weights: input pixel i covers [offset + i·scale, offset + (i+1)·scale)
    of the output axis; W[o, i] is its overlap with output pixel [o, o + 1). Rows sum to at most
    1, so values in [0, 1] stay in [0, 1]."""
    starts = offset + scale * np.arange(size_in)
    lo = np.maximum(np.arange(size_out)[:, None], starts[None, :])
    hi = np.minimum(np.arange(size_out)[:, None] + 1.0, starts[None, :] + scale)
    return np.clip(hi - lo, 0.0, None)


def check_model_image(image: np.ndarray, shape: tuple[int, int]) -> None:
    """Raise ValueError unless `image` is a float32 array of `shape` with values in [0, 1]."""
    shape = _check_shape(shape)
    if not isinstance(image, np.ndarray) or image.shape != shape:
        found = getattr(image, "shape", type(image).__name__)
        raise ValueError(f"a model input must have shape {shape}, not {found}")
    if image.dtype != np.float32:
        raise ValueError(f"a model input must be float32, not {image.dtype}")
    if not np.all(np.isfinite(image)) or image.min() < 0.0 or image.max() > 1.0:
        raise ValueError("a model input's values must lie in [0, 1]")


def add_noise(image: np.ndarray, kind: str, level: float, seed: int) -> np.ndarray:
    """`image` corrupted by the lessons' own noise (see `unsuplab.data.corruption`), drawn from
    `seed`: the same seed gives the same pattern, so a drawing can grow under fixed noise."""
    generator = torch.Generator().manual_seed(int(seed))
    flat = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).reshape(1, -1)
    noisy = corrupt(flat, kind, level, generator).numpy().reshape(image.shape)
    noisy = np.clip(noisy, 0.0, 1.0).astype(np.float32)
    check_model_image(noisy, image.shape)
    return noisy


def _check_shape(shape: tuple[int, int]) -> tuple[int, int]:
    shape = tuple(int(n) for n in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"an image shape is two positive sizes, not {shape}")
    return shape

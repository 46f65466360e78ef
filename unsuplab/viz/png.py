"""Write display arrays as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from unsuplab.atomic import atomic_write


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats to 0..255 bytes."""
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def write_png(path, image: np.ndarray, scale: int = 1) -> Path:
    """Save a grey (H, W) or RGB (H, W, 3) image in [0, 1], enlarged `scale` times without blur."""
    path = Path(path)
    picture = Image.fromarray(to_uint8(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:  # never a 0-byte picture under the real name
        picture.save(f, format="PNG")
    return path

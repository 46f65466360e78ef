"""Write display pixels as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from unsuplab.atomic import atomic_write


def write_png(path, pixels: np.ndarray, scale: int = 1) -> Path:
    """Save grey (H, W) or RGB (H, W, 3) uint8 pixels, enlarged `scale` times without blur."""
    path = Path(path)
    picture = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:  # never a 0-byte picture under the real name
        picture.save(f, format="PNG")
    return path

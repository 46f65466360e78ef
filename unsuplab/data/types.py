"""The data types every loader shares: the image data set and the error a bad data set raises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """A data set that cannot be loaded; the message names the file and says what is wrong."""


@dataclass(frozen=True)
class ImageDataset:
    """Grey images in [0, 1] (float32, (n, h, w)) with integer labels, split train / held-out."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.train_images.shape[1:3])

    @property
    def pixels(self) -> int:
        return int(np.prod(self.image_shape))

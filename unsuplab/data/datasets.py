"""The image data set registry: every data set comes as train and held-out images in [0, 1]."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from unsuplab.data.splits import held_out_split
from unsuplab.data.types import DataError, ImageDataset
from unsuplab.paths import sample_data_dir


def _as_unit(images: np.ndarray, peak: float) -> np.ndarray:
    return np.ascontiguousarray(images, dtype=np.float32) / np.float32(peak)


def _mnist_sample() -> ImageDataset:
    path = sample_data_dir() / "mnist_5k.npz"
    try:
        with np.load(path) as f:
            images, labels = f["images"], f["labels"].astype(np.int64)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"{path}: the bundled MNIST sample cannot be read ({exc}); reinstall unsuplab"
        ) from None
    split = held_out_split(_as_unit(images, 255), labels, per_class=50)
    return ImageDataset("mnist-sample", *split, source=str(path))


def _digits() -> ImageDataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    labels = digits.target.astype(np.int64)
    split = held_out_split(_as_unit(digits.images, 16), labels, per_class=30)
    return ImageDataset("digits", *split, source="scikit-learn load_digits (8x8, UCI)")


def _official(name: str) -> ImageDataset:
    from unsuplab.data.mnist import load_official

    return load_official(name)


def _patches(size: int, whitening: str) -> ImageDataset:
    from unsuplab.data.patches import load_patches

    return load_patches(size, whitening)


#: Natural-image patches (unsuplab.data.patches): name -> (patch size, whitening).
_PATCHES = {
    "patches-8": (8, "none"),
    "patches-12": (12, "none"),
    "patches-16": (16, "none"),
    "patches-8-zca": (8, "zca"),
    "patches-12-zca": (12, "zca"),
    "patches-8-1f": (8, "1/f"),
    "patches-12-1f": (12, "1/f"),
}

_LOADERS = {
    "mnist-sample": _mnist_sample,
    "digits": _digits,
    "mnist": functools.partial(_official, "mnist"),
    "fashion-mnist": functools.partial(_official, "fashion-mnist"),
    **{name: functools.partial(_patches, *spec) for name, spec in _PATCHES.items()},
}

#: Names a lesson's `dataset` field may take.
DATASETS = tuple(_LOADERS)

#: Image size of each data set, known without loading it (for checking configs).
IMAGE_SHAPES = {
    "mnist-sample": (28, 28),
    "digits": (8, 8),
    "mnist": (28, 28),
    "fashion-mnist": (28, 28),
    **{name: (size, size) for name, (size, _) in _PATCHES.items()},
}


@functools.lru_cache(maxsize=4)
def load_dataset(name: str) -> ImageDataset:
    """The data set called `name` (see DATASETS); arrays are shared, so treat them as read-only."""
    if name not in _LOADERS:
        raise DataError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    return _LOADERS[name]()


def load_files(path: str | Path) -> ImageDataset:
    """A data set from the user's own files: a Keras `mnist.npz`, or an IDX images file (plain or
    .gz) with its labels file beside it; held out is the file's test part, or 10 % of it."""
    from unsuplab.data.readers import read_user_dataset

    return read_user_dataset(Path(path))

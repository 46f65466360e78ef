"""Data sets the lessons train on: the bundled MNIST sample, scikit-learn's digits, natural-image
patches, full MNIST and Fashion-MNIST (a copy on this machine, the cache or a checked download),
and the user's own files."""

from unsuplab.data.datasets import DATASETS, load_dataset, load_files
from unsuplab.data.types import DataError, ImageDataset

__all__ = ["DATASETS", "DataError", "ImageDataset", "load_dataset", "load_files"]

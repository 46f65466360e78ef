"""Deterministic, stratified splits of a labelled image set into the part trained on and the part
held out, so every run and machine sees the same split."""

from __future__ import annotations

import dataclasses

import numpy as np

from unsuplab.data.types import DataError, ImageDataset


def held_out_split(images: np.ndarray, labels: np.ndarray, per_class: int, seed: int = 0):
    """Deterministic stratified split: `per_class` images of every label held out."""
    rng = np.random.default_rng(seed)
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in np.unique(labels)]
    )
    mask = np.zeros(len(labels), dtype=bool)
    mask[test] = True
    return images[~mask], labels[~mask], images[mask], labels[mask]


def validation_split(
    dataset: ImageDataset, fraction: float = 0.1, seed: int = 1
) -> tuple[ImageDataset, np.ndarray, np.ndarray]:
    """A validation part taken from the training part, for choices made while training (early
    stopping, a setting picked by its score), so the held-out part never steers one: (the data
    set with the rest as its training part and the same held-out part, validation images,
    validation labels). About `fraction` of every label; full MNIST gives 54,000 + 6,000."""
    labels = dataset.train_labels
    classes, counts = np.unique(labels, return_counts=True)
    if len(labels) == 0 or counts.min() < 2:
        raise DataError(
            f"{dataset.source}: too few training images of some label to set a "
            "validation part aside; every label needs at least 2"
        )
    per_class = min(max(1, round(fraction * len(labels) / len(classes))), int(counts.min()) - 1)
    x_fit, y_fit, x_val, y_val = held_out_split(dataset.train_images, labels, per_class, seed)
    return dataclasses.replace(dataset, train_images=x_fit, train_labels=y_fit), x_val, y_val

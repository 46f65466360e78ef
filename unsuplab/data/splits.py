"""Deterministic, stratified splits of a labelled image set into the part trained on and the part
held out, so every run and machine sees the same split."""

from __future__ import annotations

import numpy as np


def held_out_split(images: np.ndarray, labels: np.ndarray, per_class: int, seed: int = 0):
    """Deterministic stratified split: `per_class` images of every label held out."""
    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                           for c in np.unique(labels)])
    mask = np.zeros(len(labels), dtype=bool)
    mask[test] = True
    return images[~mask], labels[~mask], images[mask], labels[mask]

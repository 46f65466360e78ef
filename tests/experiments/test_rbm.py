"""The RBM lesson: refuses data outside [0, 1], binarises on request, and its chains dream."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from unsuplab.core.payloads import Histogram, ImageGrid
from unsuplab.core.stepping import train_steps
from unsuplab.data import DataError, ImageDataset, load_dataset
from unsuplab.experiments import _image_autoencoder
from unsuplab.experiments.rbm import RBM, Config


def built(**changes) -> RBM:
    experiment = RBM(dataclasses.replace(Config(hidden_units=32, batch_size=50), **changes))
    experiment.build("cpu", 0)
    return experiment


def test_pixels_outside_the_unit_interval_are_refused_naming_the_source(monkeypatch):
    real = load_dataset("digits")
    bad = dataclasses.replace(real, train_images=real.train_images * 16, source="/tmp/raw.npz")
    monkeypatch.setattr(_image_autoencoder, "load_dataset", lambda name: bad)
    with pytest.raises(DataError, match=r"/tmp/raw.npz: pixel values lie in \[0, 16\]"):
        built(dataset="digits")


def test_binarised_pixels_are_zero_or_one_and_the_filters_say_so():
    experiment = built(dataset="digits", visible_values="binarised")
    assert set(np.unique(experiment.train_x.numpy())) == {0.0, 1.0}
    assert "binarised" in experiment.snapshot()["filters"].caption


def test_dreams_move_with_training_and_panels_are_there():
    experiment = built(method="pcd")
    first = experiment.snapshot()
    train_steps(experiment, 5)
    later = experiment.snapshot()
    assert isinstance(later["dreams"], ImageGrid) and later["dreams"].images.shape == (36, 28, 28)
    assert not np.array_equal(first["dreams"].images, later["dreams"].images)
    histogram = later["hidden_activity"]
    assert isinstance(histogram, Histogram) and len(histogram.edges) == 21
    metrics = experiment.evaluate()
    assert {"heldout_pseudo_likelihood", "free_energy", "heldout_free_energy"} <= set(metrics)


def test_training_raises_the_pseudo_likelihood():
    experiment = built(dataset="digits", method="cd", sparsity_cost=0.0)
    before = experiment.evaluate()["heldout_pseudo_likelihood"]
    train_steps(experiment, 500)
    assert experiment.evaluate()["heldout_pseudo_likelihood"] > 0.85 * before  # e.g. −24.7 → −19.5


def test_encode_and_reconstruct_serve_other_lessons():
    experiment = built()
    x = experiment.test_x[:3]
    assert experiment.encode(x).shape == (3, 32)
    assert experiment.reconstruct(x).shape == (3, 784)


def test_images_dataset_type_is_the_shared_one():
    assert isinstance(built().load_data(), ImageDataset)

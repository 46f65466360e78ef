"""The data set registry: the bundled MNIST sample, scikit-learn's digits, the real t10k files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from unsuplab.data import DATASETS, DataError, load_dataset, load_files
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.data.splits import held_out_split, validation_split


def test_bundled_sample_split():
    data = load_dataset("mnist-sample")
    assert (len(data.train_images), len(data.test_images)) == (4500, 500)
    assert data.image_shape == (28, 28) and data.pixels == 784
    assert np.bincount(data.test_labels).tolist() == [50] * 10
    assert np.bincount(data.train_labels).tolist() == [450] * 10
    for images in (data.train_images, data.test_images):
        assert images.dtype == np.float32
        assert images.min() == 0.0 and images.max() == 1.0
    assert data.train_labels.dtype == np.int64
    assert Path(data.source).name == "mnist_5k.npz"


def test_bundled_sample_split_is_deterministic():
    first = load_dataset("mnist-sample")
    load_dataset.cache_clear()
    second = load_dataset("mnist-sample")
    assert first is not second
    np.testing.assert_array_equal(first.test_images, second.test_images)
    np.testing.assert_array_equal(first.train_labels, second.train_labels)


def test_bundled_sample_train_and_held_out_do_not_overlap():
    data = load_dataset("mnist-sample")
    train = {row.tobytes() for row in (data.train_images * 255).astype(np.uint8)}
    assert not any(row.tobytes() in train for row in (data.test_images * 255).astype(np.uint8))


def test_digits():
    data = load_dataset("digits")
    assert data.image_shape == (8, 8)
    assert len(data.train_images) + len(data.test_images) == 1797
    assert np.bincount(data.test_labels).tolist() == [30] * 10
    assert data.train_images.min() >= 0.0 and data.train_images.max() <= 1.0


def test_every_name_has_an_image_shape():
    assert set(IMAGE_SHAPES) == set(DATASETS)


def test_unknown_name():
    with pytest.raises(DataError, match="unknown data set 'cifar'.*mnist-sample"):
        load_dataset("cifar")


def test_held_out_split_takes_per_class_from_every_label():
    labels = np.repeat(np.arange(3), 10)
    x_train, y_train, x_test, y_test = held_out_split(np.arange(30), labels, per_class=2)
    assert np.bincount(y_test).tolist() == [2, 2, 2] and len(x_train) == 24
    assert not set(x_train.tolist()) & set(x_test.tolist())


def test_validation_part_is_taken_from_the_training_part_only():
    data = load_dataset("mnist-sample")
    fit, x_val, y_val = validation_split(data)
    assert np.bincount(y_val).tolist() == [45] * 10  # a tenth of every digit
    assert len(fit.train_images) == 4500 - 450 and len(data.train_images) == 4500
    assert fit.test_images is data.test_images and fit.test_labels is data.test_labels
    pool = {row.tobytes() for row in data.train_images}
    assert all(row.tobytes() in pool for row in x_val)  # never a held-out image
    rows = {row.tobytes() for row in fit.train_images}
    assert not any(row.tobytes() in rows for row in x_val)  # disjoint from what is fitted
    np.testing.assert_array_equal(validation_split(data)[2], y_val)  # deterministic


def test_validation_part_needs_two_images_of_every_label(mnist_pair):
    images, _ = mnist_pair("train", 10)
    mnist_pair("t10k", 10)
    with pytest.raises(DataError, match="at least 2"):
        validation_split(load_files(images))


def test_real_mnist_t10k_through_the_user_file_path(real_mnist):
    data = load_files(real_mnist / "t10k-images-idx3-ubyte.gz")
    assert len(data.train_images) + len(data.test_images) == 10_000
    counts = np.bincount(np.concatenate([data.train_labels, data.test_labels]), minlength=10)
    assert counts.sum() == 10_000 and (counts > 800).all()
    assert data.image_shape == (28, 28) and data.train_images.max() == 1.0
    assert len(data.test_images) == 1000  # 10 % held out, 100 of each digit

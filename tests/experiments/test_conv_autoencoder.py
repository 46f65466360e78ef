"""The Keras convolutional autoencoder lesson: 28x28 only, kernels and feature maps in the window."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.payloads import ImageGrid
from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments.conv_autoencoder import Config, ConvAutoencoder


@pytest.fixture(scope="module")
def experiment() -> ConvAutoencoder:
    experiment = ConvAutoencoder(Config(batch_size=16))
    experiment.build("cpu", 0)
    train_steps(experiment, 3)
    return experiment


def test_needs_28x28_images():
    with pytest.raises(ConfigError, match="dataset: digits has 8x8 images"):
        with_overrides(Config(), {"dataset": "digits"})


def test_kernels_and_feature_maps(experiment):
    panels = experiment.snapshot()
    kernels = panels["filters"]
    assert kernels.images.shape == (16, 3, 3) and kernels.normalisation == "filter"
    np.testing.assert_array_equal(kernels.images, experiment.model.filters.detach().numpy()[:, 0])
    maps = panels["feature_maps"]
    assert isinstance(maps, ImageGrid) and maps.images.shape == (16, 28, 28)
    assert maps.images.min() >= 0 and maps.images.max() == pytest.approx(1.0)
    assert "digit 2" in maps.title


def test_latent_map_shows_the_128_number_codes(experiment):
    experiment.evaluate()
    latent = experiment.snapshot()["latent"]
    assert "128-D" in latent.title and latent.points.shape == (500, 2)


def test_clicking_a_digit_shows_its_feature_maps(experiment):
    answer = experiment.probe("inspect", index=7)
    index = experiment.latent_index[7]
    assert f"image {index})" in answer["feature_maps"].title
    assert f"image {index})" in experiment.snapshot()["feature_maps"].title


def test_reloaded_weights_replace_the_latent_codes_of_the_last_evaluation():
    trained = ConvAutoencoder(Config(batch_size=16))
    trained.build("cpu", 0)
    train_steps(trained)
    fresh = ConvAutoencoder(Config(batch_size=16))
    fresh.build("cpu", 1)
    fresh.evaluate()  # caches codes of its own random weights
    restore(fresh, trained.state_dict(), trained.step)
    np.testing.assert_allclose(
        fresh.snapshot()["latent"].points, trained.snapshot()["latent"].points, rtol=1e-5, atol=1e-6
    )

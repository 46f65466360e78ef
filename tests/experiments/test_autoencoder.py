"""The course's 784-32-784 autoencoder: its config refuses codes that are not undercomplete."""

from __future__ import annotations

import pytest

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.autoencoder import Autoencoder, Config


def test_code_must_be_narrower_than_the_image():
    with pytest.raises(ConfigError, match="code_size: 784 units is not narrower than the 28x28"):
        with_overrides(Config(), {"code_size": "784"})
    with pytest.raises(ConfigError, match="8x8 = 64 pixel"):
        with_overrides(Config(), {"dataset": "digits", "code_size": "64"})


def test_trains_on_scikit_learn_digits():
    experiment = Autoencoder(with_overrides(Config(), {"dataset": "digits", "batch_size": "32"}))
    experiment.build("cpu", 0)
    before = experiment.evaluate()["heldout_bce"]
    train_steps(experiment, 100)
    assert experiment.evaluate()["heldout_bce"] < before
    assert experiment.snapshot()["filters"].images.shape == (32, 8, 8)


def test_live_learning_rate_reaches_the_optimiser():
    experiment = Autoencoder()
    experiment.build("cpu", 0)
    experiment.set_live("learning_rate", 0.05)
    assert experiment.optimizer.param_groups[0]["lr"] == 0.05
    with pytest.raises(ValueError, match="code_size cannot change while training"):
        experiment.set_live("code_size", 8)

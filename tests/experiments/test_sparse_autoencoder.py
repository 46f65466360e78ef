"""The sparse autoencoder's cost is the lecture's formula, and its penalty makes the code sparse."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.sparse_autoencoder import Config, SparseAutoencoder


def trained(**changes) -> SparseAutoencoder:
    experiment = SparseAutoencoder(dataclasses.replace(Config(batch_size=64), **changes))
    experiment.build("cpu", 0)
    train_steps(experiment, 150)
    return experiment


def test_cost_is_half_squared_error_plus_beta_sum_of_activations():
    experiment = SparseAutoencoder(Config(sparsity_beta=0.2, weight_decay=0.01))
    experiment.build("cpu", 0)
    x = experiment.test_x[:7]
    with torch.no_grad():
        x_hat, a = experiment.model(x)
        terms = experiment.loss(x, x_hat, a)
        w1, w2 = experiment.model.encoder[0].weight, experiment.model.decoder[0].weight
        expected = (
            0.5 * ((x_hat - x) ** 2).sum() / 7 + 0.2 * a.sum() / 7 + 0.005 * ((w1**2).sum() + (w2**2).sum())
        )
    torch.testing.assert_close(terms["loss"], expected)


def test_kl_penalty_is_zero_at_the_target_rate():
    experiment = SparseAutoencoder(Config(penalty="kl", sparsity_target=0.3))
    experiment.build("cpu", 0)
    x = experiment.test_x[:4]
    a = torch.full((4, experiment.config.code_size), 0.3)
    assert float(experiment.loss(x, x, a)["sparsity_penalty"]) == pytest.approx(0, abs=1e-6)


def test_penalty_makes_the_code_sparser_than_a_plain_autoencoder():
    plain = trained(sparsity_beta=0.0).evaluate()["heldout_mean_activation"]
    sparse = trained(sparsity_beta=0.2).evaluate()["heldout_mean_activation"]
    assert sparse < 0.6 * plain


def test_kl_needs_a_sigmoid_code():
    with pytest.raises(ConfigError, match="penalty"):
        with_overrides(Config(), {"penalty": "kl", "activation": "relu"})

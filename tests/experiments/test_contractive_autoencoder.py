"""The contractive penalty is the exact Frobenius norm of the encoder's Jacobian, and it contracts."""

from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from unsuplab.core.config import with_overrides
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.contractive_autoencoder import (
    Config,
    ContractiveAutoencoder,
    jacobian_norm_squared,
    jacobian_spectrum,
)


def built(**changes) -> ContractiveAutoencoder:
    experiment = ContractiveAutoencoder(with_overrides(Config(batch_size=64), changes))
    experiment.build("cpu", 0)
    return experiment


def autograd_jacobians(experiment: ContractiveAutoencoder, x: torch.Tensor) -> torch.Tensor:
    return torch.stack([jacobian(lambda v: experiment.model.encode(v[None])[0], row) for row in x])


@pytest.fixture(scope="module")
def trained() -> ContractiveAutoencoder:
    experiment = built(code_size=40)
    train_steps(experiment, 30)  # weights away from their random start, so the test is not a special case
    return experiment


def test_penalty_is_the_squared_frobenius_norm_of_the_autograd_jacobian(trained):
    x = trained.test_x[:4].double()
    trained.model.double()
    try:
        expected = autograd_jacobians(trained, x).pow(2).sum(dim=(1, 2))
        with torch.no_grad():
            penalty = jacobian_norm_squared(trained.model.encode(x), trained.model.filters)
    finally:
        trained.model.float()
    torch.testing.assert_close(penalty, expected)


def test_loss_adds_lambda_times_the_mean_penalty():
    experiment = built(contraction=2.5)
    x = experiment.test_x[:6]
    with torch.no_grad():
        x_hat, h = experiment.model(x)
        terms = experiment.loss(x, x_hat, h)
    penalty = jacobian_norm_squared(h, experiment.model.filters).mean()
    torch.testing.assert_close(terms["contraction"], penalty)
    torch.testing.assert_close(terms["loss"], terms["reconstruction"] + 2.5 * penalty)


def test_spectrum_and_tangents_are_the_jacobians_singular_values_and_vectors(trained):
    x = trained.test_x[:3]
    with torch.no_grad():
        values, tangents = jacobian_spectrum(trained.model.encode(x), trained.model.filters, 5)
    exact = autograd_jacobians(trained, x)
    torch.testing.assert_close(values, torch.linalg.svdvals(exact), rtol=1e-3, atol=1e-5)
    # Unit input directions along which the code moves by σ_1 ≥ σ_2 ≥ ... at the first digit.
    torch.testing.assert_close(tangents.norm(dim=1), torch.ones(5))
    torch.testing.assert_close((exact[0] @ tangents.T).norm(dim=0), values[0, :5], rtol=1e-3, atol=1e-5)
    panels = trained.snapshot()
    assert panels["tangents"].images.shape == (8, 28, 28)
    k, sigma = panels["jacobian_spectrum"].series["singular value"]
    assert len(k) == len(sigma) == 40 and all(sigma[:-1] >= sigma[1:])


def test_penalty_makes_the_code_less_sensitive_than_a_plain_autoencoder():
    def held_out_contraction(strength: float) -> float:
        experiment = built(contraction=strength, code_size=64)
        train_steps(experiment, 100)
        return experiment.evaluate()["heldout_contraction"]

    # About 0.24 at seeds 0 and 1 (and 0.02 at the defaults, λ = 1 against 0, after 2,500 steps).
    assert held_out_contraction(10.0) < 0.5 * held_out_contraction(0.0)


def test_contraction_weight_changes_while_training():
    experiment = built()
    experiment.set_live("contraction", 0.0)
    x = experiment.test_x[:4]
    with torch.no_grad():
        terms = experiment.loss(x, *experiment.model(x))
    torch.testing.assert_close(terms["loss"], terms["reconstruction"])

"""The VAE's loss terms match their closed forms, the IWAE bound tightens the ELBO, and the VQ-VAE
quantises to the nearest code, passes gradients straight through and moves codes by EMA."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from unsuplab.models.vae import (
    GaussianVAE,
    bernoulli_nll,
    gaussian_kl,
    importance_weighted_nll,
    reparameterise,
)
from unsuplab.models.vq_vae import VQVAE, VectorQuantiser


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
    torch.manual_seed(0)


def test_kl_is_zero_at_the_prior_and_matches_torch_distributions():
    mean, log_variance = torch.zeros(3, 4), torch.zeros(3, 4)
    assert torch.allclose(gaussian_kl(mean, log_variance), torch.zeros(3))
    mean, log_variance = torch.randn(3, 4), torch.randn(3, 4)
    q = torch.distributions.Normal(mean, (0.5 * log_variance).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    assert torch.allclose(gaussian_kl(mean, log_variance), expected, atol=1e-5)


def test_bernoulli_nll_sums_the_pixel_cross_entropies():
    logits, x = torch.randn(2, 6), torch.randint(0, 2, (2, 6)).float()
    expected = -(x * torch.sigmoid(logits).log() + (1 - x) * (1 - torch.sigmoid(logits)).log()).sum(1)
    assert torch.allclose(bernoulli_nll(logits, x), expected, atol=1e-5)
    # An untrained decoder at logit 0 costs log 2 nats per pixel.
    assert torch.allclose(
        bernoulli_nll(torch.zeros(1, 784), x[:1, :1].expand(1, 784)), torch.tensor([784 * math.log(2)])
    )


def test_reparameterisation_lets_gradients_reach_mean_and_variance():
    mean = torch.zeros(5, 2, requires_grad=True)
    log_variance = torch.zeros(5, 2, requires_grad=True)
    z = reparameterise(mean, log_variance, torch.ones(5, 2))
    z.sum().backward()
    assert torch.allclose(mean.grad, torch.ones(5, 2))
    assert torch.allclose(log_variance.grad, torch.full((5, 2), 0.5))  # d(e^{s/2})/ds at s = 0


def test_vae_shapes_and_deterministic_reconstruction():
    model = GaussianVAE(784, (32, 16), latent=3)
    x = torch.rand(4, 784)
    mean, log_variance = model.posterior(x)
    assert mean.shape == log_variance.shape == (4, 3)
    x_hat, code = model(x)
    assert x_hat.shape == (4, 784) and torch.equal(code, mean)
    assert torch.equal(model(x)[0], x_hat)  # no sampling noise in the picture the lesson shows
    assert x_hat.min() >= 0 and x_hat.max() <= 1
    assert model.filters.shape == (32, 784)


def test_importance_weighting_tightens_the_elbo():
    model = GaussianVAE(20, (16,), latent=2)
    x = torch.randint(0, 2, (50, 20)).float()
    mean, log_variance = model.posterior(x)
    generator = torch.Generator().manual_seed(0)
    elbo_losses = [
        bernoulli_nll(
            model.decode_logits(
                reparameterise(mean, log_variance, torch.randn(mean.shape, generator=generator))
            ),
            x,
        )
        + gaussian_kl(mean, log_variance)
        for _ in range(200)
    ]
    negative_elbo = torch.stack(elbo_losses).mean(0)
    nll = importance_weighted_nll(model, x, samples=500, generator=generator, chunk=128)
    assert nll.shape == (50,)
    # −log p(x) ≤ −ELBO on average, and one sample is just the ELBO again.
    assert nll.mean() <= negative_elbo.mean().detach()
    one = importance_weighted_nll(model, x, samples=1, generator=generator)
    assert abs(float(one.mean() - negative_elbo.mean().detach())) < 2.0


def test_quantiser_picks_the_nearest_code_and_the_codebook_term_moves_it():
    quantiser = VectorQuantiser(codes=3, dim=2)
    with torch.no_grad():
        quantiser.codebook.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    z_e = torch.tensor([[0.9, 0.1], [0.1, 0.8], [-0.1, 0.0], [1.2, -0.3]]).T.reshape(1, 2, 2, 2)
    q = quantiser(z_e)
    assert q.indices.flatten().tolist() == [1, 2, 0, 1]
    F.mse_loss(q.z_q, q.z_e.detach()).backward()
    assert quantiser.codebook.grad.abs().sum() > 0


def test_straight_through_copies_the_decoder_gradient_onto_the_encoder():
    model = VQVAE((8, 8), codes=4, dim=3, channels=4)
    x_hat, q = model(torch.rand(2, 64))
    assert x_hat.shape == (2, 64) and q.indices.shape == (2, 2, 2)
    x_hat.sum().backward()
    # argmin has no gradient, yet the encoder learns from the reconstruction.
    assert model.encoder[0].weight.grad.abs().sum() > 0
    assert model.decode_indices(torch.zeros(1, 2, 2, dtype=torch.long)).shape == (1, 64)


def test_ema_codebook_moves_to_the_mean_of_its_vectors():
    quantiser = VectorQuantiser(codes=2, dim=1, ema_decay=0.5)
    with torch.no_grad():
        quantiser.codebook.copy_(torch.tensor([[0.0], [10.0]]))
        quantiser.ema_sum.copy_(quantiser.codebook)
    z_e = torch.full((1, 1, 2, 2), 2.0, requires_grad=True)  # all four cells nearest code 0
    for _ in range(30):
        quantiser(z_e)
    assert quantiser.codebook[0, 0] == pytest.approx(2.0, abs=1e-3)
    assert quantiser.codebook[1, 0] == pytest.approx(10.0, abs=1e-2)  # unused: left in place
    with torch.no_grad():
        quantiser(z_e)  # evaluation does not move the codes
    assert not quantiser.codebook.requires_grad


def test_vq_vae_refuses_sides_not_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4"):
        VQVAE((10, 10), codes=4, dim=2)


def test_a_conditional_vae_reads_the_one_hot_label_in_both_halves():
    model = GaussianVAE(20, (16,), latent=2, classes=3)
    x, y = torch.rand(4, 20), torch.tensor([0, 1, 2, 1])
    assert model.posterior(x, y)[0].shape == (4, 2) and model(x, y)[0].shape == (4, 20)
    z = torch.zeros(1, 2)
    assert not torch.equal(model.decode(z, torch.tensor([0])), model.decode(z, torch.tensor([2])))
    assert model.filters.shape == (16, 20)  # the pixels' weights only
    with pytest.raises(ValueError, match="conditional"):
        model.decode(z)
    # −log p(x|y): one importance sample per image is the conditional ELBO again, finite.
    nll = importance_weighted_nll(model, x, samples=50, generator=torch.Generator().manual_seed(0), labels=y)
    assert nll.shape == (4,) and bool(torch.isfinite(nll).all())

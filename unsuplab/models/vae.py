"""Variational autoencoder with a Gaussian encoder q(z|x) = N(μ, σ²) and a Bernoulli decoder p(x|z),
its loss terms in nats per image, and the importance-weighted log-likelihood estimate. Given a number
of classes it is conditional (Sohn et al. 2015): q(z|x, y) and p(x|z, y) also read the label y."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.models.autoencoders import _dense_stack
from unsuplab.models.conditioning import with_one_hot


class GaussianVAE(nn.Module):
    """x → hidden relu layers → (μ, log σ²);  z → mirrored relu layers → logits of p(x|z).

    `forward` is the deterministic picture the lessons show: the decoder's mean at z = μ.
    With `classes` > 0 both halves also read the one-hot label y, [x, y] and [z, y], and every
    method takes the labels y (n,) beside its images or codes.
    """

    def __init__(self, pixels: int, hidden: tuple[int, ...], latent: int, classes: int = 0):
        super().__init__()
        self.pixels = pixels
        self.latent = latent
        self.classes = classes
        self.encoder = _dense_stack([pixels + classes, *hidden], nn.ReLU, nn.ReLU())
        self.to_mean = nn.Linear(hidden[-1], latent)
        self.to_log_variance = nn.Linear(hidden[-1], latent)
        self.decoder = _dense_stack([latent + classes, *hidden[::-1], pixels], nn.ReLU, nn.Identity())

    def posterior(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of q(z|x) (q(z|x, y) when conditional) for flattened images x."""
        features = self.encoder(with_one_hot(x.flatten(1), y, self.classes))
        return self.to_mean(features), self.to_log_variance(features)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """μ, the centre of q(z|x): the code the latent map shows."""
        return self.posterior(x, y)[0]

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of the pixel probabilities x̂ = sigmoid(logits)."""
        return self.decoder(with_one_hot(z, y, self.classes))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's mean x̂ = p(x_j = 1 | z) (| z, y when conditional), flattened, in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z, y))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(decoding of μ, μ): the reconstruction without sampling noise, and the code."""
        mean = self.encode(x, y)
        return self.decode(mean, y), mean

    @property
    def filters(self) -> torch.Tensor:
        """The first encoder layer's weights on the pixels, one row per hidden unit."""
        return self.encoder[0].weight[:, : self.pixels]


def reparameterise(mean: torch.Tensor, log_variance: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = μ + σ·ε with σ = exp(½ log σ²): a sample of q(z|x) that gradients pass through."""
    return mean + torch.exp(0.5 * log_variance) * eps


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p(x|z) = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)] per image, in nats."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def gaussian_kl(mean: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_k (μ_k² + σ_k² − log σ_k² − 1) per image, in nats."""
    return 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1).sum(dim=1)


def _log_normal(z: torch.Tensor, mean: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """log N(z; μ, σ²) summed over the last dimension."""
    return -0.5 * (math.log(2 * math.pi) + log_variance + (z - mean).pow(2) / log_variance.exp()).sum(dim=-1)


@torch.no_grad()
def importance_weighted_nll(
    model: GaussianVAE,
    x: torch.Tensor,
    samples: int,
    generator: torch.Generator | None = None,
    chunk: int = 500,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """−log p(x) per image, estimated with `samples` draws from q (Burda et al. 2016):

        log p(x) ≈ log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)

    K = 1 gives the ELBO; the estimate tightens towards −log p(x) as K grows. Draws are taken
    `chunk` at a time so K = 5000 fits in memory. A conditional model is given the `labels` y of x
    and estimates −log p(x|y).
    """
    mean, log_variance = model.posterior(x, labels)
    log_weights = []
    for start in range(0, samples, chunk):
        k = min(chunk, samples - start)
        eps = torch.randn((k, *mean.shape), generator=generator, device=mean.device)
        z = reparameterise(mean, log_variance, eps)  # (k, n, d)
        repeated = None if labels is None else labels.repeat(k)  # z.flatten(0, 1) is draw-major
        logits = model.decode_logits(z.flatten(0, 1), repeated).view(k, len(x), -1)
        log_likelihood = -F.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(dim=-1)
        log_prior = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        log_posterior = _log_normal(z, mean, log_variance)
        log_weights.append(log_likelihood + log_prior - log_posterior)
    return -(torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(samples))

"""Generative adversarial networks: generators, discriminators, the two generator losses, the
alternating update of Goodfellow et al. (2014), and the Fréchet distance between two samples.

    D loss   = −E_x[log D(x)] − E_z[log(1 − D(G(z)))]          D learns to tell real from fake
    G loss   =  E_z[log(1 − D(G(z)))]                            minimax: G minimises D's payoff
    G loss   = −E_z[log D(G(z))]                                 non-saturating: same fixed point,
                                                                 strong gradients while D wins
Discriminators return the logit l with D(x) = sigmoid(l), so log D = −softplus(−l) and
log(1 − D) = −softplus(l) are computed without ever taking the log of 0.

Given a number of classes, every network is conditional (Mirza & Osindero 2014): G(z, y) and
D(x, y) also read the one-hot label y, and the losses above hold for each y.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.models.conditioning import with_one_hot

GENERATOR_LOSSES = ("non-saturating", "minimax")
LEAK = 0.2  # LeakyReLU slope of Radford et al. (2016); keeps D's gradient alive for G everywhere


class MLPGenerator(nn.Module):
    """z -> LeakyReLU layers -> an output of `outputs` numbers: sigmoid pixels in [0, 1], or free
    coordinates (`unit_output=False`) for points in the plane.

    With `batch_norm`, every hidden layer after the first is batch-normalised: the statistics of a
    whole batch enter each sample, which keeps an image generator from sending every z to one
    digit early on (the usual MNIST recipe). With `classes` > 0 it reads [z, one_hot(y)]."""

    def __init__(
        self,
        noise: int,
        hidden: Sequence[int],
        outputs: int,
        unit_output: bool = True,
        batch_norm: bool = False,
        classes: int = 0,
    ):
        super().__init__()
        self.classes = classes
        widths = [noise + classes, *hidden]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(pairwise(widths)):
            layers.append(nn.Linear(a, b))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(b))
            layers.append(nn.LeakyReLU(LEAK))
        layers.append(nn.Linear(widths[-1], outputs))
        if unit_output:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(with_one_hot(z, y, self.classes))


class MLPDiscriminator(nn.Module):
    """x (flattened) -> LeakyReLU layers -> one logit l, D(x) = sigmoid(l).

    With `minibatch_std` (Karras et al. 2018), the last hidden layer's features h get one more
    input before the read-out, the same for every sample of the batch:

        s = mean_j sqrt( Var_batch(h_j) + 1e-8 )

    A batch of near-identical fakes has s ≈ 0 while real digits do not, so D can punish a
    generator that collapses onto a few images; D(x) of one image then depends on its batch.
    With `classes` > 0 it reads [x, one_hot(y)].
    """

    def __init__(self, inputs: int, hidden: Sequence[int], minibatch_std: bool = False, classes: int = 0):
        super().__init__()
        self.classes = classes
        widths = [inputs + classes, *hidden]
        layers: list[nn.Module] = []
        for a, b in pairwise(widths):
            layers += [nn.Linear(a, b), nn.LeakyReLU(LEAK)]
        layers.append(nn.Linear(widths[-1] + int(minibatch_std), 1))
        self.net = nn.Sequential(*layers)
        self.uses_minibatch_std = minibatch_std

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.net[:-1](with_one_hot(x.flatten(1), y, self.classes))
        if self.uses_minibatch_std:
            h = torch.cat([h, minibatch_std(h).expand(len(h), 1)], dim=1)
        return self.net[-1](h).squeeze(1)


def minibatch_std(h: torch.Tensor) -> torch.Tensor:
    """mean_j sqrt(Var_batch(h_j) + 1e-8) of a batch of feature rows, as a 1 x 1 tensor."""
    return (h.var(dim=0, unbiased=False) + 1e-8).sqrt().mean().view(1, 1)


class DCGenerator(nn.Module):
    """DCGAN's generator for 28x28 images (Radford et al. 2016, sized for MNIST):

        z -> Linear -> 64 x 7 x 7 -> ConvT 4x4 stride 2 -> 32 x 14 x 14 -> ConvT -> 1 x 28 x 28

    batch norm and ReLU between layers, a sigmoid at the end; returns flattened images. Half
    DCGAN's channel widths (`width` 32), so it trains at a few steps a second on a laptop CPU.
    With `classes` > 0 the projection reads [z, one_hot(y)].
    """

    def __init__(self, noise: int, width: int = 32, classes: int = 0):
        super().__init__()
        self.width = width
        self.classes = classes
        self.project = nn.Sequential(
            nn.Linear(noise + classes, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(with_one_hot(z, y, self.classes)).view(len(z), 2 * self.width, 7, 7)
        return self.upsample(h).flatten(1)


class DCDiscriminator(nn.Module):
    """DCGAN's discriminator for 28x28 images: strided 4x4 convolutions 1 -> 32 -> 64 channels
    (28 -> 14 -> 7) with LeakyReLU, then a linear read-out of the logit. No batch norm, so D(x)
    of one image never depends on the rest of its batch. With `classes` > 0 the label enters as
    `classes` more input maps, map k all ones where y = k (one_hot(y) at every pixel)."""

    def __init__(self, width: int = 32, classes: int = 0):
        super().__init__()
        self.classes = classes
        self.net = nn.Sequential(
            nn.Conv2d(1 + classes, width, 4, stride=2, padding=1),
            nn.LeakyReLU(LEAK),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(LEAK),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        images = x.reshape(len(x), 1, 28, 28)
        if self.classes:
            codes = with_one_hot(images.new_zeros(len(x), 0), y, self.classes)  # one_hot(y): (n, classes)
            images = torch.cat([images, codes[:, :, None, None].expand(-1, -1, 28, 28)], dim=1)
        return self.net(images).squeeze(1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """−E[log D(x)] − E[log(1 − D(G(z)))], with log D = −softplus(−l), log(1 − D) = −softplus(l)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """minimax: E[log(1 − D(G(z)))]; non-saturating: −E[log D(G(z))]."""
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"unknown generator loss {kind!r}; choose one of {', '.join(GENERATOR_LOSSES)}")


class GanTrainer:
    """A generator, a discriminator and one Adam optimiser each; the course's alternating update.

    `discriminator_step` and `generator_step` are one gradient step of one player, so a lesson
    can run k D steps per G step, or let the user press "D step" and "G step" by hand.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        learning_rate: float,
        betas: tuple[float, float] = (0.5, 0.999),
    ):
        self.generator = generator
        self.discriminator = discriminator
        self.g_optimizer = torch.optim.Adam(generator.parameters(), lr=learning_rate, betas=betas)
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=learning_rate, betas=betas)

    def set_learning_rate(self, value: float) -> None:
        for optimizer in (self.g_optimizer, self.d_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = value

    def discriminator_step(
        self, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Ascend log D(x) + log(1 − D(G(z))) by one step; G is held fixed (its output detached).
        Conditional players get the real batch's `labels`: D(x, y) and D(G(z, y), y) for the same y."""
        with torch.no_grad():
            fake = self.generator(z, labels)
        real_logits, fake_logits = self.discriminator(real, labels), self.discriminator(fake, labels)
        loss = discriminator_loss(real_logits, fake_logits)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        return {
            "d_loss": loss.detach(),
            "d_real": torch.sigmoid(real_logits).mean().detach(),
            "d_fake": torch.sigmoid(fake_logits).mean().detach(),
        }

    def generator_step(
        self, z: torch.Tensor, kind: str, labels: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Descend the generator loss by one step; only G's weights move (conditional: G(z, y)
        judged as D(G(z, y), y) for the given `labels`)."""
        loss = generator_loss(self.discriminator(self.generator(z, labels), labels), kind)
        self.g_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.g_optimizer.step()
        # D's gradients from this backward pass are never used: its next step zeroes them first.
        return {"g_loss": loss.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) (G(z, y) for conditional labels) with batch norm on its running statistics, so a
        sample never depends on its batch and showing samples never changes the model."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self.generator(z, labels)
        finally:
            self.generator.train(was_training)

    def state_dict(self) -> dict[str, dict]:
        return {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
        }

    def load_state_dict(self, state: dict[str, dict]) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a C_b)^½) between Gaussians fitted to two samples of
    feature rows (Heusel et al. 2017's FID formula, on whatever features are given).

    tr (C_a C_b)^½ = Σ √λ_i, λ_i the eigenvalues of the symmetric C_a^½ C_b C_a^½: exact and
    stable in float64 on the samples' device.
    """
    a, b = a.double(), b.double()
    mean_a, mean_b = a.mean(dim=0), b.mean(dim=0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return (mean_a - mean_b).pow(2).sum() + torch.trace(cov_a) + torch.trace(cov_b) - 2 * cross


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ between two samples of points (zero when the two
    distributions are equal; Székely & Rizzo)."""
    return 2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean()

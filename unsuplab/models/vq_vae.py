"""VQ-VAE (van den Oord et al. 2017): a convolutional encoder to a grid of vectors, each replaced by
its nearest of K codebook vectors, and a decoder that paints the image back from the codes."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class Quantised(NamedTuple):
    """What quantising a grid gives: the encoder's z_e, the chosen codes e and their indices."""

    z_e: torch.Tensor  # (n, D, h, w) encoder output
    z_q: torch.Tensor  # (n, D, h, w) nearest codebook vectors (the codebook gets the gradient)
    indices: torch.Tensor  # (n, h, w) code index k of every grid cell


class VectorQuantiser(nn.Module):
    """K code vectors e_k in R^D; each D-vector of a grid becomes its nearest e_k.

    With `ema_decay` set, the codebook is not learned by gradient: every training forward pass
    moves e_k towards the mean of the vectors assigned to it (exponential moving averages of their
    count N_k and sum m_k, e_k = m_k / N_k), the VQ-VAE paper's appendix variant.
    """

    def __init__(self, codes: int, dim: int, ema_decay: float | None = None):
        super().__init__()
        self.ema_decay = ema_decay
        # Small codes near the origin: at first every vector lands on the few nearest ones, so
        # dead codes appear and can be watched (and revived).
        self.codebook = nn.Parameter(
            torch.empty(codes, dim).uniform_(-1 / codes, 1 / codes), requires_grad=ema_decay is None
        )
        # EMA statistics start as if each code had been chosen once at its own position.
        self.register_buffer("ema_count", torch.ones(codes))
        self.register_buffer("ema_sum", self.codebook.detach().clone())

    @property
    def codes(self) -> int:
        return self.codebook.shape[0]

    def nearest(self, vectors: torch.Tensor) -> torch.Tensor:
        """k = argmin_k ‖z − e_k‖² for each row z of `vectors` (m, D)."""
        distances = (
            vectors.pow(2).sum(1, keepdim=True) - 2 * vectors @ self.codebook.T + self.codebook.pow(2).sum(1)
        )
        return distances.argmin(dim=1)

    def forward(self, z_e: torch.Tensor) -> Quantised:
        n, dim, h, w = z_e.shape
        vectors = z_e.permute(0, 2, 3, 1).reshape(-1, dim)
        indices = self.nearest(vectors)
        if self.ema_decay is not None and self.training and torch.is_grad_enabled():
            self.ema_update(vectors.detach(), indices)
        z_q = self.lookup(indices).view(n, h, w, dim).permute(0, 3, 1, 2)
        return Quantised(z_e, z_q, indices.view(n, h, w))

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """The code vectors e_k for a tensor of indices (…) → (…, D)."""
        return self.codebook[indices]

    @torch.no_grad()
    def ema_update(self, vectors: torch.Tensor, indices: torch.Tensor) -> None:
        """N_k ← γ N_k + (1 − γ) n_k,  m_k ← γ m_k + (1 − γ) Σ_{z → k} z,  e_k = m_k / N_k."""
        gamma = self.ema_decay
        counts = torch.bincount(indices, minlength=self.codes).to(vectors.dtype)
        sums = torch.zeros_like(self.ema_sum).index_add_(0, indices, vectors)
        self.ema_count.mul_(gamma).add_(counts, alpha=1 - gamma)
        self.ema_sum.mul_(gamma).add_(sums, alpha=1 - gamma)
        # An unused code's m_k and N_k fade together, so m_k / N_k stays where it was; once they
        # fade below float precision the code simply keeps its place (it is dead until revived).
        alive = (self.ema_count > 1e-20)[:, None]
        self.codebook.copy_(
            torch.where(alive, self.ema_sum / self.ema_count.clamp_min(1e-20)[:, None], self.codebook)
        )

    @torch.no_grad()
    def move_codes(self, which: torch.Tensor, vectors: torch.Tensor) -> None:
        """Put codes `which` at `vectors` (one row each), statistics included: revived codes."""
        self.codebook[which] = vectors
        self.ema_count[which] = 1.0
        self.ema_sum[which] = vectors


class VQVAE(nn.Module):
    """x (1×H×W) → conv 4×4 /2, relu → conv 4×4 /2, relu → conv 1×1 → z_e (D × H/4 × W/4)
    → nearest codes z_q → conv 3×3, relu → transposed conv ×2, relu → transposed conv ×2 → x̂."""

    def __init__(
        self,
        image_shape: tuple[int, int],
        codes: int,
        dim: int,
        channels: int = 32,
        ema_decay: float | None = None,
    ):
        super().__init__()
        if image_shape[0] % 4 or image_shape[1] % 4:
            raise ValueError(
                f"the VQ-VAE halves the image twice: {image_shape[0]}x{image_shape[1]} is not divisible by 4"
            )
        self.image_shape = tuple(image_shape)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(2 * channels, dim, 1),
        )
        self.quantiser = VectorQuantiser(codes, dim, ema_decay)
        self.decoder = nn.Sequential(
            nn.Conv2d(dim, 2 * channels, 3, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    @property
    def grid_shape(self) -> tuple[int, int]:
        return self.image_shape[0] // 4, self.image_shape[1] // 4

    def quantise(self, x: torch.Tensor) -> Quantised:
        """Encode a batch of flattened or image-shaped inputs and quantise the grid."""
        return self.quantiser(self.encoder(x.reshape(len(x), 1, *self.image_shape)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """z_q, the code vectors the decoder sees, (n, D, h, w)."""
        return self.quantise(x).z_q

    def decode(self, z_q: torch.Tensor) -> torch.Tensor:
        """Flattened images in [0, 1] painted from a grid of code vectors (n, D, h, w)."""
        return self.decoder(z_q).flatten(1)

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """Flattened images painted from a grid of code indices (n, h, w)."""
        return self.decode(self.quantiser.lookup(indices).permute(0, 3, 1, 2))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Quantised]:
        """(reconstruction, quantisation); the decoder gets z_e + sg[z_q − z_e], the
        straight-through estimator: z_q going forward, the gradient copied onto z_e going back."""
        q = self.quantise(x)
        straight_through = q.z_e + (q.z_q - q.z_e).detach()
        return self.decode(straight_through), q

    @property
    def filters(self) -> torch.Tensor:
        """The first convolution's kernels, (channels, 1, 4, 4)."""
        return self.encoder[0].weight

"""Principal component analysis and its neural cousins: exact PCA, the linear autoencoder, the
Hebb, Oja and Sanger updates, and the angles that say how close a learned basis is to PCA's."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class PrincipalComponents:
    """PCA of a data set: mean μ, components v_i (rows, unit length) and variances λ_i, by
    decreasing λ."""

    mean: torch.Tensor  # (D,)
    components: torch.Tensor  # (D, D), row i is v_i
    variances: torch.Tensor  # (D,), λ_i = v_iᵀ C v_i

    @property
    def explained_variance_ratio(self) -> torch.Tensor:
        """λ_k / Σ λ: the share of the data's variance along each component."""
        return self.variances / self.variances.sum()

    def encode(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The first k coordinates v_iᵀ (x − μ) of flattened images x."""
        return (x.flatten(1) - self.mean) @ self.components[:k].T

    def reconstruct(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """x̂ = μ + Σ_{i≤k} (v_iᵀ (x − μ)) v_i, the best rank-k linear reconstruction."""
        return self.mean + self.encode(x, k) @ self.components[:k]


def fit_pca(x: torch.Tensor) -> PrincipalComponents:
    """Exact PCA of the rows of x: C = (1/N) Σ (x−μ)(x−μ)ᵀ, then C v = λ v by `eigh`, on x's
    device. Signs are fixed (largest |entry| of each v_i positive) so runs agree everywhere."""
    x = x.flatten(1)
    mean = x.mean(dim=0)
    centred = x - mean
    covariance = centred.T @ centred / len(x)
    # eigh in float64, which the small eigenvalues of a 784x784 covariance need. Apple's MPS has
    # neither float64 nor eigh: there the D×D matrix is solved on the CPU (a fraction of a second).
    solver = torch.device("cpu") if x.device.type == "mps" else x.device
    variances, vectors = torch.linalg.eigh(covariance.to(solver, torch.float64))
    variances, vectors = variances.flip(0).clamp_min(0), vectors.flip(1).T
    peak = vectors.gather(1, vectors.abs().argmax(dim=1, keepdim=True))
    vectors = vectors * torch.sign(peak)
    return PrincipalComponents(mean, vectors.to(x.device, x.dtype), variances.to(x.device, x.dtype))


def varying_pixels(x: torch.Tensor) -> torch.Tensor:
    """A mask of the pixels whose value changes somewhere in x (the rows)."""
    x = x.flatten(1)
    return (x != x[:1]).any(dim=0)


class LinearAutoencoder(nn.Module):
    """x̂ = W₂ W₁ (x − μ) + μ: no non-linearity, μ the fixed training mean. Trained on the mean
    squared error, W₂'s columns come to span PCA's top-k subspace (Baldi & Hornik 1989).

    Weights on pixels that never vary (`varying` False, MNIST's blank border) start at 0, where
    PCA has them. Left random, training shrinks them towards 0 for ever and, after a thousand
    steps or so, into denormal floats, which made the CPU train eight times slower.
    """

    def __init__(self, pixels: int, code: int, mean: torch.Tensor, varying: torch.Tensor | None = None):
        super().__init__()
        self.encoder = nn.Linear(pixels, code, bias=False)  # W₁
        self.decoder = nn.Linear(code, pixels, bias=False)  # W₂
        self.register_buffer("mean", mean.detach().clone())
        if varying is not None:
            with torch.no_grad():
                self.encoder.weight.mul_(varying.to(self.encoder.weight))
                self.decoder.weight.mul_(varying.to(self.decoder.weight)[:, None])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1) - self.mean)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, code) for a batch of flattened or image-shaped inputs."""
        h = self.encode(x)
        return self.mean + self.decoder(h), h

    @property
    def filters(self) -> torch.Tensor:
        """The encoder rows, one per code unit."""
        return self.encoder.weight

    @property
    def basis(self) -> torch.Tensor:
        """W₂ as a (D, k) matrix: its column space is the subspace the code reconstructs in."""
        return self.decoder.weight


# -- Hebbian learning: one linear neuron y = wᵀx (or m of them, y = W x) on centred inputs x ------
# Each rule averages its per-example update over the minibatch (rows of x).


def hebb_update(w: torch.Tensor, x: torch.Tensor, lr: float) -> torch.Tensor:
    """Plain Hebb, Δw = η·y·x: "fire together, wire together". On average Δw = η C w, so w turns
    towards PC 1 but its length grows without bound."""
    y = x @ w
    return w + lr * (y @ x) / len(x)


def oja_update(w: torch.Tensor, x: torch.Tensor, lr: float) -> torch.Tensor:
    """Oja's rule, Δw = η·y·(x − y·w): Hebb plus a forgetting term that holds ‖w‖ at 1;
    w converges to ±v₁, the first principal component."""
    y = x @ w
    return w + lr * (y @ x - (y @ y) * w) / len(x)


def sanger_update(w: torch.Tensor, x: torch.Tensor, lr: float) -> torch.Tensor:
    """Sanger's generalized Hebbian algorithm, ΔW = η·(y xᵀ − LT(y yᵀ) W) with y = W x: unit i
    runs Oja's rule on what units 1..i−1 leave unexplained, so row i converges to ±v_i."""
    y = x @ w.T
    return w + lr * (y.T @ x - torch.tril(y.T @ y) @ w) / len(x)


class HebbianNeurons(nn.Module):
    """The weights three Hebbian rules learn from the same centred inputs x − μ: plain Hebb's w,
    Oja's w, and Sanger's W (m rows). Forward is Sanger's tied linear autoencoder,
    y = W (x − μ), x̂ = μ + Wᵀ y. The weights are Parameters without gradients: local rules,
    not back-propagation, change them. They start small and random on the pixels that vary
    (`varying`) and at 0 elsewhere, for the reason `LinearAutoencoder` gives."""

    def __init__(
        self,
        pixels: int,
        components: int,
        mean: torch.Tensor,
        varying: torch.Tensor | None = None,
        initial_norm: float = 0.1,
    ):
        super().__init__()
        varying = torch.ones(pixels, dtype=torch.bool) if varying is None else varying.cpu()

        def small_random(*shape: int) -> nn.Parameter:
            w = torch.randn(*shape) * varying
            w = initial_norm * w / w.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            return nn.Parameter(w, requires_grad=False)

        self.register_buffer("mean", mean.detach().clone())
        self.hebb = small_random(pixels)
        self.oja = small_random(pixels)
        self.sanger = small_random(components, pixels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.mean) @ self.sanger.T

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sanger's (reconstruction, code) for a batch of flattened or image-shaped inputs."""
        y = self.encode(x)
        return self.mean + y @ self.sanger, y

    @property
    def filters(self) -> torch.Tensor:
        """Sanger's weight vectors w_i, one row per output unit."""
        return self.sanger


# -- how close a learned basis is to PCA's ------------------------------------------------------------


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles in degrees, ascending, between the column spaces of a (D, p) and b (D, q).

    With orthonormal bases Q_a, Q_b the cosines are the singular values of Q_aᵀ Q_b and the sines
    those of Q_b − Q_a Q_aᵀ Q_b; atan2 of the two is accurate for small and large angles alike.
    """
    if b.shape[1] > a.shape[1]:
        a, b = b, a
    qa, qb = torch.linalg.qr(a).Q, torch.linalg.qr(b).Q
    overlap = qa.T @ qb
    cosines = torch.linalg.svdvals(overlap)  # descending: smallest angle first
    sines = torch.linalg.svdvals(qb - qa @ overlap).flip(0)  # ascending: smallest angle first
    return torch.rad2deg(torch.atan2(sines, cosines))


def vector_angles(w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Angle in degrees between each row of w and the same row of v, ignoring sign (±v_i are the
    same component): atan2(‖w − (w·v̂)v̂‖, |w·v̂|), accurate near 0°."""
    w, v = w.reshape(-1, w.shape[-1]), v.reshape(-1, v.shape[-1])
    v_unit = v / v.norm(dim=1, keepdim=True)
    along = (w * v_unit).sum(dim=1)
    across = (w - along[:, None] * v_unit).norm(dim=1)
    return torch.rad2deg(torch.atan2(across, along.abs()))

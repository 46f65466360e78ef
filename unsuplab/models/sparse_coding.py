"""Sparse coding (Olshausen & Field): codes by FISTA, a batched Lasso, and dictionary updates.

For a dictionary D whose k rows are unit-norm atoms φ_i (each p pixels) and patches x (rows):

    E(a) = ½‖x − a D‖² + λ‖a‖₁        (the same scaling as scikit-learn's alpha)

Codes: FISTA (Beck & Teboulle 2009) from a = 0 with step 1/L, L the largest eigenvalue of the
Gram matrix G = D Dᵀ (found by power iteration on the device):

    a⁺ = S_{λ/L}(y − (1/L)(y G − x Dᵀ)),   S_τ(z) = sign(z)·max(|z| − τ, 0)
    t⁺ = (1 + √(1 + 4t²)) / 2,             y⁺ = a⁺ + ((t − 1)/t⁺)(a⁺ − a)

Dictionary, with the codes held fixed, either
- "gradient" (Olshausen & Field): D ← D + η·Aᵀ(X − A D)/n, then every atom back to unit norm; or
- "block-coordinate" (Mairal, Bach, Ponce & Sapiro 2009, scikit-learn's update): running sums
  M = Σ aᵀa and B = Σ aᵀx, and for each atom in turn the exact minimiser with the others fixed,
  φ_j ← φ_j + (B_j − M_j D)/M_jj, renormalised to unit norm.
"""

from __future__ import annotations

import math

import torch

#: Power iterations give a Rayleigh quotient a little below the largest eigenvalue; a step of
#: 1/L with L that small can make FISTA overshoot, so L is taken this much larger.
LIPSCHITZ_MARGIN = 1.05


def soft_threshold(z: torch.Tensor, threshold: torch.Tensor | float) -> torch.Tensor:
    """S_τ(z) = sign(z)·max(|z| − τ, 0), the proximal step of τ‖·‖₁."""
    return torch.sign(z) * torch.clamp(z.abs() - threshold, min=0.0)


def largest_eigenvalue(gram: torch.Tensor, iterations: int = 50) -> torch.Tensor:
    """The largest eigenvalue of a symmetric positive semi-definite matrix by power iteration
    (a 0-d tensor on its device; no host sync)."""
    v = torch.ones(gram.shape[0], dtype=gram.dtype, device=gram.device)
    for _ in range(iterations):
        v = gram @ v
        v = v / v.norm().clamp_min(1e-30)
    return v @ (gram @ v)


def lipschitz_constant(dictionary: torch.Tensor) -> torch.Tensor:
    """L ≥ the largest eigenvalue of D Dᵀ: the gradient of ½‖x − a D‖² is L-Lipschitz in a."""
    return LIPSCHITZ_MARGIN * largest_eigenvalue(dictionary @ dictionary.T)


def fista(
    x: torch.Tensor,
    dictionary: torch.Tensor,
    lam: float,
    iterations: int,
    *,
    mask: torch.Tensor | None = None,
    lipschitz: torch.Tensor | None = None,
) -> torch.Tensor:
    """Codes a (n, k) minimising ½‖m ⊙ (x − a D)‖² + λ‖a‖₁ for every row x of (n, p), by a fixed
    number of FISTA steps from a = 0. `mask` (n, p) of 0/1 marks the observed pixels (inpainting);
    without it every pixel counts and the gradient uses the Gram matrix, k x k instead of p x k."""
    if mask is None:
        gram, correlation = dictionary @ dictionary.T, x @ dictionary.T

        def gradient(y: torch.Tensor) -> torch.Tensor:
            return y @ gram - correlation
    else:

        def gradient(y: torch.Tensor) -> torch.Tensor:
            return ((y @ dictionary - x) * mask) @ dictionary.T

    # A mask only removes terms, so L for the full objective bounds the masked one too.
    step = 1.0 / (lipschitz if lipschitz is not None else lipschitz_constant(dictionary))
    a = torch.zeros(len(x), len(dictionary), dtype=x.dtype, device=x.device)
    y, t = a, 1.0
    for _ in range(iterations):
        a_next = soft_threshold(y - step * gradient(y), lam * step)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        y = a_next + ((t - 1.0) / t_next) * (a_next - a)
        a, t = a_next, t_next
    return a


def objective_terms(
    x: torch.Tensor, dictionary: torch.Tensor, codes: torch.Tensor, lam: float
) -> dict[str, torch.Tensor]:
    """Per-patch means of E = ½‖x − a D‖² + λ‖a‖₁ and its two terms, and the non-zeros per code."""
    reconstruction = 0.5 * (x - codes @ dictionary).pow(2).sum(dim=1).mean()
    penalty = lam * codes.abs().sum(dim=1).mean()
    return {
        "loss": reconstruction + penalty,
        "reconstruction": reconstruction,
        "sparsity_penalty": penalty,
        "nonzeros": (codes != 0).sum(dim=1).float().mean(),
    }


def unit_atoms(dictionary: torch.Tensor) -> torch.Tensor:
    """Every row scaled to unit norm: without it the L1 term shrinks codes by growing atoms."""
    return dictionary / dictionary.norm(dim=1, keepdim=True).clamp_min(1e-12)


def random_dictionary(
    atoms: int, pixels: int, generator: torch.Generator, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """`atoms` unit-norm rows of Gaussian noise: a dictionary that knows nothing yet."""
    return unit_atoms(torch.randn(atoms, pixels, generator=generator, device=device))


def gradient_update(
    dictionary: torch.Tensor, x: torch.Tensor, codes: torch.Tensor, learning_rate: float
) -> torch.Tensor:
    """Olshausen & Field's step on ½‖X − A D‖²/n with the codes fixed, then unit-norm atoms."""
    residual = x - codes @ dictionary
    return unit_atoms(dictionary + learning_rate * codes.T @ residual / len(x))


def block_coordinate_update(
    dictionary: torch.Tensor, code_products: torch.Tensor, code_data_products: torch.Tensor
) -> torch.Tensor:
    """Mairal et al.'s pass over the atoms: φ_j ← φ_j + (B_j − M_j D)/M_jj, unit norm, in turn,
    with M = Σ aᵀa (k, k) and B = Σ aᵀx (k, p) summed over the codes seen so far."""
    dictionary = dictionary.clone()
    # An atom no code has used has M_jj = 0 and B_j = M_j = 0: it stays where it is.
    usage = code_products.diagonal().clamp_min(1e-12)
    for j in range(len(dictionary)):
        correction = (code_data_products[j] - code_products[j] @ dictionary) / usage[j]
        atom = dictionary[j] + correction
        dictionary[j] = atom / atom.norm().clamp_min(1e-12)
    return dictionary


def image_patches(image: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    """Every size x size window of a (h, w) image, `stride` apart, as rows (n, size²); the last
    row and column of windows touch the image's far edges so every pixel is covered."""
    h, w = image.shape
    tops, lefts = _window_starts(h, size, stride), _window_starts(w, size, stride)
    rows = tops[:, None, None, None] + torch.arange(size, device=image.device)[:, None]
    columns = lefts[None, :, None, None] + torch.arange(size, device=image.device)
    return image[rows, columns].reshape(-1, size * size)


def average_patches(patches: torch.Tensor, shape: tuple[int, int], size: int, stride: int) -> torch.Tensor:
    """The image whose every pixel is the mean of the patches (as from `image_patches`) that
    cover it: the usual way to put overlapping patch reconstructions back together."""
    h, w = shape
    tops = _window_starts(h, size, stride)
    lefts = _window_starts(w, size, stride)
    offsets = torch.arange(size, device=patches.device)
    flat = (
        (tops[:, None, None, None] + offsets[:, None]) * w + lefts[None, :, None, None] + offsets
    ).reshape(-1)
    total = torch.zeros(h * w, dtype=patches.dtype, device=patches.device)
    count = torch.zeros(h * w, dtype=patches.dtype, device=patches.device)
    total.index_add_(0, flat, patches.reshape(-1))
    count.index_add_(0, flat, torch.ones_like(flat, dtype=patches.dtype))
    return (total / count).reshape(h, w)


def _window_starts(length: int, size: int, stride: int) -> torch.Tensor:
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return torch.tensor(starts)


def restore_image(
    image: torch.Tensor,
    pixel_dictionary: torch.Tensor,
    lam: float,
    iterations: int,
    size: int,
    *,
    observed: torch.Tensor | None = None,
    stride: int = 1,
) -> torch.Tensor:
    """Denoise or inpaint a (h, w) image with a dictionary of pixel-space atoms (k, size²): code
    every overlapping patch, less its mean, by FISTA on the observed pixels (`observed`, 0/1 of
    the image's shape; all when None), reconstruct it, add the mean back and average."""
    patches = image_patches(image, size, stride)
    if observed is None:
        mask, mean = None, patches.mean(dim=1, keepdim=True)
    else:
        mask = image_patches(observed.to(image.dtype), size, stride)
        mean = (patches * mask).sum(dim=1, keepdim=True) / mask.sum(dim=1, keepdim=True).clamp_min(1)
    centred = patches - mean if mask is None else (patches - mean) * mask
    codes = fista(centred, pixel_dictionary, lam, iterations, mask=mask)
    return average_patches(codes @ pixel_dictionary + mean, tuple(image.shape), size, stride)

"""Contractive autoencoder (Rifai et al. 2011): penalise how far the code moves when the input moves.

    h  = sigmoid(W x + b)
    x̂  = sigmoid(W' h + b')
    J  = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]  +  λ ‖∂h/∂x‖²_F
    ‖∂h/∂x‖²_F = Σ_i (h_i (1 − h_i))² Σ_j W_ij²          exact for a sigmoid encoder

The penalty wants a code that ignores its input; the reconstruction wants one that follows it.
They settle on a code that is flat in almost every direction, and moves only along the few in
which digits really vary: the singular values of ∂h/∂x fall off steeply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from unsuplab.core.config import param
from unsuplab.core.payloads import Curves, ImageGrid, Payload
from unsuplab.core.registry import register
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)

TANGENTS_SHOWN = 8  # leading right singular vectors of ∂h/∂x at one digit


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    contraction: float = param(
        1.0,
        "λ, the weight of the penalty λ‖∂h/∂x‖²_F. 0 gives a plain "
        "autoencoder; large values flatten the code. Can change while "
        "training.",
        low=0.0,
        high=100.0,
        live=True,
        label="Contraction weight λ",
    )
    code_size: int = param(
        196,
        "Hidden units h = sigmoid(W x + b); 196 as in the sparse and "
        "denoising lessons, so the filters compare.",
        low=1,
        high=4096,
    )
    learning_rate: float = learning_rate_field(3e-3)
    batch_size: int = batch_size_field(128)


def jacobian_norm_squared(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """‖∂h/∂x‖²_F of h = sigmoid(W x + b), one value per row of h."""
    return (h * (1 - h)).pow(2) @ weight.pow(2).sum(dim=1)


@register
class ContractiveAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "contractive-autoencoder"
    title = "Contractive autoencoder"
    group = "Autoencoders"
    summary = "Make the code insensitive to its input, λ‖∂h/∂x‖², except along the digits' manifold."
    Config = Config
    activation = "sigmoid"
    curves = {
        "Cross-entropy per image": ("reconstruction", "heldout_reconstruction"),
        "Contraction ‖∂h/∂x‖²_F per image": ("contraction", "heldout_contraction"),
    }
    presets = {
        "λ = 0": {"contraction": 0.0},
        "λ = 3": {"contraction": 3.0},
        "λ = 10": {"contraction": 10.0},
    }

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        reconstruction = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
        contraction = jacobian_norm_squared(h, self.model.filters).mean()
        return {
            "loss": reconstruction + self.config.contraction * contraction,
            "reconstruction": reconstruction,
            "contraction": contraction,
        }

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        values, tangents = jacobian_spectrum(
            self.model.encode(self.test_x[self.probe_index]), self.model.filters, TANGENTS_SHOWN
        )
        k = np.arange(1, values.shape[1] + 1)
        panels["jacobian_spectrum"] = Curves(
            "Singular values of ∂h/∂x, mean over held-out digits",
            {"singular value": (k, values.mean(dim=0).cpu().numpy())},
            log_y=True,
            y_label="σ_k",
            x_label="k (largest first)",
        )
        panels["tangents"] = ImageGrid(
            f"Directions the code follows at a held-out {self.test_labels[self.probe_index[0]]}",
            tangents.cpu().numpy().reshape(-1, *self.image_shape),
            "symmetric",
            columns=TANGENTS_SHOWN,
        )
        return panels


def jacobian_spectrum(
    h: torch.Tensor, weight: torch.Tensor, tangents: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Singular values of J = ∂h/∂x = diag(h(1−h)) W at each row of h, largest first, and the
    first row's leading right singular vectors (unit input directions, sign fixed so the picture
    does not flicker). Through J Jᵀ = diag(s) W Wᵀ diag(s), code × code, not an SVD of J."""
    slopes = h * (1 - h)
    gram = slopes.unsqueeze(2) * (weight @ weight.T) * slopes.unsqueeze(1)
    rank = min(weight.shape)
    values = torch.linalg.eigvalsh(gram).flip(1)[:, :rank].clamp(min=1e-12).sqrt()
    u = torch.linalg.eigh(gram[0]).eigenvectors.flip(1)[:, :tangents]  # eigh sorts ascending
    v = u.T @ (slopes[0].unsqueeze(1) * weight)  # Jᵀ u_k = σ_k v_k
    v = v / v.norm(dim=1, keepdim=True).clamp(min=1e-12)
    peaks = v.gather(1, v.abs().argmax(dim=1, keepdim=True))
    return values, v * peaks.sign()

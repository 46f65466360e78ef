"""Sparse autoencoder: the lecture's cost with a penalty on the hidden activations a = f(W x + b).

    J = ½ Σ_j (x_hat_j − x_j)²  +  β · Σ_i a_i          + (λ/2) Σ W²     (L1 penalty, the lecture's)
    J = ½ Σ_j (x_hat_j − x_j)²  +  β · Σ_i KL(ρ ‖ ρ̂_i)  + (λ/2) Σ W²     (KL target, UFLDL's)
    KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂)),  ρ̂_i = mean activation of unit i

Few units fire for each digit, so each unit has to stand for a part: a stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.registry import register
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
    weight_decay_field,
    weight_decay_term,
)


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    code_size: int = param(
        196,
        "Hidden units a = f(W x + b). A sparse code may be wide: the "
        "penalty, not the width, keeps it from copying the input.",
        low=1,
        high=4096,
    )
    activation: str = param(
        "sigmoid",
        "Hidden non-linearity f; sigmoid keeps a in (0, 1) so a target ρ makes sense.",
        choices=("sigmoid", "relu"),
    )
    penalty: str = param(
        "l1",
        "l1: β·Σ a_i (the lecture). kl: β·Σ KL(ρ‖ρ̂_i), pulls each unit's mean activation ρ̂_i towards ρ.",
        choices=("l1", "kl"),
    )
    sparsity_beta: float = param(
        0.1,
        "β, the weight of the sparsity penalty in J. 0 gives a plain autoencoder.",
        low=0.0,
        high=100.0,
        live=True,
    )
    sparsity_target: float = param(
        0.05, "ρ, the mean activation each unit should have (kl penalty only).", low=1e-4, high=0.9999
    )
    weight_decay: float = weight_decay_field(3e-3)
    learning_rate: float = learning_rate_field(3e-3)
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        if self.penalty == "kl" and self.activation != "sigmoid":
            raise ConfigError(
                "penalty", "the KL target needs activations in (0, 1); choose activation = sigmoid"
            )


@register
class SparseAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "sparse-autoencoder"
    title = "Sparse autoencoder"
    group = "Autoencoders"
    summary = "Penalise hidden activity, β·Σa, and the filters turn into pen strokes."
    Config = Config
    #: The plain autoencoder (β = 0) against the sparse one (the default β).
    comparisons = {"β = 0 vs β = 0.1 (plain vs sparse)": {"sparsity_beta": (0.0, 0.1)}}
    curves = {
        "Cost J and its terms (per image)": (
            "loss",
            "heldout_loss",
            "reconstruction",
            "heldout_reconstruction",
        ),
        "Mean hidden activation (sparsity)": ("mean_activation", "heldout_mean_activation"),
    }

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, a: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.config
        reconstruction = 0.5 * (x_hat - x).pow(2).sum(dim=1).mean()
        if cfg.penalty == "l1":
            penalty = cfg.sparsity_beta * a.sum(dim=1).mean()
        else:
            rho, rho_hat = cfg.sparsity_target, a.mean(dim=0).clamp(1e-6, 1 - 1e-6)
            kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
            penalty = cfg.sparsity_beta * kl.sum()
        decay = weight_decay_term(self.model, cfg.weight_decay)
        return {
            "loss": reconstruction + penalty + decay,
            "reconstruction": reconstruction,
            "sparsity_penalty": penalty,
            "mean_activation": a.mean(),
        }

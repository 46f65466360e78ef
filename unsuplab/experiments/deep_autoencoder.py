"""Deep autoencoder 784-1000-500-250-30 against PCA with 30 components (Hinton & Salakhutdinov 2006).

    h  = W₄ f(W₃ f(W₂ f(W₁ x + b₁) + b₂) + b₃) + b₄      hidden units f, a linear 30-number code
    x̂  = σ(W′₁ f(W′₂ f(W′₃ f(W′₄ h + c₄) + c₃) + c₂) + c₁)  the mirrored decoder, logistic output
    f(a) = max(0, a) (relu), or the paper's σ(a) = 1/(1 + e⁻ᵃ)
    L  = −mean_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]      cross-entropy, trained by Adam
    PCA-30:  x̂ = μ + V Vᵀ (x − μ),  V = the top 30 eigenvectors of Σ_n (x_n − μ)(x_n − μ)ᵀ
    compared by the squared error per image  E = Σ_j (x̂_j − x_j)²

PCA is the best *linear* 30-number code; a deep network can bend its code around the digits. In
the 2006 paper, whose layers were pretrained as RBMs, it reconstructed test digits with about a
fifth of PCA's error. Here Adam trains the whole network directly from random weights, with relu
units, which pass PCA within a couple of minutes; with the paper's logistic units it creeps (why
pretraining was needed): one setting away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.core.config import MAX_WIDTH, param
from unsuplab.core.payloads import Payload, Table
from unsuplab.core.registry import register
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    check_code_width,
    data_file_field,
    dataset_field,
    learning_rate_field,
    parse_widths,
)
from unsuplab.models import autoencoders
from unsuplab.models.pca import fit_pca

SHOWN_FILTERS = 100  # first-layer units in the filter panel; all 1000 would be too small to read
#: The figure this lesson and `pca` share, so a comparison of the two overlays it in one panel.
SQUARED_ERROR_CURVES = "Squared error per image Σ(x̂ − x)²"


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    hidden_sizes: str = param(
        "1000,500,250",
        "Widths of the logistic layers between the pixels "
        "and the code, input side first; the decoder mirrors them. The "
        "paper's 1000,500,250 is slow on a laptop: try 512,256,128.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    code_size: int = param(
        30,
        "Width of the linear code h, and the number of principal components of the PCA it is compared with.",
        low=1,
        high=4096,
    )
    activation: str = param(
        "relu",
        "Hidden units: relu max(0, a), which trains from random weights in "
        "minutes, or sigmoid σ(a) = 1/(1 + e⁻ᵃ) as in the paper, which without the paper's "
        "pretraining creeps.",
        choices=("sigmoid", "relu"),
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(32)  # more, cheaper steps: lower error per CPU second

    def check(self) -> None:
        parse_widths("hidden_sizes", self.hidden_sizes)
        check_code_width(self)


def squared_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """E = Σ_j (x̂_j − x_j)², one value per image."""
    return (x_hat - x).pow(2).sum(dim=1)


@register
class DeepAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "deep-autoencoder"
    title = "Deep autoencoder vs PCA"
    group = "Autoencoders"
    summary = "784-1000-500-250-30 against PCA-30: can a deep code beat the best linear one?"
    Config = Config
    curves = {
        SQUARED_ERROR_CURVES: (
            "squared_error",
            "heldout_squared_error",
            "heldout_pca_squared_error",
        ),
        "Cross-entropy per pixel (minimised)": ("loss", "heldout_loss"),
    }
    reconstruction_row_labels = ("input", "reconstruction", "PCA")
    codes_from_evaluation = True  # 500 codes through a 1000-wide encoder cost a training step
    presets = {
        "ReLU units": {"activation": "relu"},
        "Smaller: 256,128": {"hidden_sizes": "256,128", "code_size": 30},
        "2-D code": {"code_size": 2},
    }

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        first = parse_widths("hidden_sizes", self.config.hidden_sizes)[0]
        return (min(SHOWN_FILTERS, first), 28, 28)

    def make_model(self, pixels: int) -> nn.Module:
        cfg = self.config
        return autoencoders.DeepAutoencoder(
            pixels, parse_widths("hidden_sizes", cfg.hidden_sizes), cfg.code_size, cfg.activation
        )

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": F.binary_cross_entropy(x_hat, x), "squared_error": squared_error(x_hat, x).mean()}

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        # Exact PCA of the same training images; it does not train, so its errors are computed
        # once and drawn as a constant reference.
        self.pca = fit_pca(self.train_x)
        self.pca_errors = squared_error(self.pca_reconstruction(self.test_x), self.test_x)
        self.heldout_pca_error = float(self.pca_errors.mean())
        self.heldout_ae_error = float("nan")  # until the first evaluation

    def pca_reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """x̂ = μ + V Vᵀ (x − μ) with the top `code_size` principal axes V."""
        return self.pca.reconstruct(x, self.config.code_size)

    def filter_images(self) -> np.ndarray:
        shown = self.model.filters[:SHOWN_FILTERS]
        return shown.detach().cpu().numpy().reshape(-1, *self.image_shape)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = super().evaluate()
        self.heldout_ae_error = metrics["heldout_squared_error"]
        metrics["heldout_pca_squared_error"] = self.heldout_pca_error
        return metrics

    def reconstruction_rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        rows = super().reconstruction_rows(index)
        pca = self.pca_reconstruction(self.test_x[index]).clamp(0, 1)  # PCA overshoots [0, 1]
        rows["PCA"] = pca.cpu().numpy().reshape(-1, *self.image_shape)
        return rows

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        k = self.config.code_size
        shown = len(panels["filters"].images)
        panels["filters"].title = f"First-layer filters x_j = w_ij / ‖w_i‖ (the first {shown} units)"
        deep = f"deep autoencoder ({self.architecture})"
        panels["reconstructions"].title = f"Held-out digits: input | {deep} | PCA with {k} components"
        panels["errors"] = self.error_table()
        return panels

    @property
    def architecture(self) -> str:
        cfg = self.config
        return "-".join(
            str(w) for w in (28 * 28, *parse_widths("hidden_sizes", cfg.hidden_sizes), cfg.code_size)
        )

    def error_table(self) -> Table:
        """Σ(x̂ − x)² of the deep autoencoder and PCA for each probe digit and the held-out mean."""
        x = self.test_input[self.probe_index]
        ae_errors = squared_error(self.model(x)[0], self.test_x[self.probe_index]).cpu().numpy()
        pca_errors = self.pca_errors[self.probe_index].cpu().numpy()
        k = self.config.code_size
        # Short cells: the table is a narrow strip of the window.
        rows: list[list[Any]] = [
            [f"a {self.test_labels[i]}", float(ae), float(pca)]
            for i, ae, pca in zip(self.probe_index, ae_errors, pca_errors, strict=True)
        ]
        rows.append([f"mean of {len(self.test_x)}", self.heldout_ae_error, self.heldout_pca_error])
        return Table(
            f"Squared error Σ(x̂ − x)² of held-out digits: deep AE vs PCA-{k}",
            ["digit", "deep AE", f"PCA-{k}"],
            rows,
        )

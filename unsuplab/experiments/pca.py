"""Principal component analysis: the linear autoencoder solved exactly, beside one that learns it.

C      = (1/N) Σ_n (x_n − μ)(x_n − μ)ᵀ          covariance of the training images
C v_i  = λ_i v_i,   λ_1 ≥ λ_2 ≥ …              eigen-images v_i, variances λ_i (no training)
share of variance along v_k = λ_k / Σ_i λ_i
x̂      = μ + Σ_{i≤k} (v_iᵀ (x − μ)) v_i        reconstruction from the first k components

Linear autoencoder  x̂ = W₂ W₁ (x − μ) + μ,  L = (1/D) Σ_j (x̂_j − x_j)²,  trained by Adam:
at its optimum span(W₂) = span(v_1 … v_k) (Baldi & Hornik 1989) — the largest principal
angle between the two subspaces falls towards 0°.

Held-out error also as the squared error per image  E = Σ_j (x̂_j − x_j)² = D·L, the deep
autoencoder's figure: `unsuplab compare pca,deep-autoencoder` draws both lessons on one axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.payloads import Curves, ImageGrid, PairedRows, Payload, Scatter
from unsuplab.core.registry import register
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    check_code_width,
    data_file_field,
    dataset_field,
    learning_rate_field,
)
from unsuplab.experiments._pca_reference import PCAReferenceLesson, subscript
from unsuplab.experiments.deep_autoencoder import SQUARED_ERROR_CURVES, squared_error
from unsuplab.models.pca import LinearAutoencoder, principal_angles, varying_pixels

EIGEN_IMAGES = 64  # components in the eigen-image panel


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    k: int = param(
        16,
        "Components in PCA's reconstruction x̂ = μ + Σ_{i≤k} (v_iᵀ(x − μ)) v_i, "
        "1 up to the number of pixels. Change it while training: PCA needs no "
        "retraining, the reconstructions follow at once.",
        low=1,
        high=4096,
        live=True,
        label="PCA components k",
    )
    code_size: int = param(
        16,
        "Code units of the linear autoencoder x̂ = W₂ W₁ (x − μ) + μ, "
        "fixed for the run (its weights have this shape); its held-out MSE "
        "is compared with PCA's at the same number of components.",
        low=1,
        high=4096,
        label="Autoencoder code size",
    )
    learning_rate: float = learning_rate_field(2e-3)
    batch_size: int = batch_size_field(256)

    def check(self) -> None:
        check_code_width(self)
        shape = IMAGE_SHAPES.get(self.dataset) if not self.data_file else None
        if shape is not None and self.k > shape[0] * shape[1]:
            raise ConfigError(
                "k", f"{self.k} components, but a {shape[0]}x{shape[1]} image has only {shape[0] * shape[1]}"
            )


@register
class PrincipalComponentAnalysis(GradientTrained, PCAReferenceLesson):
    name = "pca"
    title = "Principal component analysis"
    group = "Classical"
    summary = "Eigen-images of the digits, and a linear autoencoder that finds the same subspace."
    Config = Config
    curves = {
        # PCA's line uses as many components as the autoencoder has code units.
        "Held-out MSE: linear AE vs PCA": ("loss", "heldout_loss", "heldout_pca_loss"),
        "Largest principal angle to PCA (degrees)": ("principal_angle",),
        SQUARED_ERROR_CURVES: ("squared_error", "heldout_squared_error", "heldout_pca_squared_error"),
    }
    model_name = "linear autoencoder"
    presets = {
        "Learning rate 0.0005": {"learning_rate": 0.0005},
        "2-D code, k = 2": {"code_size": 2, "k": 2},
        "8×8 digits": {"dataset": "digits"},
    }

    def make_model(self, pixels: int) -> LinearAutoencoder:
        return LinearAutoencoder(
            pixels, self.config.code_size, mean=self.train_x.mean(dim=0), varying=varying_pixels(self.train_x)
        )

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        # L = (1/D) Σ_j (x̂_j − x_j)² is minimised; E = Σ_j (x̂_j − x_j)² is the same error per image.
        return {"loss": (x_hat - x).pow(2).mean(), "squared_error": squared_error(x_hat, x).mean()}

    @property
    def pca_rank(self) -> int:
        return min(self.config.k, len(self.pca.variances))

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        # PCA is fixed once computed: its pictures are made here, not at every snapshot.
        count = min(EIGEN_IMAGES, len(self.pca.variances))
        self.eigen_images = self.pca.components[:count].cpu().numpy().reshape(-1, *self.image_shape)
        self.variance_ratio = self.pca.explained_variance_ratio.cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        # Two D×k matrices, once a second: the CPU does it on every device (MPS has no QR).
        top_components = self.pca.components[: self.config.code_size].T.cpu()
        angles = principal_angles(self.model.basis.cpu(), top_components)
        return {
            **super().evaluate(),
            "principal_angle": float(angles.max()),
            # PCA's E: its mean squared error per pixel times the pixels of an image.
            "heldout_pca_squared_error": self.pca_heldout_loss * self.train_x.shape[1],
        }

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        k, code = self.pca_rank, self.config.code_size
        return {
            "components": ImageGrid(
                f"Eigen-images v₁ … v{subscript(len(self.eigen_images))}, by decreasing λ",
                self.eigen_images,
                "filter",
                caption="C vᵢ = λᵢ vᵢ: the directions in which the training images vary most, first to last.",
            ),
            "explained_variance": self.explained_variance(k),
            "reconstructions": PairedRows(
                f"Held-out images: linear AE ({code} units) and PCA (k = {k})",
                self.reconstruction_rows(self.probe_index),
            ),
            "latent": self.latent_map(),
            "filters": ImageGrid(
                "Linear AE's filters (rows of W₁)",
                self.filter_images(),
                "filter",
                caption=f"Mixtures of the top {code} eigen-images, not the "
                "eigen-images themselves. The speckles at the rim sit on pixels "
                "that are almost always blank: the loss hardly constrains them.",
            ),
        }

    def explained_variance(self, k: int) -> Curves:
        """λ_k / Σλ and its running sum against k, with a vertical line at the current k; drawn
        up to the components that hold 95 % of the variance (or to k), where the story is."""
        cumulative = np.cumsum(self.variance_ratio)
        shown = max(k, int(np.searchsorted(cumulative, 0.95)) + 1)
        components = np.arange(1, shown + 1, dtype=np.float64)
        return Curves(
            f"Explained variance (k = {k} keeps {cumulative[k - 1]:.1%})",
            {
                "explained_variance_ratio": (components, self.variance_ratio[:shown]),
                "cumulative": (components, cumulative[:shown]),
                "current_k": (np.array([k, k], dtype=np.float64), np.array([0.0, 1.0])),
            },
            y_label="share of the variance",
            x_label="component k",
        )

    def held_out_codes(self) -> torch.Tensor:
        """PCA's first k coordinates of the held-out images (what the t-SNE probe maps)."""
        return self.pca.encode(self.test_x[self.latent_index], self.pca_rank)

    def latent_map(self) -> Scatter:
        points = self.pca.encode(self.test_x[self.latent_index], 2)
        return Scatter(
            "Held-out images on PC 1 and PC 2",
            points.cpu().numpy(),
            self.test_labels[self.latent_index],
            self.thumbnails,
            "PC 1:  v₁ᵀ(x − μ)",
            "PC 2:  v₂ᵀ(x − μ)",
        )

"""Hebbian learning: three local rules on the same stream of centred images, beside exact PCA.

    x = image − μ (centred),  y = wᵀ x              one linear neuron
    Hebb     Δw = η · y · x                          turns towards PC 1, but ‖w‖ grows for ever
    Oja      Δw = η · y · (x − y · w)                converges to ±v₁, the first PC, with ‖w‖ = 1
    Sanger   ΔW = η · (y xᵀ − LT(y yᵀ) W),  y = W x  row i converges to ±v_i, i = 1 … m
             LT: the lower triangle, diagonal included — unit i subtracts what units 1 … i
             already explain, so unit 1 runs Oja's rule and the others deflate in turn.

Each update is averaged over a minibatch; no gradient, no loss is minimised. The held-out loss is
Sanger's reconstruction error x̂ = μ + Wᵀ W (x − μ), which falls to PCA's as W finds v₁ … v_m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unsuplab.core.config import param
from unsuplab.core.payloads import Curves, ImageGrid, PairedRows, Payload
from unsuplab.core.registry import register
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    check_code_width,
    data_file_field,
    dataset_field,
)
from unsuplab.experiments._pca_reference import PCAReferenceLesson, subscript
from unsuplab.models.pca import (
    HebbianNeurons,
    hebb_update,
    oja_update,
    sanger_update,
    varying_pixels,
    vector_angles,
)
from unsuplab.viz.images import filters_as_images

#: Plain Hebb's weights stop changing once ‖w‖ passes this: the curve has made its point, and
#: a few hundred steps more would overflow to inf.
HEBB_NORM_LIMIT = 1e6


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    code_size: int = param(
        8,
        "Sanger's output units m: y = W (x − μ) with W of m rows, which "
        "converge to PCA's first m components v₁ … v_m.",
        low=1,
        high=4096,
        label="Sanger components m",
    )
    learning_rate: float = param(
        0.03,
        "η in all three rules, each averaged over the minibatch: "
        "Hebb Δw = η·y·x, Oja Δw = η·y·(x − y·w), Sanger ΔW = η·(y xᵀ − "
        "LT(y yᵀ) W). Can change while training: a larger η learns "
        "faster but jitters more, and near 2/λ₁ (0.4 for MNIST) Oja and "
        "Sanger diverge.",
        low=1e-5,
        high=1.0,
        log=True,
        live=True,
        label="Learning rate η",
    )
    batch_size: int = batch_size_field(256)

    def check(self) -> None:
        check_code_width(self)


@register
class HebbianPCA(PCAReferenceLesson):
    name = "hebbian-pca"
    title = "Hebbian learning and PCA"
    group = "Classical"
    summary = "Hebb's rule blows up; Oja's finds the first principal component, Sanger's the first m."
    Config = Config
    curves = {
        # 0 is ‖w‖ = 1; Sanger's is the mean over its m rows.
        "Weight length log₁₀ ‖w‖ (Hebb stops at 6)": (
            "hebb_log10_norm",
            "oja_log10_norm",
            "sanger_log10_norm",
        ),
        # Hebb, Oja and Sanger's w₁ against v₁; Sanger's mean over its m rows against v₁ … v_m.
        "Angle to PCA's component (degrees)": (
            "hebb_angle",
            "oja_angle",
            "sanger_angle_1",
            "sanger_mean_angle",
        ),
        "Held-out MSE: Sanger vs PCA (m components)": ("loss", "heldout_loss", "heldout_pca_loss"),
    }
    # Hebb's norm is meant to explode (and is capped); Oja's or Sanger's exploding is divergence.
    guarded_metrics = ("loss", "oja_log10_norm", "sanger_log10_norm")
    model_name = "Sanger network"
    presets = {
        "η = 0.2": {"learning_rate": 0.2},
        "η = 0.5: diverges": {"learning_rate": 0.5},
        "η = 0.004": {"learning_rate": 0.004},
        "m = 16": {"code_size": 16},
    }

    def make_model(self, pixels: int) -> HebbianNeurons:
        return HebbianNeurons(
            pixels, self.config.code_size, mean=self.train_x.mean(dim=0), varying=varying_pixels(self.train_x)
        )

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Sanger's reconstruction error (1/D) Σ_j (x̂_j − x_j)²: watched, never minimised."""
        return {"loss": (x_hat - x).pow(2).mean()}

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        self.targets = self.pca.components[: self.config.code_size]  # v₁ … v_m

    @torch.no_grad()
    def train_step(self) -> dict[str, torch.Tensor]:
        net, lr = self.model, self.config.learning_rate
        x = self.minibatch() - net.mean
        y = x @ net.sanger.T
        sanger_error = self.loss(x, y @ net.sanger, y)["loss"]  # before this step's update

        grown = hebb_update(net.hebb, x, lr)
        net.hebb.copy_(torch.where(net.hebb.norm() < HEBB_NORM_LIMIT, grown, net.hebb))
        net.oja.copy_(oja_update(net.oja, x, lr))
        net.sanger.copy_(sanger_update(net.sanger, x, lr))

        sanger_angles = vector_angles(net.sanger, self.targets)
        return {
            "loss": sanger_error,
            "hebb_log10_norm": net.hebb.norm().log10(),
            "oja_log10_norm": net.oja.norm().log10(),
            "sanger_log10_norm": net.sanger.norm(dim=1).mean().log10(),
            "hebb_angle": vector_angles(net.hebb, self.targets[0])[0],
            "oja_angle": vector_angles(net.oja, self.targets[0])[0],
            "sanger_angle_1": sanger_angles[0],
            "sanger_mean_angle": sanger_angles.mean(),
        }

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        m = self.config.code_size
        angles = vector_angles(self.model.sanger, self.targets).cpu().numpy().astype(np.float64)
        components = np.arange(1, m + 1, dtype=np.float64)
        return {
            "weights": PairedRows(
                "Each rule's weights under PCA's v₁ … v" + subscript(m), self.weight_rows()
            ),
            "filters": ImageGrid(
                f"Sanger's weight vectors w₁ … w{subscript(m)}",
                self.filter_images(),
                "filter",
                caption="xⱼ = wᵢⱼ / ‖wᵢ‖, each tile scaled to its own range.",
            ),
            "angles_by_component": Curves(
                "Sanger's angle to PCA, by component",
                {"sanger_angle": (components, angles)},
                y_label="degrees",
                x_label="component k",
            ),
            "reconstructions": PairedRows(
                f"Held-out images: Sanger and PCA (m = {m})", self.reconstruction_rows(self.probe_index)
            ),
        }

    def weight_rows(self) -> dict[str, np.ndarray]:
        """PCA's v₁ … v_m, and under each the vector a rule learned for it; Oja and Hebb learn one
        vector, so their other columns stay mid-grey (zero)."""
        net, v, m = self.model, self.targets, self.config.code_size

        def as_tiles(w: torch.Tensor, v: torch.Tensor) -> np.ndarray:
            # ±v is the same component: flip each learned vector to the sign PCA shows.
            w = torch.where((w * v).sum(dim=1, keepdim=True) < 0, -w, w)
            tiles = filters_as_images(w.cpu().numpy()).reshape(-1, *self.image_shape)
            blank = np.full((m - len(tiles), *self.image_shape), 0.5, dtype=np.float32)
            return np.concatenate([tiles, blank])

        return {
            "PCA": as_tiles(v, v),
            "Sanger": as_tiles(net.sanger, v),
            "Oja": as_tiles(net.oja[None], v[:1]),
            "Hebb": as_tiles(net.hebb[None], v[:1]),
        }

"""Convolutional autoencoder: the course's Keras example, 28x28 -> 8x4x4 code -> 28x28.

    encoder   x (1×28×28) → conv 3×3 ×16, relu, pool 2 → 16×14×14
                          → conv 3×3 ×8,  relu, pool 2 →  8×7×7
                          → conv 3×3 ×8,  relu, pool 2 →  8×4×4 = 128 numbers, the code h
    decoder   h → conv ×8, relu, up 2 → conv ×8, relu, up 2 → conv ×16 ('valid'), relu, up 2
              → conv ×1, sigmoid → x̂ (1×28×28)
    feature map of kernel c:  a_c = relu(k_c ⋆ x + b_c),  every 3×3 patch of x times one kernel k_c
    L = −mean_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]        binary cross-entropy, Adam

The same sixteen 3×3 kernels slide over the whole image, so the first layer learns local strokes
and edges with 160 weights where a dense layer of 16 units would need 12,560.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.core.config import ConfigError
from unsuplab.core.payloads import ImageGrid, Payload
from unsuplab.core.registry import register
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)
from unsuplab.models import autoencoders

KERNELS = 16  # first-layer kernels of the Keras example
KERNEL_SIZE = 3


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        shape = IMAGE_SHAPES.get(self.dataset) if not self.data_file else None
        if shape is not None and shape != (28, 28):
            raise ConfigError(
                "dataset",
                f"{self.dataset} has {shape[0]}x{shape[1]} images; the "
                "Keras convolutional autoencoder pools 28 → 14 → 7 → 4 and needs "
                "28x28 images (mnist-sample, mnist or fashion-mnist)",
            )


@register
class ConvAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "conv-autoencoder"
    title = "Convolutional autoencoder"
    group = "Autoencoders"
    summary = "Sixteen 3×3 kernels slide over the digit; a 4×4×8 code paints it back."
    Config = Config
    curves = {"Binary cross-entropy per pixel": ("loss", "heldout_loss")}
    #: The filter panel shows the first layer's kernels, not one 28x28 image per code unit.
    filter_panel_shape = (KERNELS, KERNEL_SIZE, KERNEL_SIZE)
    codes_from_evaluation = True
    presets = {
        "Fashion-MNIST": {"dataset": "fashion-mnist"},
        "Learning rate 0.01": {"learning_rate": 0.01},
    }

    def make_model(self, pixels: int) -> nn.Module:
        return autoencoders.ConvAutoencoder(self.image_shape)

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": F.binary_cross_entropy(x_hat, x)}

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        # The digit whose feature maps are shown; clicking a digit in the latent map picks another.
        self.feature_map_index = int(self.probe_index[min(2, len(self.probe_index) - 1)])

    def filter_images(self) -> np.ndarray:
        return self.model.filters.detach().cpu().numpy()[:, 0]

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        panels["filters"].title = "First-layer 3×3 kernels  k_c / ‖k_c‖  (white +, black −)"
        panels["feature_maps"] = self.feature_map_panel()
        return panels

    def feature_map_panel(self) -> ImageGrid:
        """The 16 maps relu(k_c ⋆ x + b_c) of one held-out digit, on one shared grey scale."""
        index = self.feature_map_index
        maps = self.model.feature_maps(self.test_input[index : index + 1])[0]
        # One scale for all maps (black 0, white the strongest response), so a kernel that
        # barely responds looks dim rather than stretched into noise.
        maps = maps / maps.max().clamp_min(1e-12)
        return ImageGrid(
            f"Feature maps relu(k_c ⋆ x + b_c) of held-out digit {self.test_labels[index]} (image {index})",
            maps.cpu().numpy(),
            "unit",
            caption="One map per kernel, in the order of the kernel panel; "
            "click a digit in the latent map to see its maps.",
        )

    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        answer = super().probe(command, **kwargs)
        if command == "inspect":
            self.feature_map_index = int(self.latent_index[int(kwargs["index"])])
            answer["feature_maps"] = self.feature_map_panel()
        return answer

"""Undercomplete autoencoder 784-32-784: the course's first Keras example.

h     = relu(W x + b)            a 32-number code for a 784-pixel digit
x_hat = sigmoid(W' h + b')       the decoder paints the digit back
L     = -mean_j [x_j log x_hat_j + (1 - x_j) log(1 - x_hat_j)]   binary cross-entropy
      + (λ/2) Σ W²                                               a whisper of weight decay
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from unsuplab.core.config import param
from unsuplab.core.registry import register
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    check_code_width,
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
        32, "Width of the code h = relu(W x + b); 32 squeezes 784 pixels about 25 times.", low=1, high=4096
    )
    weight_decay: float = weight_decay_field(1e-5)
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field()

    def check(self) -> None:
        check_code_width(self)


@register
class Autoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "autoencoder"
    title = "Autoencoder"
    group = "Autoencoders"
    summary = "Squeeze digits through a 32-number code and paint them back."
    Config = Config
    activation = "relu"
    curves = {
        "Binary cross-entropy per pixel": ("bce", "heldout_bce"),
        "Mean code activation": ("mean_activation", "heldout_mean_activation"),
    }
    presets = {
        "2-D code": {"code_size": 2},
        "128-number code": {"code_size": 128},
        "Learning rate 0.1": {"learning_rate": 0.1},
    }

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        bce = F.binary_cross_entropy(x_hat, x)
        decay = weight_decay_term(self.model, self.config.weight_decay)
        return {
            "loss": bce + decay,
            "bce": bce,
            "mean_activation": h.mean(),
        }

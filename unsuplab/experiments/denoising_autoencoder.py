"""Denoising autoencoder (Vincent et al. 2008): corrupt the input, ask for the clean image back.

    x̃ ~ q(x̃ | x)                  masking: each pixel set to 0 with probability ν
    h  = sigmoid(W x̃ + b)          the code of the *corrupted* digit
    x̂  = sigmoid(W' h + b')
    L  = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]  +  (λ/2) Σ W²      against the *clean* x

Copying the input no longer works: to paint back the missing pixels a unit has to know which
pixels go together, so the filters turn from speckle into local blobs and pen strokes as ν grows.
The preset comparison trains ν = 0, 25 and 50 % side by side from the same start (Run ▸ Compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from unsuplab.core.config import param
from unsuplab.core.payloads import Payload
from unsuplab.core.registry import register
from unsuplab.data.corruption import CORRUPTIONS, corrupt, describe_corruption
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    HELD_OUT_NOISE_SEED,
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
    corruption: str = param(
        "masking",
        "How the input x̃ is made from x. masking: x̃_j = 0 with "
        "probability ν, else x_j. gaussian: x̃ = clip(x + σ·ε, 0, 1), "
        "ε ~ N(0, 1). salt-and-pepper: a fraction ν of the pixels set to 0 or "
        "1, half each. jitter: the whole digit moved by up to 4ν pixels, "
        "turned by up to 30ν° and scaled by up to ±20ν %.",
        choices=CORRUPTIONS,
    )
    corruption_level: float = param(
        0.3,
        "ν, the fraction of pixels destroyed (masking, "
        "salt-and-pepper), σ, the noise's standard deviation "
        "(gaussian), or the jitter's size; in [0, 1]. 0 is a plain "
        "autoencoder. Can change while training.",
        low=0.0,
        high=1.0,
        live=True,
        label="Corruption level ν / σ",
    )
    code_size: int = param(
        196,
        "Hidden units h = sigmoid(W x̃ + b); 196 as in the sparse lesson, "
        "so the filters compare. The noise, not the width, stops the network "
        "from copying its input.",
        low=1,
        high=4096,
    )
    weight_decay: float = weight_decay_field(1e-3)
    learning_rate: float = learning_rate_field(1e-2)
    batch_size: int = batch_size_field(128)


@register
class DenoisingAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "denoising-autoencoder"
    title = "Denoising autoencoder"
    group = "Autoencoders"
    summary = "Destroy a third of the pixels, ask for the clean digit back: noise turns into strokes."
    Config = Config
    activation = "sigmoid"
    reconstruction_row_labels = ("noisy input", "reconstruction", "clean")
    curves = {
        "Cross-entropy to the clean digit (per image)": ("reconstruction", "heldout_reconstruction"),
    }

    #: Vincent et al.'s slide: the same network at three corruption levels.
    comparisons = {"Corruption ν = 0 / 25 / 50 %": {"corruption_level": (0.0, 0.25, 0.5)}}

    # -- the slide ----------------------------------------------------------------------------------
    def corrupt(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return corrupt(x, self.config.corruption, self.config.corruption_level, generator)

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """L against the clean x, summed over pixels, mean over images, plus the decay of W."""
        reconstruction = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
        decay = weight_decay_term(self.model, self.config.weight_decay)
        return {"loss": reconstruction + decay, "reconstruction": reconstruction}

    def draw_held_out_inputs(self) -> None:
        """The held-out inputs, drawn once from a fixed seed so curves compare over time and across
        runs (and across the variants of a comparison: 50 % masking hides the pixels 25 % hides)."""
        noise = torch.Generator(device=self.device).manual_seed(HELD_OUT_NOISE_SEED)
        self.test_input = self.corrupt(self.test_x, noise)

    # -- what the views show --------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        described = describe_corruption(self.config.corruption, self.config.corruption_level)
        panels["reconstructions"].title = f"Held-out digits: {described}, denoised by the network, and clean"
        panels["filters"].title = f"Filters x_j = w_ij / ‖w_i‖ ({described})"
        return panels

    def reconstruction_rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        shape = (-1, *self.image_shape)
        noisy = self.test_input[index]
        x_hat, _ = self.model(noisy)
        rows = (noisy, x_hat, self.test_x[index])
        return {
            label: images.cpu().numpy().reshape(shape)
            for label, images in zip(self.reconstruction_row_labels, rows, strict=True)
        }

    # -- live changes and checkpoints -----------------------------------------------------------------
    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "corruption_level" and self.built:
            self.draw_held_out_inputs()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "networks" in state:  # a run saved before compare mode moved into the lab: network 0
            model = {k.split(".", 1)[1]: v for k, v in state["networks"].items() if k.startswith("0.")}
            state = {**state, "model": model}
        super().load_state_dict(state)

"""Denoising autoencoder (Vincent et al. 2008): corrupt the input, ask for the clean image back.

    x̃ ~ q(x̃ | x)                  masking: each pixel set to 0 with probability ν
    h  = sigmoid(W x̃ + b)          the code of the *corrupted* digit
    x̂  = sigmoid(W' h + b')
    L  = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]  +  (λ/2) Σ W²      against the *clean* x

Copying the input no longer works: to paint back the missing pixels a unit has to know which
pixels go together, so the filters turn from speckle into local blobs and pen strokes as ν grows. Compare mode
trains ν = 0, 25 and 50 % side by side from the same start on the same minibatches.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.core.config import param
from unsuplab.core.payloads import ImageGrid, Payload
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
from unsuplab.models.state import cpu_copy

#: The classic slide: the same network trained at these corruption levels.
COMPARE_LEVELS = (0.0, 0.25, 0.5)
#: In compare mode the panels that show one network (reconstructions, latent map) show this one.
FEATURED_LEVEL = 0.25


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
        "autoencoder. Can change while training (not in compare "
        "mode).",
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
    compare: bool = param(
        False,
        "Train three networks at once, at ν = 0, 25 and 50 % of the chosen "
        "corruption, from the same initial weights on the same minibatches, and "
        "show their filters side by side (the corruption level is then unused).",
        label="Compare ν = 0 / 25 / 50 %",
    )


def level_name(level: float) -> str:
    """A corruption level as a panel key suffix (it names a PNG file too): 0.25 -> "25pct"."""
    return f"{round(level * 100)}pct"


def metric_at(name: str, level: float) -> str:
    """One network's metric in compare mode: ("heldout_loss", 0.25) -> "heldout_loss_at_25%"."""
    return f"{name}_at_{round(level * 100)}%"


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

    def __init__(self, config: Any | None = None):
        super().__init__(config)
        if self.config.compare:
            levels = " / ".join(f"{round(level * 100)}" for level in COMPARE_LEVELS)
            self.curves = {
                f"Held-out cross-entropy to the clean digit, corruption {levels} %": tuple(
                    metric_at("heldout_reconstruction", level) for level in COMPARE_LEVELS
                )
            }

    @property
    def levels(self) -> tuple[float, ...]:
        """The corruption level of each network trained: one, or three in compare mode."""
        return COMPARE_LEVELS if self.config.compare else (self.config.corruption_level,)

    @property
    def featured(self) -> int:
        """Which network `self.model` is: the one the reconstructions and latent map show."""
        return self.levels.index(FEATURED_LEVEL) if self.config.compare else 0

    # -- the slide ----------------------------------------------------------------------------------
    def corrupt(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return corrupt(x, self.config.corruption, self.levels[self.featured], generator)

    def loss(
        self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor, model: nn.Module | None = None
    ) -> dict[str, torch.Tensor]:
        """L against the clean x, summed over pixels, mean over images; decay of `model`'s W."""
        reconstruction = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
        decay = weight_decay_term(self.model if model is None else model, self.config.weight_decay)
        return {"loss": reconstruction + decay, "reconstruction": reconstruction}

    # -- one network or three, trained in the same loop ----------------------------------------------
    def make_model(self, pixels: int) -> nn.Module:
        """The featured network, kept in `self.networks` beside its copies: every network starts
        from the same weights, so only the corruption level tells them apart."""
        model = super().make_model(pixels).to(self.device)
        self.networks = nn.ModuleList(
            model if i == self.featured else copy.deepcopy(model) for i in range(len(self.levels))
        )
        return model

    def trained_parameters(self) -> Iterator[nn.Parameter]:
        # One Adam over all networks is three independent Adams: its update is per parameter.
        return self.networks.parameters()

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        self.draw_held_out_inputs()

    def draw_held_out_inputs(self) -> None:
        """The held-out inputs at each level, drawn once from a fixed seed so curves compare over
        time and across runs; the same uniform draws at every level, so 50 % masking hides the
        pixels 25 % hides, and more."""
        self.test_inputs = [
            corrupt(
                self.test_x,
                self.config.corruption,
                level,
                torch.Generator(device=self.device).manual_seed(HELD_OUT_NOISE_SEED),
            )
            for level in self.levels
        ]
        self.test_input = self.test_inputs[self.featured]

    def train_step(self) -> dict[str, torch.Tensor]:
        x = self.minibatch()
        per_network = [
            self.loss(x, *net(corrupt(x, self.config.corruption, level, self.generator)), net)
            for net, level in zip(self.networks, self.levels, strict=True)
        ]
        terms = self.combined(per_network)
        self.descend(terms["loss"])
        return {name: value.detach() for name, value in terms.items()}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        per_network = [
            self.loss(self.test_x, *net(x_in), net)
            for net, x_in in zip(self.networks, self.test_inputs, strict=True)
        ]
        return {f"heldout_{name}": float(value) for name, value in self.combined(per_network).items()}

    def combined(self, per_network: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """One network's terms as they are. Several: each term's mean under its own name (so
        "loss" is what the step minimises), and every network's term as name_at_25%."""
        if len(per_network) == 1:
            return per_network[0]
        terms = {name: torch.stack([t[name] for t in per_network]).mean() for name in per_network[0]}
        for level, network_terms in zip(self.levels, per_network, strict=True):
            terms.update({metric_at(name, level): v for name, v in network_terms.items()})
        return terms

    # -- what the views show --------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        kind = self.config.corruption
        panels["reconstructions"].title = (
            f"Held-out digits: {describe_corruption(kind, self.levels[self.featured])}, "
            "denoised by the network, and clean"
        )
        if not self.config.compare:
            panels[
                "filters"
            ].title = f"Filters x_j = w_ij / ‖w_i‖ ({describe_corruption(kind, self.levels[0])})"
            return panels
        del panels["filters"]
        grids = {
            f"filters_{level_name(level)}": ImageGrid(
                f"Filters, {describe_corruption(kind, level)}", self.network_filters(net), "filter"
            )
            for net, level in zip(self.networks, self.levels, strict=True)
        }
        return {**grids, **panels}

    def network_filters(self, net: nn.Module) -> np.ndarray:
        return net.filters.detach().cpu().numpy().reshape(-1, *self.image_shape)

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

    def state_dict(self) -> dict[str, Any]:
        return cpu_copy({"networks": self.networks.state_dict(), "optimizer": self.optimizer.state_dict()})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.networks.load_state_dict(state["networks"])
        self.optimizer.load_state_dict(state["optimizer"])

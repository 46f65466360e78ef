"""Stacked autoencoder trained greedily, layer by layer (Bengio et al. 2007), then fine-tuned.

    stage 1   h₁ = σ(W₁ x + b₁),   x̂ = σ(W′₁ h₁ + b′₁),    L₁ = ½ Σ_j (x̂_j − x_j)²     for N steps
              then layer 1 is frozen: its codes h₁ become the data of the next layer
    stage 2   h₂ = σ(W₂ h₁ + b₂),  ĥ₁ = σ(W′₂ h₂ + b′₂),   L₂ = ½ Σ_i (ĥ₁ᵢ − h₁ᵢ)²    for N steps
    (stage 3, … the same, one layer higher)
    fine-tune x → h₁ → h₂ → ĥ₁ → x̂ as one network,    L = ½ Σ_j (x̂_j − x_j)²      all weights
    each stage adds (λ/2) Σ W² over the weights it trains; losses are averaged over the minibatch

Each stage is a shallow, easy problem; the stack of them starts the deep network near a good
solution, which end-to-end training then polishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from unsuplab.core.config import MAX_WIDTH, ConfigError, param
from unsuplab.core.payloads import ImageGrid, Payload, Table
from unsuplab.core.registry import register
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
    parse_widths,
    weight_decay_field,
    weight_decay_term,
)
from unsuplab.experiments._stages import Schedule, Stage
from unsuplab.models import autoencoders
from unsuplab.models.state import cpu_copy

MAX_LAYERS = 4


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    layer_sizes: str = param(
        "256,64",
        "Widths of the stacked layers h₁, h₂, …, input side first "
        f"(1 to {MAX_LAYERS} layers); each is trained as an autoencoder of "
        "the codes of the layer below.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    pretrain_steps: int = param(
        2000,
        "N, the steps each layer trains alone, L_k = ½ Σ (ĥ − h)², "
        "before it is frozen. 0 skips pretraining: plain end-to-end "
        "training from random weights.",
        low=0,
        high=10_000_000,
    )
    finetune_steps: int = param(
        2000,
        "Steps planned for fine-tuning the whole stack end to end "
        "on the pixels; training goes on in this stage after them.",
        low=1,
        high=10_000_000,
    )
    weight_decay: float = weight_decay_field(3e-4)
    learning_rate: float = learning_rate_field(3e-3)
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        sizes = parse_widths("layer_sizes", self.layer_sizes)
        if len(sizes) > MAX_LAYERS:
            raise ConfigError("layer_sizes", f"{len(sizes)} layers; at most {MAX_LAYERS} are shown")


@register
class StackedAutoencoder(ImageAutoencoderLesson):
    name = "stacked-autoencoder"
    title = "Stacked autoencoder"
    group = "Autoencoders"
    summary = "Train one layer at a time on the codes of the layer below, then fine-tune the stack."
    Config = Config
    curves = {
        "Loss of each stage ½Σ(ĥ − h)²: layer 1 → layer 2 → … → fine-tune": (
            "reconstruction",
            *(f"heldout_layer{k}" for k in range(1, MAX_LAYERS + 1)),
            "heldout_finetune",
        ),
        "Pixel error through the stack so far Σ(x̂ − x)² per image": ("heldout_pixel_error",),
    }
    presets = {
        "No pretraining": {"pretrain_steps": 0},
        "Third stage: 256,64,16": {"layer_sizes": "256,64,16"},
        "Learning rate 0.01": {"learning_rate": 0.01},
    }

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return (self.sizes[0], *self.image_shape)

    @property
    def sizes(self) -> tuple[int, ...]:
        return parse_widths("layer_sizes", self.config.layer_sizes)

    def make_model(self, pixels: int) -> nn.Module:
        return autoencoders.StackedAutoencoder(pixels, self.sizes)

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        # The greedy schedule: one stage per layer (N steps each), then the fine-tuning.
        self.schedule = Schedule(
            [
                *((f"layer {k + 1}", cfg.pretrain_steps) for k in range(len(self.sizes))),
                ("fine-tune", cfg.finetune_steps),
            ]
        )
        # One Adam per stage: a layer's stage moves only that layer (the ones below stay frozen),
        # and fine-tuning starts with fresh moments for every weight.
        self.optimizers = [
            torch.optim.Adam(self.trained_by(s).parameters(), lr=cfg.learning_rate) for s in self.schedule
        ]
        self.enter_stage()

    # -- the schedule -------------------------------------------------------------------------
    @property
    def stage(self) -> Stage:
        """The stage the next training step belongs to; fine-tuning goes on after its plan."""
        return self.schedule.at(self.step)

    def enter_stage(self) -> Stage:
        """The current stage, with the stack cut to the layers it uses (for every panel too):
        layer k's stage uses layers 1 … k, fine-tuning all of them."""
        stage = self.stage
        self.model.depth = len(self.sizes) if stage.last else stage.index + 1
        return stage

    def trained_by(self, stage: Stage) -> nn.Module:
        """The layer a pretraining stage trains alone, or the whole stack when fine-tuning."""
        return self.model if stage.last else self.model.layers[stage.index]

    def stage_loss(self, stage: Stage, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """L_k = ½ Σ (ĥ − h)² of the layer trained alone on the codes h of the frozen layers
        below it (pixels for layer 1), or of the pixels through the whole stack when
        fine-tuning; plus (λ/2) Σ W² of the weights the stage trains."""
        if stage.last:
            target, rebuilt = x, self.model(x)[0]
        else:
            with torch.no_grad():  # the layers below are frozen: their codes are just data now
                target = self.model.encode(x, depth=stage.index)
            rebuilt = self.trained_by(stage)(target)[0]
        reconstruction = 0.5 * (rebuilt - target).pow(2).sum(dim=1).mean()
        decay = weight_decay_term(self.trained_by(stage), self.config.weight_decay)
        return {"loss": reconstruction + decay, "reconstruction": reconstruction}

    def train_step(self) -> dict[str, torch.Tensor]:
        stage = self.enter_stage()
        terms = self.stage_loss(stage, self.minibatch())
        optimizer = self.optimizers[stage.index]
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        return {name: value.detach() for name, value in terms.items()}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        stage = self.enter_stage()
        terms = self.stage_loss(stage, self.test_input)
        pixel_error = (self.model(self.test_input)[0] - self.test_x).pow(2).sum(dim=1).mean()
        key = "finetune" if stage.last else f"layer{stage.number}"
        return {
            "heldout_loss": float(terms["loss"]),
            f"heldout_{key}": float(terms["reconstruction"]),
            "heldout_pixel_error": float(pixel_error),
            "stage": float(stage.number),
        }

    # -- what the window shows -----------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        self.enter_stage()
        panels = super().snapshot()
        panels["filters"].title = "Layer 1 filters  x_j = w_ij / ‖w_i‖"
        for layer in range(2, len(self.sizes) + 1):
            weights = self.model.filters_in_pixels(layer).cpu().numpy()
            panels[f"filters_layer{layer}"] = ImageGrid(
                f"Layer {layer} units seen in pixels: rows of {_weight_product(layer)}",
                weights.reshape(-1, *self.image_shape),
                "filter",
                caption="Each unit's weights pushed down through the layers below, as if their "
                "logistic units were linear.",
            )
        depth = self.model.depth
        panels["reconstructions"].title = (
            "Held-out digits through layer 1 and back"
            if depth == 1
            else f"Held-out digits through layers 1–{depth} and back"
        )
        panels["stages"] = self.stage_table()
        return panels

    def stage_table(self) -> Table:
        """Each stage with its steps done / planned and whether it trains now, is frozen, done,
        waiting or skipped (kept short: the table is a narrow strip of the window)."""
        active = self.stage
        # A finished layer is frozen while a later one trains alone; fine-tuning moves it again.
        finished = "done" if active.last else "frozen"
        rows: list[list[Any]] = [
            [
                f"{s.number}. {s.name}: {self.trains(s)}",
                f"{s.steps_done(self.step)} / {s.planned}",
                self.schedule.status(s, self.step, finished),
            ]
            for s in self.schedule
        ]
        return Table(f"Training stage: {active.number}. {active.name}", ["stage", "steps", "status"], rows)

    def trains(self, stage: Stage) -> str:
        """What a stage trains, for the table: "256→64", or "all layers"."""
        if stage.last:
            return "all layers"
        widths = (int(np.prod(self.image_shape)), *self.sizes)
        return f"{widths[stage.index]}→{widths[stage.index + 1]}"

    # -- checkpoints and live changes -----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "optimizers": [cpu_copy(o.state_dict()) for o in self.optimizers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "learning_rate":
            for optimizer in self.optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = value


def _weight_product(layer: int) -> str:
    """ "W₃W₂W₁" for layer 3."""
    subscripts = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    return "".join(f"W{str(k).translate(subscripts)}" for k in range(layer, 0, -1))

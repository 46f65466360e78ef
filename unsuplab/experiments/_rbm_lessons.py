"""What the RBM lessons (rbm, dbn, rbm-ratings) share: their config fields, the momentum warm-up
those fields describe, and the check that pixels can be read as probabilities."""

from __future__ import annotations

from typing import Any

from unsuplab.core.config import param
from unsuplab.data import DataError, ImageDataset

DREAM_CHAINS = 36  # fantasy chains in the "dreams" panel (a 6 x 6 grid)
WARMUP_MOMENTUM = 0.5  # the guide's momentum while the weights are still far from anything


def method_field(default: str) -> Any:
    return param(
        default,
        "cd: contrastive divergence, each update's Gibbs chain starts at the "
        "data (CD-k). pcd: persistent CD, the chains carry on from the previous update, "
        "so they roam further from the data (Tieleman 2008).",
        choices=("cd", "pcd"),
    )


def cd_steps_field() -> Any:
    return param(
        1,
        "k, the Gibbs steps v → h → v between the data statistics ⟨v_i h_j⟩⁰ and the "
        "model statistics ⟨v_i h_j⟩ᵏ in Δw_ij = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ).",
        low=1,
        high=100,
    )


def rbm_learning_rate_field(default: float) -> Any:
    return param(
        default,
        "ε in Δw_ij = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ), the statistics averaged over "
        "the minibatch. Can change while training.",
        low=1e-5,
        high=10.0,
        log=True,
        live=True,
    )


def momentum_field(default: float) -> Any:
    return param(
        default,
        "μ in velocity ← μ·velocity + Δw: how much of the previous update "
        f"carries on. It is {WARMUP_MOMENTUM} for the first momentum_warmup steps "
        "(Hinton's practical guide); with pcd more than 0.5 makes the persistent chains "
        "overshoot. Can change while training.",
        low=0.0,
        high=0.99,
        live=True,
    )


def momentum_warmup_field(default: int) -> Any:
    return param(
        default,
        f"Steps trained with momentum {WARMUP_MOMENTUM} before μ takes over: "
        "early updates are large and would build up into oscillations.",
        low=0,
        high=1_000_000,
    )


def rbm_weight_decay_field(default: float) -> Any:
    return param(
        default,
        "λ in the update's −ελ w_ij term (L2 weight decay): keeps weights "
        "small, so the Gibbs chains mix and unused weights fade. Can change while "
        "training.",
        low=0.0,
        high=1.0,
        live=True,
    )


def momentum_at(config: Any, steps_done: int) -> float:
    """μ for the update after `steps_done` updates: the warm-up momentum first, the configured
    one after."""
    if steps_done < config.momentum_warmup:
        return min(WARMUP_MOMENTUM, config.momentum)
    return config.momentum


def check_unit_range(data: ImageDataset) -> None:
    """A Bernoulli RBM reads pixel values as probabilities of being on: refuse anything else,
    naming the file (or data set) it came from."""
    for part in (data.train_images, data.test_images):
        low, high = float(part.min()), float(part.max())
        if low < 0 or high > 1:
            raise DataError(
                f"{data.source}: pixel values lie in [{low:g}, {high:g}]; a Bernoulli "
                "RBM needs values in [0, 1] (binary pixels, or grey levels read as "
                "the probability that a pixel is on)"
            )

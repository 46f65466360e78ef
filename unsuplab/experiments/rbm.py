"""Restricted Boltzmann machine on digits, trained by contrastive divergence (CD-k) or persistent CD.

    E(v, h)      = −aᵀv − bᵀh − vᵀWh                 binary pixels v, binary hidden units h
    p(h_j=1 | v) = σ(b_j + Σ_i v_i w_ij)            p(v_i=1 | h) = σ(a_i + Σ_j w_ij h_j)
    Δw_ij        = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ) − ελ w_ij      ⟨·⟩⁰ on the data, ⟨·⟩ᵏ after k Gibbs steps
    velocity     ← μ·velocity + Δw,   W ← W + velocity        (momentum μ, 0.5 at first)

The model learns by lowering the energy of the data and raising the energy of its own dreams:
its Gibbs chains, shown running, are those dreams.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import param
from unsuplab.core.payloads import Histogram, ImageGrid, Payload
from unsuplab.core.registry import register
from unsuplab.data import ImageDataset
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
)
from unsuplab.experiments._rbm_lessons import (
    DREAM_CHAINS,
    cd_steps_field,
    check_unit_range,
    method_field,
    momentum_at,
    momentum_field,
    momentum_warmup_field,
    rbm_learning_rate_field,
    rbm_weight_decay_field,
)
from unsuplab.models.rbm import BernoulliRBM, ContrastiveDivergence
from unsuplab.models.state import cpu_copy

TRAIN_MONITOR = 500  # training images whose free energy is compared with the held-out ones'


def sparsity_target_field(default: float, why: str) -> Any:
    return param(
        default, f"p, the fraction of the time each hidden unit should be on. {why}", low=0.0, high=1.0
    )


def sparsity_cost_field(default: float) -> Any:
    return param(
        default,
        "c, the strength of the push c·(p − q_j) on each hidden unit's input "
        "(q_j its recent mean activity; Hinton's guide, section 11). 0 turns the "
        "sparsity target off. Can change while training.",
        low=0.0,
        high=10.0,
        live=True,
    )


def binarised(data: ImageDataset) -> ImageDataset:
    """Pixels thresholded at 0.5, so every visible value is 0 or 1."""

    def threshold(images: np.ndarray) -> np.ndarray:
        return (images >= 0.5).astype(np.float32)

    return dataclasses.replace(
        data, train_images=threshold(data.train_images), test_images=threshold(data.test_images)
    )


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    visible_values: str = param(
        "probabilities",
        "probabilities: a grey pixel 0.3 is read as "
        "p(v_i = 1) = 0.3 (the usual shortcut for MNIST). binarised: "
        "pixels are set to 0 or 1 at the threshold 0.5.",
        choices=("probabilities", "binarised"),
    )
    hidden_units: int = param(
        225,
        "Number of binary hidden units h_j (feature detectors); each has one filter w_·j over the pixels.",
        low=1,
        high=4096,
    )
    method: str = method_field("pcd")
    cd_steps: int = cd_steps_field()
    learning_rate: float = rbm_learning_rate_field(0.05)
    momentum: float = momentum_field(0.5)
    momentum_warmup: int = momentum_warmup_field(200)
    weight_decay: float = rbm_weight_decay_field(2e-3)
    sparsity_target: float = sparsity_target_field(
        0.1, "A sparse unit has to stand for a part of a digit rather than a whole blurry one."
    )
    sparsity_cost: float = sparsity_cost_field(0.1)
    batch_size: int = batch_size_field(100)


@register
class RBM(ImageAutoencoderLesson):
    name = "rbm"
    title = "Restricted Boltzmann machine"
    group = "Energy-based"
    summary = "Binary units, an energy, and contrastive divergence: watch the Gibbs chains dream digits."
    Config = Config
    #: CD-1 against persistent CD (Tieleman 2008), one Gibbs step each.
    comparisons = {"CD-1 vs PCD": {"method": ("cd", "pcd"), "cd_steps": (1,)}}
    curves = {
        "Reconstruction error Σ(v − v̂)² per image": ("recon_error", "heldout_recon_error"),
        "Pseudo-likelihood per image (as scikit-learn's score_samples)": (
            "pseudo_likelihood",
            "heldout_pseudo_likelihood",
        ),
        "Mean free energy F(v): training vs held-out images (a growing gap = overfitting)": (
            "free_energy",
            "heldout_free_energy",
        ),
    }
    guarded_metrics = ("recon_error",)
    progress_metric = ("heldout_recon_error", "down")
    quick_settings = {"batch_size": 50, "hidden_units": 64, "method": "cd"}
    quick_steps = 100

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return (self.config.hidden_units, *self.image_shape)

    # -- building -------------------------------------------------------------------------------
    def load_data(self) -> ImageDataset:
        data = super().load_data()
        check_unit_range(data)
        return binarised(data) if self.config.visible_values == "binarised" else data

    def make_model(self, pixels: int) -> BernoulliRBM:
        return BernoulliRBM(pixels, self.config.hidden_units)

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        self.model.init_visible_bias(self.train_x)
        self.trainer = ContrastiveDivergence(
            self.model,
            k=cfg.cd_steps,
            persistent=cfg.method == "pcd",
            chains=cfg.batch_size,
            dream_chains=DREAM_CHAINS,
        )
        monitor = torch.Generator().manual_seed(0)  # the same training images in every run
        chosen = torch.randperm(len(self.train_x), generator=monitor)[:TRAIN_MONITOR]
        self.train_monitor = self.train_x[chosen.to(self.device)]

    # -- one step: contrastive divergence ------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        return self.trainer.step(
            self.minibatch(),
            self.generator,
            cfg.learning_rate,
            momentum_at(cfg, self.step),
            cfg.weight_decay,
            cfg.sparsity_target,
            cfg.sparsity_cost,
        )

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        # Fixed noise for the sampled h⁰ and the flipped bits: evaluations differ only by weights.
        noise = torch.Generator(device=self.device).manual_seed(0)
        rbm, held_out = self.model, self.test_x
        return {
            "heldout_recon_error": float(rbm.reconstruction_error(held_out, noise).mean()),
            "heldout_pseudo_likelihood": float(rbm.pseudo_likelihood(held_out, noise).mean()),
            "pseudo_likelihood": float(rbm.pseudo_likelihood(self.train_monitor, noise).mean()),
            "heldout_free_energy": float(rbm.free_energy(held_out).mean()),
            "free_energy": float(rbm.free_energy(self.train_monitor).mean()),
        }

    # -- what the window shows -----------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        panels["filters"].title = "Filters: the weights w_·j of each hidden unit  (x_i = w_ij / ‖w_·j‖)"
        if self.config.visible_values == "binarised":
            panels["filters"].caption = "Pixels binarised at 0.5: every visible value is 0 or 1."
        panels["reconstructions"].title = "Held-out digits | one-step reconstruction p(v | p(h | v))"
        panels["dreams"] = ImageGrid(
            "Gibbs chains: what the model dreams, p(v | h)",
            self.dream_images(),
            "unit",
            caption=(
                "The persistent chains of PCD" if self.trainer.persistent else "Fantasy chains beside CD's"
            )
            + ", one Gibbs step per training step.",
        )
        panels["hidden_activity"] = self.hidden_histogram()
        return panels

    def dream_images(self) -> np.ndarray:
        return self.trainer.dream(DREAM_CHAINS).cpu().numpy().reshape(-1, *self.image_shape)

    def hidden_histogram(self) -> Histogram:
        """How the hidden units fire on held-out images: mostly near 0 or 1 is a decisive code;
        a pile-up at 0.5 or units stuck at 0 are what the practical guide warns about."""
        probs = self.model.hidden_probs(self.test_x[self.latent_index])
        edges = np.linspace(0.0, 1.0, 21)
        # Short series names: the legend sits inside a small chart.
        return Histogram(
            "Hidden activity on held-out digits: p(h_j = 1 | v) for every unit and "
            "image, and each unit's mean",
            edges,
            {
                "p(h_j=1|v)": _density(probs.flatten(), edges),
                "unit means": _density(probs.mean(dim=0), edges),
            },
            x_label="probability of being on",
            y_label="density",
        )

    # -- checkpoints -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "trainer": cpu_copy(self.trainer.state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.trainer.load_state_dict(state["trainer"])


def _density(values: torch.Tensor, edges: np.ndarray) -> np.ndarray:
    counts = torch.histc(values.float(), bins=len(edges) - 1, min=float(edges[0]), max=float(edges[-1]))
    return (counts / max(1, values.numel()) / np.diff(edges)[0]).cpu().numpy()

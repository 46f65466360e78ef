"""VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017): a discrete code, K vectors to choose from.

    z_e = encoder(x)                         a 7×7 grid of D-dim vectors for a 28×28 digit
    k   = argmin_k ‖z_e − e_k‖²              each cell takes its nearest codebook vector
    z_q = e_k                                 the digit is now 49 integers in 0..K−1
    x̂   = decoder(z_e + sg[z_q − z_e])        straight-through: forward z_q, gradient onto z_e
    L   = −mean_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]      reconstruction
        + ‖sg[z_e] − e‖²                      codebook: move the codes to the encoder's outputs
        + β ‖z_e − sg[e]‖²                    commitment: keep the encoder near its codes
    (sg = stop-gradient; with the EMA option the codebook term is replaced by moving averages)

A code nobody's nearest to gets no pull and stays dead: the usage panel shows them. The codes start
on encoder outputs spread out as k-means++ seeds centres, and every N steps the dead ones are moved
onto encoder outputs far from the live ones (dead-code restarts), so the default run uses them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.core.config import param
from unsuplab.core.payloads import Bars, ImageGrid, Payload, Scatter
from unsuplab.core.registry import register
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)
from unsuplab.models.vq_vae import VQVAE, Quantised

CODE_TILES = 32  # most used codes shown as "what each code decodes to"
RESTART_DIGITS = 512  # random training digits whose grid cells decide which codes are dead


def perplexity(counts: torch.Tensor) -> torch.Tensor:
    """exp(−Σ_k p_k log p_k) of code frequencies: how many codes are in effective use."""
    p = counts / counts.sum().clamp_min(1)
    return torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum())


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    codes: int = param(
        64,
        "K, the codebook size: every grid cell of the code is one of K vectors e_1 … e_K.",
        low=2,
        high=4096,
    )
    code_dim: int = param(
        16,
        "D, the length of each code vector e_k and of each cell of the encoder's grid z_e.",
        low=1,
        high=256,
    )
    channels: int = param(
        16,
        "Channels of the first convolution (the second has twice as many); "
        "the encoder is conv 4×4/2 → conv 4×4/2 → conv 1×1 to D.",
        low=4,
        high=256,
    )
    codebook_init: str = param(
        "encoder outputs",
        "Where the K codes start. encoder outputs: on K vectors z_e of random "
        "training digits, so every code is somebody's nearest from the first step. small "
        "random: uniform in ±1/K near the origin, where a few codes win every cell and the "
        "rest stay dead.",
        choices=("encoder outputs", "small random"),
    )
    restart_dead_codes: int = param(
        50,
        "Every N steps, codes that no grid cell of 512 random training digits "
        "chose are moved onto encoder outputs far from the live codes (k-means++ seeding), "
        "as the Revive button does. 0: never, and watch codes die. Can change while training.",
        low=0,
        high=1_000_000,
        live=True,
    )
    codebook_update: str = param(
        "loss",
        "loss: the codes learn by the codebook term ‖sg[z_e] − e‖² "
        "(Adam). ema: each code moves to the moving average of the vectors "
        "assigned to it, e_k = m_k / N_k (no codebook term).",
        choices=("loss", "ema"),
    )
    commitment_beta: float = param(
        0.25,
        "β in β‖z_e − sg[e]‖², how hard the encoder is held "
        "near the codes it picks (0.25 in the paper). Can change while "
        "training.",
        low=0.0,
        high=10.0,
        live=True,
    )
    ema_decay: float = param(
        0.99,
        "γ of the EMA codebook, N_k ← γ N_k + (1 − γ) n_k; used when codebook update = ema.",
        low=0.5,
        high=0.9999,
    )
    learning_rate: float = learning_rate_field(2e-3)
    batch_size: int = batch_size_field(64)


@register
class VQVAELesson(GradientTrained, ImageAutoencoderLesson):
    name = "vq-vae"
    title = "VQ-VAE"
    group = "Generative"
    summary = "Quantise a grid of codes to the nearest of K vectors: a digit becomes 49 integers."
    Config = Config
    curves = {
        "Reconstruction (binary cross-entropy per pixel)": ("reconstruction", "heldout_reconstruction"),
        "Codebook and commitment terms": ("codebook", "heldout_codebook", "commitment", "heldout_commitment"),
        "Codebook perplexity (codes in effective use)": ("perplexity", "heldout_perplexity"),
    }
    actions = {
        "revive": (
            "Revive dead codes",
            "Move every code that no held-out digit uses onto the encoder output of a random training digit.",
        )
    }
    quick_settings = {"batch_size": 32, "channels": 8}
    quick_steps = 40
    presets = {
        "EMA codebook": {"codebook_update": "ema"},
        "8 codes": {"codes": 8},
        "512 codes": {"codes": 512},
        "Commitment β = 0": {"commitment_beta": 0.0},
    }
    codes_from_evaluation = True

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return tuple(self.model.filters.shape[i] for i in (0, 2, 3))

    def make_model(self, pixels: int) -> nn.Module:
        cfg = self.config
        return VQVAE(
            self.image_shape,
            cfg.codes,
            cfg.code_dim,
            cfg.channels,
            cfg.ema_decay if cfg.codebook_update == "ema" else None,
        )

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        # The code usage and the latent map of the newest evaluation (see `evaluate`): none yet.
        self._evaluated_usage: torch.Tensor | None = None
        self._evaluated_map: Scatter | None = None
        if self.config.codebook_init == "encoder outputs":
            with torch.no_grad():
                self.model.quantiser.move_codes(
                    torch.arange(self.config.codes), self.encoder_vectors(self.config.codes)
                )

    def train_step(self) -> dict[str, torch.Tensor]:
        terms = super().train_step()
        every = self.config.restart_dead_codes
        if every and (self.step + 1) % every == 0:
            with torch.no_grad():
                x = self.train_x[
                    torch.randint(
                        len(self.train_x), (RESTART_DIGITS,), device=self.device, generator=self.generator
                    )
                ]
                self.move_dead_codes(self.usage_counts(self.model.quantise(x)))
        return terms

    def filter_images(self) -> np.ndarray:
        return self.model.filters.detach().cpu().numpy()[:, 0]

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, q: Quantised) -> dict[str, torch.Tensor]:
        reconstruction = F.binary_cross_entropy(x_hat, x)
        codebook = F.mse_loss(q.z_q, q.z_e.detach())  # ‖sg[z_e] − e‖²
        commitment = F.mse_loss(q.z_e, q.z_q.detach())  # ‖z_e − sg[e]‖²
        learned_codebook = codebook if self.config.codebook_update == "loss" else 0.0
        counts = torch.bincount(q.indices.flatten(), minlength=self.config.codes)
        return {
            "loss": reconstruction + learned_codebook + self.config.commitment_beta * commitment,
            "reconstruction": reconstruction,
            "codebook": codebook,
            "commitment": commitment,
            "perplexity": perplexity(counts.float()),
        }

    # -- evaluation and panels ------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        x_hat, q = self.model(self.test_input)
        terms = self.loss(self.test_x, x_hat, q)
        self._evaluated_codes = q.z_q[self.latent_index].flatten(1)
        self._evaluated_usage = self.usage_counts(q)
        terms["dead_codes"] = (self._evaluated_usage == 0).sum()
        # Projecting 500 codes of 7×7×D numbers on their principal axes costs more than a training
        # step: the latent map is redrawn once per evaluation, not at every snapshot.
        self._evaluated_map = super().latent_map()
        return {f"heldout_{name}": float(value) for name, value in terms.items()}

    def usage_counts(self, q: Quantised | None = None) -> torch.Tensor:
        """How many held-out grid cells chose each code (those of quantisation `q` if given)."""
        if q is None:
            q = self.model.quantise(self.test_input)
        return torch.bincount(q.indices.flatten(), minlength=self.config.codes)

    def latent_map(self) -> Scatter:
        return self._evaluated_map if self._evaluated_map is not None else super().latent_map()

    def held_out_usage(self) -> torch.Tensor:
        return self._evaluated_usage if self._evaluated_usage is not None else self.usage_counts()

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        counts = self.held_out_usage()
        order = torch.argsort(counts, descending=True, stable=True)
        panels["usage"] = self.usage_panel(counts, order)
        panels["code_images"] = self.code_images_panel(order[:CODE_TILES])
        return panels

    def usage_panel(self, counts: torch.Tensor, order: torch.Tensor) -> Bars:
        used, spread = int((counts > 0).sum()), float(perplexity(counts.float()))
        return Bars(
            f"Code usage on held-out digits, most used first: {used} of {len(counts)} "
            f"codes in use, {len(counts) - used} dead, perplexity {spread:.1f}",
            [f"#{k}" for k in order.tolist()],
            {"grid cells": counts[order].cpu().numpy().astype(np.float64)},
            y_label="held-out grid cells that chose the code",
        )

    def code_images_panel(self, codes: torch.Tensor) -> ImageGrid:
        """Decode a grid filled with one code k, for each k of `codes` (the most used first)."""
        grid = codes[:, None, None].expand(len(codes), *self.model.grid_shape)
        images = self.model.decode_indices(grid).cpu().numpy().reshape(-1, *self.image_shape)
        return ImageGrid(
            "What each code decodes to: the whole grid filled with code k (most used first)",
            images,
            "unit",
            columns=8,
            caption="Alone, a code is a texture (paper, ink, a stroke's edge); the "
            "decoder makes digits of them with their neighbours. Codes: "
            + ", ".join(f"#{k}" for k in codes.tolist()),
        )

    # -- the "revive dead codes" action -----------------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "revive":
            return self.revive_dead_codes()
        return super().probe(command, **kwargs)

    def revive_dead_codes(self) -> dict[str, Payload]:
        self.move_dead_codes(self.usage_counts())
        # The cached panels describe the old codebook.
        self._evaluated_codes = self._evaluated_usage = self._evaluated_map = None
        counts = self.usage_counts()
        return {"usage": self.usage_panel(counts, torch.argsort(counts, descending=True, stable=True))}

    def encoder_vectors(self, count: int, live: torch.Tensor | None = None) -> torch.Tensor:
        """`count` cells z_e of the encoder's grids for a random training minibatch (count, D),
        drawn as k-means++ seeds centres: each with probability ∝ its squared distance to the
        nearest code already placed (the `live` ones, then those just drawn), so the new codes
        land where the live ones do not reach (blank background cells, all alike, give one)."""
        z_e = self.model.quantise(self.minibatch()).z_e
        vectors = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])
        placed = live if live is not None and len(live) else vectors[:0]
        distance = torch.cdist(vectors, placed).pow(2).min(dim=1).values if len(placed) else None
        chosen = []
        for _ in range(count):
            if distance is None:
                pick = torch.randint(len(vectors), (1,), generator=self.generator, device=self.device)
            else:  # + a tiny floor: once every distinct vector is taken, the rest come uniformly
                pick = torch.multinomial(distance + 1e-12, 1, generator=self.generator)
            chosen.append(pick)
            to_pick = (vectors - vectors[pick]).pow(2).sum(1)
            distance = to_pick if distance is None else torch.minimum(distance, to_pick)
        return vectors[torch.cat(chosen)]

    def move_dead_codes(self, counts: torch.Tensor) -> None:
        """Move the codes no grid cell chose (`counts` == 0) onto encoder outputs far from the
        live codes."""
        dead = torch.nonzero(counts == 0).flatten()
        if len(dead):
            live = self.model.quantiser.codebook[counts > 0]
            self.model.quantiser.move_codes(dead, self.encoder_vectors(len(dead), live.detach()))
            self._forget_adam_moments_of(dead)

    def _forget_adam_moments_of(self, rows: torch.Tensor) -> None:
        """A revived code starts afresh: Adam's moments of its old, idle self would steer it."""
        state = self.optimizer.state.get(self.model.quantiser.codebook, {})
        for name in ("exp_avg", "exp_avg_sq"):
            if name in state:
                state[name][rows] = 0.0

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._evaluated_usage = self._evaluated_map = None

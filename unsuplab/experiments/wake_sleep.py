"""Wake–sleep: the Helmholtz machine (Hinton, Dayan, Frey & Neal 1995) learns binarised digits with
two networks of stochastic binary units, each teaching the other.

    generative  p(s_L = 1) = σ(b),   p(s_l = 1 | s_{l+1}) = σ(G_l s_{l+1} + g_l),   s_0 = x
    recognition q(s_{l+1} = 1 | s_l) = σ(R_l s_l + r_l)
    wake        s ~ q(· | x) on a real digit x;  ΔG_l = ε (s_l − p_l) s_{l+1}ᵀ   p learns to make x from s
    sleep       (x, s) ~ p, a dream;          ΔR_l = ε (s_{l+1} − q_{l+1}) s_lᵀ   q learns to see the dream
    bound       log p(x) ≥ E_q[ log p(x, s) − log q(s | x) ]       the variational free energy, negated

Each delta rule is the gradient of the log-likelihood of the sampled states it fits, so Adam
takes the steps (ε per weight) on −log p(x, s) (wake) and −log q(s | x) (sleep).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unsuplab.core.config import MAX_WIDTH, param
from unsuplab.core.payloads import ImageGrid, Payload
from unsuplab.core.registry import register
from unsuplab.data import ImageDataset
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
    parse_widths,
)
from unsuplab.experiments._rbm_lessons import DREAM_CHAINS, check_unit_range
from unsuplab.experiments.rbm import binarised
from unsuplab.models.helmholtz import HelmholtzMachine
from unsuplab.models.state import cpu_copy

TRAIN_MONITOR = 500  # training digits whose bound is set beside the held-out one
BOUND_SAMPLES = 5  # draws of s ~ q(· | x) averaged in each evaluation of the bound
EVALUATION_SEED = 0  # the same draws at every evaluation, so the curve moves only with the weights
DREAM_SEED = 1  # the same dream noise at every snapshot: watch the same dreams sharpen


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    hidden_sizes: str = param(
        "200,50",
        "Widths of the hidden layers s_1, …, s_L of binary units, bottom first: the "
        "digits are explained by s_1, s_1 by s_2, and the top layer has only its biases b.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    learning_rate: float = learning_rate_field(3e-3)
    batch_size: int = batch_size_field(100)

    def check(self) -> None:
        parse_widths("hidden_sizes", self.hidden_sizes)


@register
class WakeSleep(ImageAutoencoderLesson):
    name = "wake-sleep"
    title = "Wake–sleep (Helmholtz machine)"
    group = "Generative"
    summary = "Recognition and generation teach each other: by day q sees digits, by night p dreams them."
    Config = Config
    curves = {
        "Variational bound on log p(x) (nats per digit)": ("bound", "heldout_bound"),
        "Wake −log p(x, s) and sleep −log q(s | x), per sample": ("wake", "sleep"),
    }
    guarded_metrics = ("wake", "sleep")
    progress_metric = ("heldout_bound", "up")
    quick_settings = {"batch_size": 50, "hidden_sizes": "100,20"}
    quick_steps = 200
    presets = {
        "Tiny top layer (200,2)": {"hidden_sizes": "200,2"},
        "One hidden layer": {"hidden_sizes": "200"},
    }
    tools = ("draw",)

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return (self.hidden[0], *self.image_shape)

    def load_data(self) -> ImageDataset:
        data = super().load_data()
        check_unit_range(data)
        return binarised(data)

    def make_model(self, pixels: int) -> HelmholtzMachine:
        self.hidden = parse_widths("hidden_sizes", self.config.hidden_sizes)
        return HelmholtzMachine(pixels, self.hidden)

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        self.model.init_visible_bias(self.train_x)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.learning_rate)
        monitor = torch.Generator().manual_seed(0)  # the same training digits in every run
        chosen = torch.randperm(len(self.train_x), generator=monitor)[:TRAIN_MONITOR]
        self.train_monitor = self.train_x[chosen.to(self.device)]

    # -- one step: a wake phase on real digits, a sleep phase on as many dreams ---------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        wake = self.model.wake_loss(self.minibatch(), self.generator)
        sleep = self.model.sleep_loss(self.config.batch_size, self.generator)
        self.optimizer.zero_grad(set_to_none=True)
        (wake + sleep).backward()  # wake moves only p's weights, sleep only q's
        self.optimizer.step()
        return {"wake": wake.detach(), "sleep": sleep.detach()}

    def on_live_change(self, name, value) -> None:
        if name == "learning_rate" and self.built:
            for group in self.optimizer.param_groups:
                group["lr"] = value

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        noise = torch.Generator(device=self.device).manual_seed(EVALUATION_SEED)
        held_out = self.model.bound(self.test_x, noise, BOUND_SAMPLES).mean()
        train = self.model.bound(self.train_monitor, noise, BOUND_SAMPLES).mean()
        return {"heldout_bound": float(held_out), "bound": float(train)}

    # -- what the window shows ------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        panels["filters"].title = "Recognition weights R₀: what each unit of s₁ looks for (rows)"
        panels[
            "reconstructions"
        ].title = "Held-out digits | recognised by q, generated back by p: p(x | q(s₁ | x))"
        panels["dreams"] = ImageGrid(
            "Dreams: p(x | s₁) with s drawn from the top down",
            self.dream_images(),
            "unit",
            caption="What the sleep phase shows the recognition network; the same noise at every snapshot.",
        )
        generative = self.model.generative[0].weight.T  # (s₁ units, pixels): what each unit draws
        panels["generative_filters"] = ImageGrid(
            "Generative weights G₀: what each unit of s₁ draws (columns)",
            generative.cpu().numpy().reshape(-1, *self.image_shape),
            "filter",
        )
        return panels

    def dream_images(self) -> np.ndarray:
        noise = torch.Generator(device=self.device).manual_seed(DREAM_SEED)
        return self.model.dream(DREAM_CHAINS, noise)[0].cpu().numpy().reshape(-1, *self.image_shape)

    # -- checkpoints ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {**super().state_dict(), "optimizer": cpu_copy(self.optimizer.state_dict())}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.optimizer.load_state_dict(state["optimizer"])

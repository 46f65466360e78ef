"""Deep belief net: RBMs stacked greedily, layer by layer (Hinton, Osindero & Teh 2006), then the
stack used to start a classifier that learns from a few labels (Erhan et al. 2009).

    stage k    an RBM on the activities of the layer below:  v⁽ᵏ⁾ = p(h⁽ᵏ⁻¹⁾ = 1 | v⁽ᵏ⁻¹⁾), v⁽¹⁾ = pixels
               Δw_ij = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ) − ελ w_ij, then the layer is frozen
    dreams     a Gibbs chain in the top RBM, its visible states pushed down by p(v | h) layer by layer
    classify   two networks of the same shape, sigmoid layers plus a softmax, trained by Adam on
               the same few labelled digits with cross-entropy −log p(y | x):
               one starts from the stack's weights (pretrained), one from random weights
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from unsuplab.core.config import MAX_WIDTH, ConfigError, param
from unsuplab.core.payloads import ImageGrid, Payload, Table
from unsuplab.core.registry import register
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    data_file_field,
    dataset_field,
    parse_widths,
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
from unsuplab.experiments._stages import Schedule, Stage
from unsuplab.models.rbm import (
    ContrastiveDivergence,
    DeepBeliefNet,
    classifier_like,
    initialise_from_stack,
)
from unsuplab.models.state import cpu_copy

MAX_LAYERS = 4
SHOWN_FILTERS = 100  # layer-1 filters in the panel (a 500-unit layer would be a wall of tiles)


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    layer_sizes: str = param(
        "500,500,1000",
        "Hidden units of the stacked RBMs, pixels side first "
        f"(1 to {MAX_LAYERS} layers): Hinton's 784-500-500-2000, scaled to "
        "a laptop.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    pretrain_steps: int = param(
        800,
        "CD updates each RBM gets before it is frozen and the next "
        "one trains on its hidden activities. 0 skips pretraining.",
        low=0,
        high=10_000_000,
    )
    method: str = method_field("pcd")
    cd_steps: int = cd_steps_field()
    learning_rate: float = rbm_learning_rate_field(0.05)
    momentum: float = momentum_field(0.5)
    momentum_warmup: int = momentum_warmup_field(100)
    weight_decay: float = rbm_weight_decay_field(2e-4)
    batch_size: int = batch_size_field(100)
    labels: int = param(
        100,
        "Labelled training digits the two classifiers learn from (the "
        "same ones, equally many of each class). Pretraining helps most when "
        "labels are few.",
        low=10,
        high=60000,
    )
    classifier_learning_rate: float = param(
        1e-3,
        "Adam step size η for both classifiers, θ ← θ − η·m̂/(√v̂ + ε) on the cross-entropy −log p(y | x).",
        low=1e-6,
        high=1.0,
        log=True,
        live=True,
    )
    classifier_steps: int = param(
        400,
        "Steps planned for the classifiers once the stack is built; training carries on after them.",
        low=1,
        high=10_000_000,
    )

    def check(self) -> None:
        sizes = parse_widths("layer_sizes", self.layer_sizes)
        if len(sizes) > MAX_LAYERS:
            raise ConfigError("layer_sizes", f"{len(sizes)} layers; at most {MAX_LAYERS} are shown")


@register
class DeepBeliefNetwork(ImageAutoencoderLesson):
    name = "dbn"
    title = "Deep belief net"
    group = "Energy-based"
    summary = "Stack RBMs one at a time, dream from the top, and see what pretraining buys with few labels."
    Config = Config
    #: The stack pretrained against no pretraining (random start). Both train the same steps, so
    #: the random start gives its classifiers the 2,400 steps the other spends pretraining; with
    #: 100 labels it still ends far behind (0.69 vs 0.84 held-out accuracy at step 2,800). Equal
    #: fine-tuning steps is the lesson's own accuracy panel: both classifiers of one run, the
    #: same labelled minibatches, the same Adam steps.
    comparisons = {"Pretrained vs random start": {"pretrain_steps": (800, 0)}}
    curves = {
        "RBM reconstruction error Σ(v − v̂)², layer by layer": (
            "recon_error",
            *(f"heldout_layer{k}" for k in range(1, MAX_LAYERS + 1)),
        ),
        "Held-out accuracy from a few labels: pretrained vs random start": (
            "heldout_accuracy_pretrained",
            "heldout_accuracy_random",
        ),
        "Classifier cross-entropy on the labelled digits": ("xent_pretrained", "xent_random"),
    }
    # The classifiers' cross-entropies exist only in the last stage; Adam at 1e-3 on them has
    # not diverged in practice, and the loop guards only metrics that are reported.
    guarded_metrics = ("recon_error",)
    progress_metric = ("heldout_recon_error", "down")
    quick_settings = {"batch_size": 50, "layer_sizes": "64,64", "pretrain_steps": 150, "method": "cd"}
    quick_steps = 100
    presets = {
        "1000 labels": {"labels": 1000},
        "No pretraining": {"pretrain_steps": 0},
        "One layer (500)": {"layer_sizes": "500"},
        "Four layers": {"layer_sizes": "500,500,500,1000"},
    }
    tools = ("draw",)

    @property
    def sizes(self) -> tuple[int, ...]:
        return parse_widths("layer_sizes", self.config.layer_sizes)

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return (min(SHOWN_FILTERS, self.sizes[0]), *self.image_shape)

    # -- building -------------------------------------------------------------------------------
    def load_data(self):
        data = super().load_data()
        check_unit_range(data)
        self.train_labels = data.train_labels  # for choosing the labelled few
        return data

    def make_model(self, pixels: int) -> DeepBeliefNet:
        return DeepBeliefNet(pixels, self.sizes)

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        self.model.layers[0].init_visible_bias(self.train_x)
        self.trainers = [
            ContrastiveDivergence(
                rbm,
                k=cfg.cd_steps,
                persistent=cfg.method == "pcd",
                chains=cfg.batch_size,
                dream_chains=DREAM_CHAINS,
            )
            for rbm in self.model.layers
        ]
        # The greedy schedule: one stage per RBM (N steps each), then the classifiers.
        self.schedule = Schedule(
            [
                *(
                    (f"RBM {k + 1}: {rbm.visible}→{rbm.hidden}", cfg.pretrain_steps)
                    for k, rbm in enumerate(self.model.layers)
                ),
                ("classifiers", cfg.classifier_steps),
            ]
        )
        classes = int(self.test_labels.max()) + 1
        self.classifiers = {
            "pretrained": classifier_like(self.model, classes),
            "random": classifier_like(self.model, classes),
        }
        self.classifier_optimizers = {
            name: torch.optim.Adam(net.parameters(), lr=cfg.classifier_learning_rate)
            for name, net in self.classifiers.items()
        }
        self.labelled = self.labelled_subset(cfg.labels)
        self.enter_stage()

    def labelled_subset(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`count` training digits with their labels, equally many per class, the same in every
        run (chosen from the config, not the seed)."""
        labels = self.train_labels
        rng = np.random.default_rng(0)
        classes = np.unique(labels)
        per_class = max(1, count // len(classes))
        index = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes])
        index = torch.as_tensor(index, device=self.device)
        return self.train_x[index], torch.as_tensor(labels, device=self.device)[index]

    # -- the schedule ---------------------------------------------------------------------------
    @property
    def stage(self) -> Stage:
        """The stage the next training step belongs to; the classifiers go on after their plan."""
        return self.schedule.at(self.step)

    def enter_stage(self) -> Stage:
        """The current stage; the stack in use grows with it (RBM k's stage uses RBMs 1 … k), and
        the pretrained classifier takes the stack's weights before its first step."""
        stage = self.stage
        self.model.depth = len(self.sizes) if stage.last else stage.index + 1
        if stage.last and stage.steps_done(self.step) == 0:
            initialise_from_stack(self.classifiers["pretrained"], self.model)
        return stage

    @property
    def top_trainer(self) -> ContrastiveDivergence:
        """The trainer of the highest RBM in use: its chains are the ones that dream."""
        return self.trainers[self.model.depth - 1]

    # -- one step ---------------------------------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        stage = self.enter_stage()
        if stage.last:
            return self.classifier_step()
        cfg = self.config
        with torch.no_grad():  # the layers below are frozen: their activities are just data
            v = self.model.encode(self.minibatch(), depth=stage.index)
        return self.trainers[stage.index].step(
            v,
            self.generator,
            cfg.learning_rate,
            momentum_at(cfg, stage.steps_done(self.step)),
            cfg.weight_decay,
        )

    def classifier_step(self) -> dict[str, torch.Tensor]:
        """One Adam step of both classifiers on the same labelled minibatch; the top chain keeps
        dreaming."""
        x, y = self.labelled
        pick = torch.randint(
            len(x), (min(self.config.batch_size, len(x)),), device=self.device, generator=self.generator
        )
        losses = {}
        for name, net in self.classifiers.items():
            xent = F.cross_entropy(net(x[pick]), y[pick])
            optimizer = self.classifier_optimizers[name]
            optimizer.zero_grad(set_to_none=True)
            xent.backward()
            optimizer.step()
            losses[f"xent_{name}"] = xent.detach()
        self.top_trainer.advance_dreams(self.generator)
        return losses

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        stage = self.enter_stage()
        top = self.model.depth - 1
        noise = torch.Generator(device=self.device).manual_seed(0)
        below = self.model.encode(self.test_x, depth=top)
        error = float(self.model.layers[top].reconstruction_error(below, noise).mean())
        metrics = {"heldout_recon_error": error, "stage": float(stage.number)}
        if not stage.last:
            metrics[f"heldout_layer{top + 1}"] = error
        else:
            labels = torch.as_tensor(self.test_labels, device=self.device)
            for name, net in self.classifiers.items():
                correct = net(self.test_x).argmax(dim=1) == labels
                metrics[f"heldout_accuracy_{name}"] = float(correct.float().mean())
        return metrics

    # -- what the window shows ------------------------------------------------------------------
    def filter_images(self) -> np.ndarray:
        return super().filter_images()[:SHOWN_FILTERS]

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        self.enter_stage()
        panels = super().snapshot()
        depth = self.model.depth
        panels["filters"].title = "RBM 1 filters (the first 100)  x_i = w_ij / ‖w_·j‖"
        layers = f"{depth} layer{'s' if depth > 1 else ''}"
        panels["reconstructions"].title = f"Held-out digits, up through {layers} and back down"
        dreams = self.model.decode(self.top_trainer.dream(DREAM_CHAINS), depth=depth - 1)
        panels["dreams"] = ImageGrid(
            f"Dreams: a Gibbs chain in RBM {depth}, pushed down to the pixels",
            dreams.cpu().numpy().reshape(-1, *self.image_shape),
            "unit",
            caption="One Gibbs step of the top RBM per training step; the layers below turn "
            "its visible states into pixels with p(v | h).",
        )
        panels["stages"] = self.stage_table()
        return panels

    def stage_table(self) -> Table:
        active = self.stage
        rows: list[list[Any]] = [
            [
                f"{s.number}. {s.name}",
                f"{s.steps_done(self.step)} / {s.planned}",
                self.schedule.status(s, self.step),
            ]
            for s in self.schedule
        ]
        return Table(
            f"Greedy stage: {active.number}. {active.name}  "
            f"({self.config.labels} labels for the classifiers)",
            ["stage", "steps", "status"],
            rows,
        )

    # -- checkpoints and live changes -----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            **cpu_copy(
                {
                    "trainers": [t.state_dict() for t in self.trainers],
                    "classifiers": {n: net.state_dict() for n, net in self.classifiers.items()},
                    "optimizers": {n: o.state_dict() for n, o in self.classifier_optimizers.items()},
                }
            ),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        for trainer, saved in zip(self.trainers, state["trainers"], strict=True):
            trainer.load_state_dict(saved)
        for name, net in self.classifiers.items():
            net.load_state_dict(state["classifiers"][name])
            self.classifier_optimizers[name].load_state_dict(state["optimizers"][name])

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "classifier_learning_rate":
            for optimizer in self.classifier_optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = value

"""Semi-supervised learning: an autoencoder learns from every image, a classifier from a few labels.

    stage 1   train an autoencoder on all N training images, no labels:  h = encoder(x)
              with jitter ν it reads x̃, the digit moved, turned and scaled a little, and must
              give back x itself: h learns to forget where and how the digit was written
    stage 2   take n labelled images per class (n·10 in all) and fit softmax regression on codes
                  p(y = c | x) = softmax(W z + b)_c,   z = (h − μ) / s
                  L = −(1/n) Σ_i log p(y_i | x_i) + (λ/2) ‖W‖²
              and the same classifier on the raw pixels, z = (x − μ) / s, as the baseline;
              μ is the mean and s the root-mean-square spread of the features of the unlabelled pool
    (stage 3) fine-tune: the same loss, minimised through the encoder too (a copy of it), on the
              labelled digits jittered afresh at every step as stage 1's inputs were

With 10 labels per digit a classifier on pixels has to guess what a "7" is from ten examples; on
the codes, the autoencoder has already grouped the images that look alike, and ten labels name
the groups. How well it groups them depends on what the code was asked to keep: a plain
autoencoder keeps every pixel's position, so a "1" slanted left and one slanted right get far-apart
codes; the jittered one has learned that those differences are noise.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.core.config import ConfigError, coerce, param, spec_for
from unsuplab.core.payloads import Curves, ImageGrid, Matrix, PairedRows, Payload, Table
from unsuplab.core.registry import register
from unsuplab.experiments._feature_lessons import (
    FeatureLesson,
    check_feature_model,
    encode_all,
    feature_model_field,
    first_per_class,
    images,
    jitter_field,
)
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)
from unsuplab.models.state import cpu_copy

#: Label counts per class every run compares (those the training set can give).
LABEL_COUNTS = (1, 2, 5, 10, 20, 50, 100)
MAX_LABELS = LABEL_COUNTS[-1]
CLASSIFIER_LEARNING_RATE = 0.02  # Adam on a convex loss, full batch
FINE_TUNE_LEARNING_RATE = 1e-4  # small: a few labels must nudge the encoder, not rewrite it
MISCLASSIFIED_SHOWN = 40


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    feature_model: str = feature_model_field("deep-autoencoder")
    jitter: float = jitter_field(0.5)
    pretrain_steps: int = param(
        3000,
        "Stage 1: minibatch steps of the autoencoder on all "
        "training images, without labels, before any classifier is "
        "fitted.",
        low=0,
        high=10_000_000,
    )
    preview_from: int = param(
        50,
        "During stage 1, fit both classifiers on the codes as they are "
        "after N, 2N, 4N, … steps: a first result shows within a minute and improves as the "
        "autoencoder learns; stage 2 fits them again on the final codes. 0: no previews.",
        low=0,
        high=10_000_000,
    )
    labels_per_class: int = param(
        10,
        "n, the labelled images of each class the classifiers "
        "learn from (n·10 labels in all). Can change while training: "
        "a new n is fitted at once.",
        low=1,
        high=MAX_LABELS,
        live=True,
        slider=True,
    )
    classifier_steps: int = param(
        300,
        "Full-batch Adam steps fitting each softmax regression "
        "p(y|x) = softmax(W z + b) on the n labelled images.",
        low=1,
        high=100_000,
    )
    l2: float = param(
        0.01,
        "λ in L = −mean log p(y_i|x_i) + (λ/2)‖W‖²: with ten examples of a "
        "class, weights left free fit their noise.",
        low=0.0,
        high=10.0,
    )
    fine_tune_steps: int = param(
        300,
        "Stage 3: Adam steps of the same loss through the encoder "
        "too (a copy of it, so the sweep keeps the stage-1 codes). "
        "0 skips fine-tuning.",
        low=0,
        high=100_000,
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        check_feature_model(self)


@dataclass
class Task:
    """A unit of stage 2 or 3: fit both classifiers on n labels per class, or fine-tune."""

    kind: str  # "fit" | "fine-tune"
    count: int
    steps: int = 0


def softmax_loss(head: nn.Linear, z: torch.Tensor, y: torch.Tensor, l2: float) -> torch.Tensor:
    """L = −mean_i log softmax(W z_i + b)_{y_i} + (λ/2)‖W‖²."""
    return F.cross_entropy(head(z), y) + 0.5 * l2 * head.weight.pow(2).sum()


@register
class SemiSupervised(FeatureLesson):
    name = "semi-supervised"
    title = "Semi-supervised learning"
    summary = "An autoencoder learns from every digit; ten labels per class then name its codes."
    Config = Config
    curves = {
        "Stage 1: autoencoder loss on unlabelled images": ("loss", "heldout_loss"),
        "Stage 2–3: classifier loss on the labelled images": (
            "classifier_loss_codes",
            "classifier_loss_pixels",
            "fine_tune_loss",
        ),
        "Held-out accuracy at the chosen n (%)": (
            "heldout_accuracy_codes",
            "heldout_accuracy_pixels",
            "heldout_accuracy_fine_tuned",
        ),
    }
    quick_settings = {
        "batch_size": 32,
        "classifier_steps": 20,
        "fine_tune_steps": 5,
        "feature_model": "autoencoder",
    }
    presets = {
        "1 label per class": {"labels_per_class": 1},
        "Jitter ν = 0": {"jitter": 0.0},
        "No pretraining": {"pretrain_steps": 0},
        "No fine-tuning": {"fine_tune_steps": 0},
    }

    # -- data: the labelled pool and the sweep -------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        train_labels = self.data.train_labels
        self.available = int(np.bincount(train_labels).min())
        self.check_label_count(self.config.labels_per_class)
        # The first n of each class for every n (nested sets), drawn once from a fixed seed so
        # that runs with other seeds label the same images.
        self.pool = first_per_class(train_labels, min(MAX_LABELS, self.available))
        self.pool_x = torch.as_tensor(
            self.data.train_images[self.pool.ravel()].reshape(self.pool.size, -1), device=self.device
        )
        self.pool_y = torch.as_tensor(train_labels[self.pool.ravel()], device=self.device)
        self.test_y = torch.as_tensor(self.test_labels, device=self.device)
        self.pixel_scale = self.scale_of(self.pool_x)
        self.pixel_features = self.standardised(self.pool_x, self.test_x, scale=self.pixel_scale)
        self.code_features: tuple[torch.Tensor, torch.Tensor] | None = None
        self.fitted: dict[int, dict[str, Any]] = {}  # n -> heads and held-out accuracies
        self.fine_tuned: dict[int, torch.Tensor] = {}  # n -> held-out accuracy after stage 3
        self.tasks: list[Task] = self.plan(self.config.labels_per_class)
        self.work: dict[str, Any] | None = None  # the current task's heads and optimiser

    def check_label_count(self, count: int) -> None:
        if count > self.available:
            digit = int(np.argmin(np.bincount(self.data.train_labels)))
            raise ConfigError(
                "labels_per_class",
                f"{count} labels per class asked, but the "
                f"training set holds only {self.available} images of class {digit}",
            )

    def plan(self, chosen: int) -> list[Task]:
        """The chosen n first, then the sweep over the other counts, then fine-tuning."""
        tasks = [Task("fit", n) for n in self.counts(chosen) if not self.is_final(n)]
        if self.config.fine_tune_steps and chosen not in self.fine_tuned:
            tasks.append(Task("fine-tune", chosen))
        return tasks

    def is_final(self, count: int) -> bool:
        """Whether the classifiers for `count` were fitted on the final codes (not a preview)."""
        return count in self.fitted and "preview_step" not in self.fitted[count]

    def labelled(self, count: int) -> torch.Tensor:
        """Rows of the pool that carry the labels of n = `count` images per class."""
        index = np.arange(self.pool.size).reshape(self.pool.shape)[:, :count].ravel()
        return torch.as_tensor(index, device=self.device)

    @staticmethod
    def scale_of(pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ, the pool's mean, and s, the root-mean-square spread of all its features (one
        number, so the features keep their relative scales)."""
        mean = pool.mean(dim=0)
        return mean, (pool - mean).pow(2).mean().sqrt().clamp_min(1e-8)

    @staticmethod
    def standardised(
        *features: torch.Tensor, scale: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, ...]:
        """z = (f − μ)/s for each feature matrix."""
        mean, spread = scale
        return tuple((f - mean) / spread for f in features)

    def codes(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Standardised codes of the pool and the held-out images (fixed once stage 1 ends)."""
        if self.code_features is None:
            pool = encode_all(self.features, self.pool_x)
            self.code_scale = self.scale_of(pool)
            self.code_features = self.standardised(
                pool, encode_all(self.features, self.test_x), scale=self.code_scale
            )
        return self.code_features

    # -- training --------------------------------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        if self.step < self.config.pretrain_steps:  # stage 1: the autoencoder, without labels
            metrics = self.train_features()
            if self.is_preview_step(self.step + 1):
                self.preview()
            return metrics
        if self.step == self.config.pretrain_steps:
            self.code_features = None  # a preview's codes: stage 2 encodes with the final ones
        if not self.tasks:  # every count is fitted: keep polishing the chosen n's classifiers
            self.tasks.append(Task("fit", self.config.labels_per_class))
        task = self.tasks[0]
        if self.work is None:
            self.work = self.start(task)
        metrics = self.fit_step(task) if task.kind == "fit" else self.fine_tune_step(task)
        task.steps += 1
        limit = self.config.classifier_steps if task.kind == "fit" else self.config.fine_tune_steps
        if task.steps >= limit:
            self.finish(task)
        return metrics

    def is_preview_step(self, steps_done: int) -> bool:
        """N, 2N, 4N, … steps into stage 1 (N = preview_from), before it ends."""
        first = self.config.preview_from
        if not first or steps_done % first or steps_done >= self.config.pretrain_steps:
            return False
        ratio = steps_done // first
        return ratio & (ratio - 1) == 0

    def preview(self) -> None:
        """Fit both classifiers for every label count, in full, on the codes as they are now."""
        self.code_features = None
        for count in self.counts(self.config.labels_per_class):
            task = Task("fit", count)
            self.work = self.start(task)
            for _ in range(self.config.classifier_steps):
                self.fit_step(task)
            self.record(task)
            self.fitted[count]["preview_step"] = self.step + 1
        self.work = None

    def counts(self, chosen: int) -> list[int]:
        """The label counts the training set can give, `chosen` first."""
        return [chosen] + [n for n in LABEL_COUNTS if n != chosen and n <= self.available]

    def start(self, task: Task) -> dict[str, Any]:
        """Fresh heads for a fit (or the fitted ones, to polish); for fine-tuning a copy of the
        encoder and of the code classifier fitted on the same labels."""
        dims = {"codes": self.codes()[0].shape[1], "pixels": self.pixel_features[0].shape[1]}
        heads = {}
        for name, dim in dims.items():
            heads[name] = nn.Linear(dim, 10).to(self.device)
            if self.is_final(task.count):
                heads[name].load_state_dict(self.fitted[task.count][name])
            else:
                nn.init.zeros_(heads[name].weight)  # zero: the convex fit does not need noise
                nn.init.zeros_(heads[name].bias)
        if task.kind == "fit":
            parameters = [p for head in heads.values() for p in head.parameters()]
            return {"heads": heads, "optimizer": torch.optim.Adam(parameters, lr=CLASSIFIER_LEARNING_RATE)}
        encoder = copy.deepcopy(self.features.model)
        head = heads["codes"]
        parameters = [*encoder.parameters(), *head.parameters()]
        return {
            "heads": {"codes": head},
            "encoder": encoder,
            "optimizer": torch.optim.Adam(parameters, lr=FINE_TUNE_LEARNING_RATE),
        }

    def fit_step(self, task: Task) -> dict[str, torch.Tensor]:
        rows = self.labelled(task.count)
        y = self.pool_y[rows]
        heads = self.work["heads"]
        losses = {
            name: softmax_loss(heads[name], features[0][rows], y, self.config.l2)
            for name, features in (("codes", self.codes()), ("pixels", self.pixel_features))
        }
        self.descend(sum(losses.values()))
        return {f"classifier_loss_{name}": loss.detach() for name, loss in losses.items()}

    def fine_tune_step(self, task: Task) -> dict[str, torch.Tensor]:
        rows = self.labelled(task.count)
        # The labelled digits jittered as stage 1's inputs were: ten examples become many.
        x = self.features.corrupt(self.pool_x[rows], self.features.generator)
        loss = softmax_loss(
            self.work["heads"]["codes"], self.fine_tuned_codes(x), self.pool_y[rows], self.config.l2
        )
        self.descend(loss)
        return {"fine_tune_loss": loss.detach()}

    def fine_tuned_codes(self, x: torch.Tensor) -> torch.Tensor:
        """z = (encoder′(x) − μ)/s through the fine-tuned copy, with stage 1's μ and s."""
        self.codes()  # sets the code scale
        return self.standardised(self.work["encoder"].encode(x).flatten(1), scale=self.code_scale)[0]

    def descend(self, loss: torch.Tensor) -> None:
        """One step of the current task's Adam down the gradient of `loss`."""
        optimizer = self.work["optimizer"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def finish(self, task: Task) -> None:
        """Record the task's result and go on to the next task."""
        self.record(task)
        self.tasks.pop(0)
        self.work = None

    @torch.no_grad()
    def record(self, task: Task) -> None:
        """Keep the task's heads and held-out accuracy (on the device: no sync inside training)."""
        heads = self.work["heads"]
        if task.kind == "fit":
            self.fitted[task.count] = {
                **{name: cpu_copy(head.state_dict()) for name, head in heads.items()},
                "accuracy": {
                    name: self.accuracy(heads[name], test)
                    for name, (_, test) in (("codes", self.codes()), ("pixels", self.pixel_features))
                },
            }
        else:
            test_codes = torch.cat([self.fine_tuned_codes(chunk) for chunk in self.test_x.split(500)])
            self.fine_tuned[task.count] = self.accuracy(heads["codes"], test_codes)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, count: int, representation: str = "codes") -> torch.Tensor:
        """Classes predicted for flattened images x by the classifier fitted on `count` labels
        per class, on the codes or on the pixels (for measuring on other test sets)."""
        self.codes()  # the code scale
        if representation == "codes":
            features, scale = encode_all(self.features, x), self.code_scale
        else:
            features, scale = x, self.pixel_scale
        head = nn.Linear(features.shape[1], 10).to(self.device)
        head.load_state_dict(self.fitted[count][representation])
        return head(self.standardised(features, scale=scale)[0]).argmax(dim=1)

    def accuracy(self, head: nn.Linear, z: torch.Tensor) -> torch.Tensor:
        return (head(z).argmax(dim=1) == self.test_y).float().mean() * 100

    # -- the slider ------------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        if name == "labels_per_class" and self.built:
            # Refuse before the config changes: the form then keeps the value that works.
            value = coerce(spec_for(Config, name), value)
            self.check_label_count(value)
        super().set_live(name, value)

    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "labels_per_class" and self.built:
            # The new n goes first; an unfinished task restarts after it.
            current = self.tasks[0] if self.tasks and self.work is not None else None
            if current is not None:
                current.steps, self.work = 0, None
            pending = [t for t in self.tasks if t.count != value]
            self.tasks = [t for t in self.plan(value) if t.count == value] + pending

    # -- what the views show -----------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = super().evaluate()
        chosen = self.fitted.get(self.config.labels_per_class)
        if chosen is not None:
            for name, value in chosen["accuracy"].items():
                metrics[f"heldout_accuracy_{name}"] = float(value)
        if self.config.labels_per_class in self.fine_tuned:
            metrics["heldout_accuracy_fine_tuned"] = float(self.fine_tuned[self.config.labels_per_class])
        return metrics

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels: dict[str, Payload] = {"reconstructions": self.reconstruction_panel()}
        if self.fitted:
            panels["accuracy"] = self.accuracy_curves()
            panels["results"] = self.results_table()
        if self.config.labels_per_class in self.fitted:
            panels.update(self.error_panels(self.config.labels_per_class))
        return panels

    def reconstruction_panel(self) -> PairedRows:
        index = first_per_class(self.test_labels, 1)[:, 0]
        stage = (
            "stage 1: learning from unlabelled images"
            if self.step < self.config.pretrain_steps
            else "stage 1 done"
        )
        # What the autoencoder reads (jittered, where asked) and what it must give back.
        x_in = self.features.test_input[index]
        rows = {
            "jittered input" if self.config.jitter else "input": images(x_in, self.image_shape),
            "reconstruction": images(self.features.reconstruct(x_in), self.image_shape),
        }
        if self.config.jitter:
            rows["target"] = images(self.test_x[index], self.image_shape)
        return PairedRows(f"Held-out digits through the {self.config.feature_model} ({stage})", rows)

    def accuracy_curves(self) -> Curves:
        counts = np.array(sorted(self.fitted), dtype=np.float64)
        series = {
            f"codes ({self.config.feature_model})": (
                counts,
                np.array([float(self.fitted[n]["accuracy"]["codes"]) for n in sorted(self.fitted)]),
            ),
            "raw pixels": (
                counts,
                np.array([float(self.fitted[n]["accuracy"]["pixels"]) for n in sorted(self.fitted)]),
            ),
        }
        if self.fine_tuned:
            tuned = sorted(self.fine_tuned)
            series["codes, fine-tuned"] = (
                np.array(tuned, dtype=np.float64),
                np.array([float(self.fine_tuned[n]) for n in tuned]),
            )
        return Curves(
            "Held-out accuracy (%) against labels per class: softmax regression on codes vs on pixels"
            + self.preview_note(),
            series,
            x_label="labels per class",
            y_label="accuracy (%)",
        )

    def preview_note(self) -> str:
        """ ", a preview after s stage-1 steps" while the chosen n's fit is one, else ""."""
        entry = self.fitted.get(self.config.labels_per_class, {})
        if "preview_step" not in entry:
            return ""
        done, planned = entry["preview_step"], self.config.pretrain_steps
        return f" (a preview on the codes after {done} of {planned} stage-1 steps)"

    def results_table(self) -> Table:
        rows = []
        for n in sorted(self.fitted):
            accuracy = self.fitted[n]["accuracy"]
            tuned = self.fine_tuned.get(n)
            rows.append(
                [
                    n,
                    10 * n,
                    round(float(accuracy["codes"]), 1),
                    round(float(accuracy["pixels"]), 1),
                    "" if tuned is None else round(float(tuned), 1),
                ]
            )
        # Short headers: the table is a narrow strip of the window.
        return Table(
            f"Held-out accuracy (%) on {len(self.test_x)} digits, n labels per class" + self.preview_note(),
            ["n", "labels", "codes", "pixels", "tuned"],
            rows,
        )

    def error_panels(self, count: int) -> dict[str, Payload]:
        """Confusion matrix and misclassified held-out digits of the code classifier for n."""
        head = nn.Linear(self.codes()[1].shape[1], 10).to(self.device)
        head.load_state_dict(self.fitted[count]["codes"])
        predicted = head(self.codes()[1]).argmax(dim=1).cpu().numpy()
        from sklearn.metrics import confusion_matrix

        digits = [str(c) for c in range(10)]
        matrix = confusion_matrix(self.test_labels, predicted, labels=range(10))
        wrong = np.flatnonzero(predicted != self.test_labels)
        # Held-out digits come sorted by class: take the errors round-robin over the true digits,
        # so the grid shows every kind of mistake rather than forty zeros.
        rank = np.array(
            [np.sum(self.test_labels[wrong[:k]] == self.test_labels[i]) for k, i in enumerate(wrong)]
        )
        wrong = wrong[np.lexsort((self.test_labels[wrong], rank))][:MISCLASSIFIED_SHOWN]
        pairs = ", ".join(f"{self.test_labels[i]}→{predicted[i]}" for i in wrong)
        return {
            "confusion": Matrix(
                f"Confusion of the code classifier, {count} labels per class" + self.preview_note(),
                matrix.astype(np.float64),
                digits,
                digits,
                row_title="true digit",
                column_title="predicted digit",
            ),
            "misclassified": ImageGrid(
                f"Misclassified held-out digits ({int((predicted != self.test_labels).sum())} of "
                f"{len(predicted)}), code classifier, n = {count}",
                images(self.test_x[wrong], self.image_shape),
                "unit",
                columns=10,
                caption=f"true→predicted, row by row: {pairs}",
            ),
        }

    # -- checkpoints -------------------------------------------------------------------------------
    def own_state(self) -> dict[str, Any]:
        work = None
        if self.work is not None:
            work = {
                "heads": {n: h.state_dict() for n, h in self.work["heads"].items()},
                "optimizer": self.work["optimizer"].state_dict(),
                "encoder": self.work["encoder"].state_dict() if "encoder" in self.work else None,
            }
        return {
            "fitted": self.fitted,
            "fine_tuned": self.fine_tuned,
            "tasks": [(t.kind, t.count, t.steps) for t in self.tasks],
            "work": work,
        }

    def load_own_state(self, state: dict[str, Any]) -> None:
        self.code_features = None  # codes of the autoencoder just loaded
        self.fitted = cpu_copy(state["fitted"])
        self.fitted = {
            n: {**entry, "accuracy": {k: v.to(self.device) for k, v in entry["accuracy"].items()}}
            for n, entry in self.fitted.items()
        }
        self.fine_tuned = {n: v.to(self.device) for n, v in state["fine_tuned"].items()}
        self.tasks = [Task(*t) for t in state["tasks"]]
        self.work = None
        if state["work"] is not None:
            self.work = self.start(self.tasks[0])
            for name, head in self.work["heads"].items():
                head.load_state_dict(state["work"]["heads"][name])
            if state["work"]["encoder"] is not None:
                self.work["encoder"].load_state_dict(state["work"]["encoder"])
            self.work["optimizer"].load_state_dict(state["work"]["optimizer"])

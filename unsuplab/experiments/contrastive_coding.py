"""Contrastive predictive coding (van den Oord, Li & Vinyals 2018): learn codes of digits, without
labels, by predicting which image comes next in a sequence that follows a rule.

    sequences   x_1 … x_{T+K}: images of the digits d, d+1, d+2, … (mod 10), each a random image
                of its digit, as in the Keras demonstration of CPC; the networks never see a label
    encoder     z_t = g_enc(x_t)                         784-h-d perceptron, one image at a time
    context     c_T = GRU(z_1, …, z_T)                   what the T given images say
    prediction  score f_k(x, c_T) = g_enc(x)ᵀ W_k c_T     for the k-th image ahead, k = 1 … K
    InfoNCE     L = −E log  exp f_k(x_{T+k}, c_T) / Σ_{j=0…N} exp f_k(x_j, c_T)
                x_0 = x_{T+k} the true future, x_1 … x_N negatives: images of other digits drawn
                from the minibatch's sequences
    accuracy    the share of predictions whose highest score is the true future (chance 1/(N+1))
    probe       softmax regression p(y | x) = softmax(W z + b) fitted on n labelled images per
                class, on the CPC codes z, on an autoencoder's codes h, and on the pixels

To pick the image that continues 3, 4, 5, 6 among images of other digits, z must say which digit
an image shows, and little else: the codes of one digit gather, and ten labels name the groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from unsuplab.core.config import ConfigError, param
from unsuplab.core.payloads import Bars, ImageGrid, PairedRows, Payload, Scatter
from unsuplab.core.registry import register
from unsuplab.experiments._feature_lessons import (
    FeatureLesson,
    check_feature_model,
    encode_all,
    feature_model_field,
    first_per_class,
    images,
)
from unsuplab.experiments._image_autoencoder import (
    data_file_field,
    dataset_field,
    learning_rate_field,
    top_two_components,
)
from unsuplab.experiments.clustering import tsne_plane
from unsuplab.experiments.semi_supervised import softmax_loss
from unsuplab.models.cpc import ContrastivePredictiveCoder, info_nce

DIGITS = 10
#: The step from one digit of a sequence to the next; "random" draws every digit afresh, so
#: nothing about the future can be known and the codes have nothing to learn.
RULES = {"ascending": 1, "descending": -1, "random": None}
HELD_OUT_SEQUENCES = 200  # made once from the held-out images, the same in every run
HELD_OUT_SEED = 2018
SHOWN_SEQUENCES = 2  # held-out sequences in the strip of picks
LATENT_POINTS = 500  # held-out codes in the map
MAX_LABELS = 100  # labelled images per class the probe may use, nested for every n
PROBE_STEPS = 100  # L-BFGS iterations at most for each softmax regression (convex: it converges)
PROBE_L2 = 0.01  # λ in the probe's (λ/2)‖W‖²
NEIGHBOURS = 7  # held-out digits shown beside a clicked code


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    rule: str = param(
        "ascending",
        "How each sequence goes on: ascending d, d+1, d+2, … (mod 10), descending d, d−1, …, or "
        "random (every digit drawn afresh: the future cannot be predicted, a control).",
        choices=tuple(RULES),
    )
    context_length: int = param(
        4,
        "T, the images the context c_T = GRU(z_1, …, z_T) reads before it predicts.",
        low=1,
        high=16,
        label="Context length T",
    )
    predict_steps: int = param(
        4,
        "K, how many images ahead are predicted: one matrix W_k per step k = 1 … K, "
        "scoring f_k(x, c_T) = g_enc(x)ᵀ W_k c_T.",
        low=1,
        high=16,
        label="Prediction steps K",
    )
    negatives: int = param(
        15,
        "N, the images of other digits each true future is set against in "
        "L = −log exp f(x⁺) / Σ_{j=0…N} exp f(x_j); chance accuracy is 1/(N+1), and "
        "log(N+1) − L bounds the mutual information I(x_{T+k}; c_T) from below.",
        low=1,
        high=255,
        label="Negatives N",
    )
    code_size: int = param(
        32,
        "d, the width of the code z = g_enc(x) = W₂ relu(W₁ x + b₁) + b₂ (the autoencoder's is 32 too).",
        low=2,
        high=1024,
        label="Code size d",
    )
    hidden: int = param(256, "h, the width of the encoder's hidden layer relu(W₁ x + b₁).", low=1, high=4096)
    context_size: int = param(
        64,
        "Width of the GRU state c_t = GRU(c_{t−1}, z_t), what the sequence so far says.",
        low=1,
        high=1024,
    )
    labels_per_class: int = param(
        10,
        "n, the labelled images per class the linear probes p(y|x) = softmax(W z + b) learn "
        "from (n·10 labels in all), on CPC codes, autoencoder codes and pixels. Can change "
        "while training.",
        low=1,
        high=MAX_LABELS,
        live=True,
        slider=True,
    )
    feature_model: str = feature_model_field("autoencoder")
    learning_rate: float = learning_rate_field(1e-3)
    sequences: int = param(
        32,
        "B, the sequences of T + K images in each minibatch (the autoencoder trains on as many "
        "images per step as its own lesson does).",
        low=2,
        high=1024,
    )

    @property
    def length(self) -> int:
        return self.context_length + self.predict_steps

    def check(self) -> None:
        check_feature_model(self)
        pool = self.sequences * self.length
        if self.negatives > pool // 2:
            raise ConfigError(
                "negatives",
                f"{self.negatives} negatives, but a minibatch of {self.sequences} sequences of "
                f"{self.length} images holds {pool}: at most {pool // 2} (half of them), so that "
                "enough show other digits",
            )


class ByDigit:
    """Draws a random image of each asked digit: a table of every digit's image indices."""

    def __init__(self, labels: np.ndarray, device: torch.device):
        counts = np.bincount(labels, minlength=DIGITS)
        table = np.zeros((DIGITS, counts.max()), dtype=np.int64)
        for digit in range(DIGITS):
            table[digit, : counts[digit]] = np.flatnonzero(labels == digit)
        self.table = torch.as_tensor(table, device=device)
        self.counts = torch.as_tensor(counts, device=device)

    def pick(self, digits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Image indices, the shape of `digits`, each a uniform draw among its digit's images."""
        u = torch.rand(digits.shape, device=digits.device, generator=generator)
        return self.table[digits, (u * self.counts[digits]).long()]


def rule_digits(count: int, length: int, rule: str, generator: torch.Generator) -> torch.Tensor:
    """(count, length) digits of sequences following `rule` from random first digits."""
    device = generator.device
    if RULES[rule] is None:
        return torch.randint(DIGITS, (count, length), device=device, generator=generator)
    first = torch.randint(DIGITS, (count, 1), device=device, generator=generator)
    return (first + RULES[rule] * torch.arange(length, device=device)) % DIGITS


def other_digit_elements(
    digits: torch.Tensor, context_length: int, count: int, generator: torch.Generator
) -> torch.Tensor:
    """(b, K, N) indices into the b·(T+K) elements of the sequences `digits` (b, T+K): for each
    future element, N elements of the minibatch that show another digit, drawn at random
    (elements of its own digit only if too few others exist)."""
    future, pool = digits[:, context_length:], digits.flatten()
    keys = torch.rand((*future.shape, len(pool)), device=digits.device, generator=generator)
    keys = keys.masked_fill(future[..., None] == pool, -1.0)
    return keys.topk(count, dim=-1).indices


def probe_accuracy(
    train: torch.Tensor, labels: torch.Tensor, test: torch.Tensor, test_labels: torch.Tensor
) -> float:
    """Held-out accuracy (%) of softmax regression fitted (to its minimum, by L-BFGS) on
    features `train` with `labels`, both feature sets standardised as z = (f − μ)/s by the
    labelled set's mean μ and one root-mean-square spread s."""
    mean = train.mean(dim=0)
    spread = (train - mean).pow(2).mean().sqrt().clamp_min(1e-8)
    train, test = (train - mean) / spread, (test - mean) / spread
    head = nn.Linear(train.shape[1], DIGITS).to(train.device)
    nn.init.zeros_(head.weight)  # zero: the convex fit needs no noise, and repeats exactly
    nn.init.zeros_(head.bias)
    optimizer = torch.optim.LBFGS(head.parameters(), max_iter=PROBE_STEPS, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = softmax_loss(head, train, labels, PROBE_L2)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        return float((head(test).argmax(dim=1) == test_labels).float().mean() * 100)


@register
class ContrastiveCoding(FeatureLesson):
    name = "contrastive-coding"
    title = "Contrastive predictive coding"
    summary = (
        "Predict which digit comes next among impostors: codes that a linear probe reads with ten labels."
    )
    Config = Config
    tools = ("tsne",)
    curves = {
        "InfoNCE loss (nats)": ("infonce", "heldout_infonce"),
        "True future picked (%)": ("accuracy", "heldout_accuracy"),
        "Linear probe (%, held-out)": (
            "heldout_probe_cpc",
            "heldout_probe_autoencoder",
            "heldout_probe_pixels",
        ),
    }
    guarded_metrics = ("infonce", "loss")
    progress_metric = ("heldout_accuracy", "up")
    quick_settings = {"sequences": 16, "negatives": 7}
    quick_steps = 40
    comparisons = {"Ordered vs random sequences": {"rule": ("ascending", "random")}}
    presets = {
        "Random order (control)": {"rule": "random"},
        "One label per class": {"labels_per_class": 1},
        "Predict 1 step ahead": {"predict_steps": 1},
        "63 negatives": {"negatives": 63},
    }

    @property
    def samples_per_step(self) -> int:
        return self.config.sequences * self.config.length

    # -- data: sequences that follow the rule ------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        for split, labels in (("training", self.data.train_labels), ("held-out", self.test_labels)):
            if labels.min() < 0 or labels.max() >= DIGITS or len(np.unique(labels)) < DIGITS:
                raise ConfigError("dataset", f"the {split} images must have labels of all ten classes 0–9")
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.train_x = torch.as_tensor(
            self.data.train_images.reshape(len(self.data.train_images), -1), device=self.device
        )
        self.train_digits = ByDigit(self.data.train_labels, self.device)
        self.model = ContrastivePredictiveCoder(
            self.train_x.shape[1], cfg.hidden, cfg.code_size, cfg.context_size, cfg.predict_steps
        ).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate)
        # Held-out sequences, their images and their negatives drawn once from a fixed seed: the
        # curves move only with the weights, and every run is judged on the same sequences.
        fixed = torch.Generator(device=self.device).manual_seed(HELD_OUT_SEED)
        self.held_out_digits = rule_digits(HELD_OUT_SEQUENCES, cfg.length, cfg.rule, fixed)
        self.held_out_images = ByDigit(self.test_labels, self.device).pick(self.held_out_digits, fixed)
        self.held_out_negatives = other_digit_elements(
            self.held_out_digits, cfg.context_length, cfg.negatives, fixed
        )
        # The probe's labelled images: the first n of each class for every n (nested sets).
        available = int(np.bincount(self.data.train_labels).min())
        self.labelled = first_per_class(self.data.train_labels, min(MAX_LABELS, available))
        self.test_y = torch.as_tensor(self.test_labels, device=self.device)
        self.latent_index = np.arange(min(LATENT_POINTS, len(self.test_x)))
        self._probes: dict[str, float] | None = None
        self._pixel_probes: dict[int, float] = {}  # n -> accuracy: pixels do not train

    # -- one step: contrast the true futures with the negatives -----------------------------------
    def contrast(self, x: torch.Tensor, negatives: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predictions W_k c_T (b, K, d) and candidates (b, K, 1 + N, d), the true future first,
        for sequences of flattened images x (b, T + K, pixels)."""
        z = self.model.encode(x)
        given = self.config.context_length
        predicted = self.model.predict(self.model.summarise(z[:, :given]))
        candidates = torch.cat([z[:, given:, None], z.flatten(0, 1)[negatives]], dim=2)
        return predicted, candidates

    def train_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        digits = rule_digits(cfg.sequences, cfg.length, cfg.rule, self.generator)
        x = self.train_x[self.train_digits.pick(digits, self.generator)]
        negatives = other_digit_elements(digits, cfg.context_length, cfg.negatives, self.generator)
        loss, accuracy = info_nce(*self.contrast(x, negatives))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        # The baseline learns from the same images, without their order.
        return {"infonce": loss.detach(), "accuracy": 100 * accuracy, **self.train_features()}

    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "learning_rate" and self.built:
            for group in self.optimizer.param_groups:
                group["lr"] = value
        if name == "labels_per_class" and self.built:
            self._probes = None

    # -- held-out figures --------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = super().evaluate()
        predicted, candidates = self.contrast(self.test_x[self.held_out_images], self.held_out_negatives)
        loss, accuracy = info_nce(predicted, candidates)
        metrics.update(heldout_infonce=float(loss), heldout_accuracy=float(100 * accuracy))
        self._probes = None  # refitted on the codes as they are now
        metrics.update({f"heldout_probe_{name}": value for name, value in self.probes().items()})
        return metrics

    def probes(self) -> dict[str, float]:
        """Held-out accuracy (%) of the linear probe on n labels per class, for each
        representation; kept until the next evaluation (fitting costs more than a step)."""
        if self._probes is None:
            count = self.label_count
            rows = torch.as_tensor(self.labelled[:, :count].ravel(), device=self.device)
            x, y = self.train_x[rows], torch.as_tensor(self.data.train_labels, device=self.device)[rows]
            if count not in self._pixel_probes:
                self._pixel_probes[count] = probe_accuracy(x, y, self.test_x, self.test_y)
            self._probes = {
                "cpc": probe_accuracy(self.codes(x), y, self.codes(self.test_x), self.test_y),
                "autoencoder": probe_accuracy(
                    encode_all(self.features, x), y, encode_all(self.features, self.test_x), self.test_y
                ),
                "pixels": self._pixel_probes[count],
            }
        return self._probes

    @property
    def label_count(self) -> int:
        """n, as asked, or as many as the rarest class has."""
        return min(self.config.labels_per_class, self.labelled.shape[1])

    @torch.no_grad()
    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """CPC codes z = g_enc(x) of flattened images x (n, pixels)."""
        return self.model.encode(x)

    # -- what the views show -----------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        return {
            "latent": self.latent_map(top_two_components(self.held_out_codes()).cpu().numpy()),
            "sequences": self.picks_panel(),
            "probe": self.probe_bars(),
        }

    def held_out_codes(self) -> torch.Tensor:
        return self.codes(self.test_x[self.latent_index])

    def latent_map(self, points: np.ndarray, method: str = "PCA") -> Scatter:
        """The held-out codes in a plane made by `method`: "PCA" (their two principal axes) or
        "t-SNE"."""
        axes = ("PC 1", "PC 2") if method == "PCA" else ("t-SNE 1", "t-SNE 2")
        return Scatter(
            f"CPC codes z ({method})",  # of held-out digits; short beside the t-SNE button
            points.astype(np.float32),
            self.test_labels[self.latent_index],
            self.data.test_images[self.latent_index],
            *axes,
        )

    def picks_panel(self) -> ImageGrid:
        """Held-out sequences in pairs of rows: a true sequence, and beneath it its T given images
        followed by the candidate the model scores highest for each step ahead (framed when
        wrong)."""
        cfg = self.config
        # Negatives come from all held-out sequences: score them all, show the first few.
        predicted, candidates = self.contrast(self.test_x[self.held_out_images], self.held_out_negatives)
        shown = slice(0, SHOWN_SEQUENCES)
        scores = torch.einsum("bkd,bknd->bkn", predicted[shown], candidates[shown])
        choice = scores.argmax(dim=2)  # (b, K): 0 is the true future
        index, negatives = self.held_out_images[shown], self.held_out_negatives[shown]
        pool = self.held_out_images.flatten()
        chosen_negative = negatives.gather(2, (choice - 1).clamp_min(0)[..., None])[..., 0]
        picked = torch.where(choice == 0, index[:, cfg.context_length :], pool[chosen_negative])
        given = index[:, : cfg.context_length]
        rows = torch.stack([index, torch.cat([given, picked], dim=1)], dim=1)  # (b, 2, T + K)
        wrong = torch.cat([torch.zeros_like(given), (choice > 0).long()], dim=1)
        framed = torch.stack([torch.zeros_like(wrong), wrong], dim=1).flatten().nonzero()[:, 0]
        right = int((choice == 0).sum())
        return ImageGrid(
            f"{cfg.rule.capitalize()} sequences and picks",
            images(self.test_x[rows.flatten()], self.image_shape),
            "unit",
            columns=cfg.length,
            caption=f"Rows in pairs: a true held-out sequence, and beneath it its first "
            f"{cfg.context_length} (the context) and the pick among {cfg.negatives + 1} for each "
            f"step ahead. {right} of {choice.numel()} picks right; a wrong pick is framed.",
            marked=tuple(framed.tolist()),
        )

    def probe_bars(self) -> Bars:
        found = self.probes()
        names = {"cpc": "CPC z", "autoencoder": "autoencoder", "pixels": "pixels"}
        # Short categories, each with its figure: three bars share a narrow chart.
        return Bars(
            f"Linear probe, {self.label_count} labels per class: held-out accuracy (%)",
            [f"{names[k]}: {found[k]:.1f}" for k in found],
            {"held-out accuracy (%)": np.array([found[k] for k in found], dtype=np.float64)},
            y_label="accuracy (%)",
            y_range=(0.0, 100.0),
        )

    # -- probes: a clicked point, the t-SNE button -------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "tsne":
            points = tsne_plane(self.held_out_codes().cpu().numpy())
            return {"latent_tsne": self.latent_map(points, "t-SNE")}
        if command == "inspect":
            return self.inspect(int(kwargs["index"]))
        return super().probe(command, **kwargs)

    def inspect(self, index: int) -> dict[str, Payload]:
        if not 0 <= index < len(self.latent_index):
            raise ValueError(f"point {index} is outside the {len(self.latent_index)} held-out codes")
        codes = self.held_out_codes()
        nearest = torch.cdist(codes[index : index + 1], codes)[0].argsort()[: NEIGHBOURS + 1]
        shown = self.latent_index[nearest.cpu().numpy()]
        return {
            "inspected": PairedRows(
                f"Held-out digit {self.test_labels[shown[0]]} and its {NEIGHBOURS} nearest by CPC code "
                f"(digits {', '.join(str(d) for d in self.test_labels[shown[1:]])})",
                {"nearest by z": images(self.test_x[shown], self.image_shape)},
            )
        }

    # -- checkpoints -------------------------------------------------------------------------------
    def own_state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_own_state(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self._probes = None  # probes of the weights just replaced

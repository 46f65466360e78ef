"""Anomaly detection by reconstruction error: an autoencoder trained only on "normal" images
reconstructs them well and anything else badly.

    train      an autoencoder on normal images only (every digit but one, or clean digits)
    score      s(x) = Σ_j (x̂_j − x_j)²                  the squared reconstruction error
           or  s(x) = Σ_j (x̂_j − x_j)² / Σ_j x_j²       the error per unit of ink (relative)
    flag       x is anomalous  ⇔  s(x) > t,   t = the q-quantile of s over normal training images
    ROC        TPR(t) = P(s > t | anomaly)  against  FPR(t) = P(s > t | normal), every t
    AUC        = P(s(anomaly) > s(normal)), the area under the ROC curve (0.5: chance, 1: perfect)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import param
from unsuplab.core.payloads import Curves, Histogram, ImageGrid, PairedRows, Payload, Table
from unsuplab.core.registry import register
from unsuplab.data.corruption import gaussian_noise
from unsuplab.experiments._feature_lessons import (
    FeatureLesson,
    check_feature_model,
    feature_model_field,
    images,
    reconstruction_errors,
)
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)

NOISY = "noisy digits"
ANOMALIES = tuple(f"digit {d}" for d in range(10)) + (NOISY,)
NOISE_LEVEL = 0.3  # σ of the Gaussian noise that makes a clean digit an anomaly
NOISE_SEED = 7  # the same noisy held-out digits in every run
THRESHOLD_SAMPLE = 1000  # normal training images whose scores set the threshold
FLAGGED_SHOWN = 40
WORST_SHOWN = 10
BINS = 40
#: The anomaly scores offered, as the panels write them.
SCORES = {"squared error": "Σ(x̂ − x)²", "relative error": "Σ(x̂ − x)² / Σx²"}


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    feature_model: str = feature_model_field("autoencoder")
    anomaly: str = param(
        "digit 0",
        "What the autoencoder never sees: one digit class left out "
        "of its training images, or noisy digits x̃ = clip(x + 0.3·ε, 0, 1) "
        "(it then trains on every clean digit).",
        choices=ANOMALIES,
    )
    threshold_quantile: float = param(
        0.95,
        "q: flag x when s(x) > t, t the q-quantile of the "
        "scores of normal training images, so about 1 − q of the "
        "normal images are false alarms. Can change while "
        "training.",
        low=0.5,
        high=0.9999,
        live=True,
        slider=True,
    )
    score: str = param(
        "squared error",
        "s(x): squared error Σ_j (x̂_j − x_j)², or relative "
        "error Σ_j (x̂_j − x_j)² / Σ_j x_j², the error per unit of ink. A 1 has "
        "little ink, so its squared error stays small however foreign it is to "
        "the network. Can change while training.",
        choices=tuple(SCORES),
        live=True,
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        check_feature_model(self)


@register
class AnomalyDetection(FeatureLesson):
    name = "anomaly-detection"
    title = "Anomaly detection"
    summary = "Train on every digit but one; the one it never saw reconstructs badly."
    Config = Config
    curves = {
        "Autoencoder loss (normal images only)": ("loss", "heldout_loss"),
        "Area under the ROC curve (held-out)": ("heldout_auc",),
        "At the threshold: share flagged (%)": ("heldout_detection_rate", "heldout_false_alarm_rate"),
    }
    quick_settings = {"batch_size": 32}
    presets = {
        "Leave out the 1s": {"anomaly": "digit 1"},
        "Relative error score": {"score": "relative error"},
        "Noisy digits as the anomaly": {"anomaly": "noisy digits"},
        "Deep autoencoder features": {"feature_model": "deep-autoencoder"},
    }

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        train_labels = self.data.train_labels
        if cfg.anomaly == NOISY:
            normal = np.ones(len(train_labels), dtype=bool)
            # Half the held-out digits stay clean (normal), the other half get fixed noise.
            self.is_anomaly = np.arange(len(self.test_x)) % 2 == 1
            noise = torch.Generator(device=self.device).manual_seed(NOISE_SEED)
            noisy = gaussian_noise(self.test_x, NOISE_LEVEL, noise)
            mask = torch.as_tensor(self.is_anomaly, device=self.device)[:, None]
            self.test_x = torch.where(mask, noisy, self.test_x)
            self.normal_name, self.anomaly_name = "clean digits", NOISY
        else:
            digit = int(cfg.anomaly.split()[1])
            normal = train_labels != digit
            self.is_anomaly = self.test_labels == digit
            self.normal_name, self.anomaly_name = f"digits ≠ {digit}", f"digit {digit}"
        if self.is_anomaly.all() or not self.is_anomaly.any():
            raise ValueError(
                f"the held-out images of {self.config.dataset} hold no "
                f"{'normal' if self.is_anomaly.all() else 'anomalous'} example "
                f"for anomaly = {cfg.anomaly!r}"
            )
        # The autoencoder learns from normal images only: its training set is cut to them.
        normal_index = torch.as_tensor(np.flatnonzero(normal), device=self.device)
        self.features.train_x = self.features.train_x[normal_index]
        self.threshold_x = self.features.train_x[:THRESHOLD_SAMPLE]
        self._scores: tuple[np.ndarray, np.ndarray] | None = None

    def train_step(self) -> dict[str, torch.Tensor]:
        return self.train_features()

    # -- scoring ------------------------------------------------------------------------------
    def scores(self) -> tuple[np.ndarray, np.ndarray]:
        """s(x) of the held-out images and of normal training images (for the threshold), kept
        from the last evaluation: scoring every held-out image costs more than a training step."""
        if self._scores is None:
            self._scores = (self.score(self.test_x).cpu().numpy(), self.score(self.threshold_x).cpu().numpy())
        return self._scores

    @torch.no_grad()
    def score(self, x: torch.Tensor) -> torch.Tensor:
        """s(x) of flattened images x as the `score` setting says."""
        errors = reconstruction_errors(self.features, x)
        if self.config.score == "relative error":
            errors = errors / x.pow(2).sum(dim=1).clamp_min(1e-8)
        return errors

    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "score":
            self._scores = None

    def threshold(self) -> float:
        return float(np.quantile(self.scores()[1], self.config.threshold_quantile))

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        from sklearn.metrics import roc_auc_score

        metrics = super().evaluate()
        self._scores = None
        held_out, _ = self.scores()
        flagged = held_out > self.threshold()
        metrics["heldout_auc"] = float(roc_auc_score(self.is_anomaly, held_out))
        metrics["heldout_detection_rate"] = 100 * float(flagged[self.is_anomaly].mean())
        metrics["heldout_false_alarm_rate"] = 100 * float(flagged[~self.is_anomaly].mean())
        return metrics

    # -- what the views show ------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        held_out, _ = self.scores()
        t = self.threshold()
        return {
            "scores": self.score_histogram(held_out, t),
            "roc": self.roc_curve(held_out),
            "flagged": self.flagged_panel(held_out, t),
            "worst": self.worst_panel(held_out),
            "summary": self.summary_table(held_out, t),
        }

    def score_histogram(self, scores: np.ndarray, t: float) -> Histogram:
        top = max(float(np.quantile(scores, 0.99)), t) * 1.05
        edges = np.linspace(0.0, top, BINS + 1)
        # Densities: 50 anomalies beside 450 normal images would vanish as raw counts.
        counts = {
            name: np.histogram(np.minimum(scores[mask], top), edges, density=True)[0]
            for name, mask in (
                (f"normal ({self.normal_name})", ~self.is_anomaly),
                (f"anomalous ({self.anomaly_name})", self.is_anomaly),
            )
        }
        return Histogram(
            f"Anomaly score s(x) = {SCORES[self.config.score]} of held-out images",
            edges,
            counts,
            x_label="s(x)",
            y_label="density",
            markers={f"threshold t (q = {self.config.threshold_quantile:g})": t},
        )

    def roc_curve(self, scores: np.ndarray) -> Curves:
        from sklearn.metrics import roc_auc_score, roc_curve

        fpr, tpr, _ = roc_curve(self.is_anomaly, scores)
        auc = roc_auc_score(self.is_anomaly, scores)
        return Curves(
            f"ROC of the score s(x): AUC = {auc:.3f}",
            {"ROC": (fpr, tpr), "chance": (np.array([0.0, 1.0]), np.array([0.0, 1.0]))},
            x_label="false positive rate",
            y_label="true positive rate",
        )

    def flagged_panel(self, scores: np.ndarray, t: float) -> ImageGrid:
        flagged = np.flatnonzero(scores > t)
        shown = flagged[np.argsort(-scores[flagged], kind="stable")][:FLAGGED_SHOWN]
        hits = int(self.is_anomaly[flagged].sum())
        caption = (
            f"{len(flagged)} flagged: {hits} anomalous, {len(flagged) - hits} normal "
            f"(false alarms); {hits} of {int(self.is_anomaly.sum())} anomalies caught. "
            "Highest score first."
        )
        return ImageGrid(
            f"Held-out images flagged at s(x) > t = {t:.3g}",
            images(self.test_x[shown], self.image_shape),
            "unit",
            columns=10,
            caption=caption,
        )

    def worst_panel(self, scores: np.ndarray) -> PairedRows:
        worst = np.argsort(-scores, kind="stable")[:WORST_SHOWN]
        x = self.test_x[worst]
        return PairedRows(
            "The worst-reconstructed held-out images (highest s(x) first)",
            {
                "input": images(x, self.image_shape),
                "reconstruction": images(self.features.reconstruct(x), self.image_shape),
            },
        )

    def summary_table(self, scores: np.ndarray, t: float) -> Table:
        flagged = scores > t
        anomalies = self.is_anomaly
        rows = [
            [
                f"normal ({self.normal_name})",
                int((~anomalies).sum()),
                float(f"{np.median(scores[~anomalies]):.4g}"),
                round(100 * float(flagged[~anomalies].mean()), 1),
            ],
            [
                f"anomalous ({self.anomaly_name})",
                int(anomalies.sum()),
                float(f"{np.median(scores[anomalies]):.4g}"),
                round(100 * float(flagged[anomalies].mean()), 1),
            ],
        ]
        return Table(
            f"Held-out images at the threshold t = {t:.3g}",
            ["images", "count", "median s(x)", "flagged (%)"],
            rows,
        )

    def load_own_state(self, state: dict[str, Any]) -> None:
        self._scores = None  # scores of the weights just replaced

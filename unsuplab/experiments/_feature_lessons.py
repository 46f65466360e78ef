"""What the application lessons share: another lesson's autoencoder, trained on the images without
their labels, whose codes h = encoder(x) and reconstructions x̂ a downstream task then uses.

The autoencoder is the registered lesson itself (`lesson("deep-autoencoder")`, ...), built with the
outer lesson's device and seed, trained by calling its own `train_step`, its state nested in the
outer lesson's state: no copy of its code lives here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from unsuplab.core.config import param, with_overrides
from unsuplab.core.experiment import Experiment
from unsuplab.core.registry import lesson
from unsuplab.data import ImageDataset, load_dataset, load_files
from unsuplab.models.state import cpu_copy

#: The lessons whose codes an application may use (each exposes `encode` and `reconstruct`).
FEATURE_MODELS = ("autoencoder", "deep-autoencoder", "conv-autoencoder", "vae")

#: Settings each autoencoder gets on top of its own lesson's defaults when it serves as a feature
#: extractor: relu layers train from random weights in a minute where the paper's logistic ones
#: creep, and a VAE with 2 latent numbers draws a nice plane but keeps too little of the digit.
FEATURE_SETTINGS: dict[str, dict[str, Any]] = {
    "deep-autoencoder": {"hidden_sizes": "512,256", "activation": "relu", "code_size": 32},
    "vae": {"code_size": 16},
}

#: Images encoded at once: a convolutional encoder's first feature maps for 4,500 digits would
#: take hundreds of megabytes.
ENCODE_CHUNK = 500


def feature_model_field(default: str) -> Any:
    return param(
        default,
        "The autoencoder whose code h = encoder(x) the lesson uses, trained on "
        "the images without their labels: autoencoder (784-32 relu), deep-autoencoder "
        "(784-512-256-32 relu), conv-autoencoder (an 8×4×4 code) or vae (μ of a "
        "16-number Gaussian code).",
        choices=FEATURE_MODELS,
    )


def jitter_field(default: float) -> Any:
    return param(
        default,
        "ν: the autoencoder sees each training image moved by up to 4ν pixels, "
        "turned by up to 30ν° and scaled by up to ±20ν %, and must give back the image as "
        "it was (a denoising autoencoder whose noise is where and how the digit was "
        "written). Its code learns to ignore those accidents, so digits of one class land "
        "together. 0: a plain autoencoder.",
        low=0.0,
        high=1.0,
        label="Jitter ν",
    )


def feature_lesson(config: Any, name: str | None = None, **settings: Any) -> Experiment:
    """The registered lesson `name` (default: `config.feature_model`), unbuilt, configured with the
    outer lesson's data set, batch size and learning rate where its config has those fields."""
    name = name or config.feature_model
    cls = lesson(name)
    inner = cls.Config()
    shared = {
        field: getattr(config, field)
        for field in ("dataset", "data_file", "batch_size", "learning_rate")
        if hasattr(config, field) and hasattr(inner, field)
    }
    return cls(with_overrides(inner, {**FEATURE_SETTINGS.get(name, {}), **shared, **settings}))


def check_feature_model(config: Any) -> None:
    """Refuse, by the outer field's name, a data set the chosen autoencoder cannot take."""
    feature_lesson(config)


def load_images(config: Any) -> ImageDataset:
    """The images and labels the autoencoder trains on, in the same order (`load_dataset` is
    cached, so both share one copy)."""
    return load_files(config.data_file) if config.data_file else load_dataset(config.dataset)


@torch.no_grad()
def encode_all(features: Experiment, x: torch.Tensor) -> torch.Tensor:
    """Codes (n, d) of flattened images x (n, pixels), a chunk at a time."""
    return torch.cat([features.encode(chunk) for chunk in x.split(ENCODE_CHUNK)])


@torch.no_grad()
def reconstruction_errors(features: Experiment, x: torch.Tensor) -> torch.Tensor:
    """s(x) = Σ_j (x̂_j − x_j)² per image, a chunk at a time."""
    return torch.cat(
        [(features.reconstruct(chunk) - chunk).pow(2).sum(dim=1) for chunk in x.split(ENCODE_CHUNK)]
    )


def first_per_class(labels: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """`count` indices of every class in a fixed shuffled order, class by class: the first n of
    each class for any n ≤ count, so smaller label sets are nested in larger ones."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(np.flatnonzero(labels == c))[:count] for c in np.unique(labels)])


class FeatureLesson(Experiment):
    """An application built on an autoencoder lesson (`self.features`), trained as its stage 1.

    The lesson's config names the autoencoder in `feature_model`, and may ask in `jitter` for a
    denoising autoencoder whose noise is a small random shift, turn and scaling of each image
    (`jitter_field`); `self.data` holds the images with their labels (the autoencoder itself
    never sees a label).
    """

    group = "Applications"
    guarded_metrics = ("loss",)
    progress_metric = ("heldout_loss", "down")  # the autoencoder's held-out loss, stage 1
    #: True once `build` has run; before it, a live change edits only the config.
    built = False

    def build(self, device: str, seed: int) -> None:
        self.device = torch.device(device)
        self.data = load_images(self.config)
        self.features = feature_lesson(self.config)
        jitter = getattr(self.config, "jitter", 0.0)
        if jitter:
            self.features.input_corruption = ("jitter", jitter)
        self.features.build(device, seed)
        self.image_shape = self.data.image_shape
        self.test_x = torch.as_tensor(
            self.data.test_images.reshape(len(self.data.test_images), -1), device=self.device
        )
        self.test_labels = self.data.test_labels
        self.built = True

    def train_features(self) -> dict[str, torch.Tensor]:
        """One step of the autoencoder, its losses under its own names ("loss", ...)."""
        return self.features.train_step()

    def evaluate(self) -> dict[str, float]:
        return self.features.evaluate()

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "learning_rate" and self.built:
            self.features.set_live(name, value)

    def state_dict(self) -> dict[str, Any]:
        return cpu_copy({"features": self.features.state_dict(), **self.own_state()})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.features.load_state_dict(state["features"])
        self.load_own_state(state)

    def own_state(self) -> dict[str, Any]:
        """What the lesson learned beyond its autoencoder."""
        return {}

    def load_own_state(self, state: dict[str, Any]) -> None:
        """Restore `own_state`."""


def images(x: torch.Tensor, shape: tuple[int, int]) -> np.ndarray:
    """Flattened images on the device as (n, h, w) numpy, clipped to [0, 1] for the views."""
    return x.reshape(-1, *shape).clamp(0, 1).cpu().numpy()

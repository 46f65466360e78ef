"""What every dense image-autoencoder lesson shares: data on the device, the Adam loop step,
held-out evaluation, and the filter / reconstruction panels. Lessons subclass it and write their
loss the way the slide writes it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import ImageGrid, Payload, PairedRows
from unsuplab.data import DATASETS, ImageDataset, load_dataset, load_files
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.models.autoencoders import DenseAutoencoder
from unsuplab.models.state import cpu_copy

PROBE_COUNT = 10  # held-out examples in the reconstruction panel: the first of each digit


def dataset_field() -> Any:
    return param("mnist-sample", "Training images. mnist-sample ships with the lab (5,000 digits, "
                 "4,500 train / 500 held out); digits is scikit-learn's 8x8 set; mnist and "
                 "fashion-mnist are downloaded once into your cache.", choices=DATASETS)


def data_file_field() -> Any:
    return param("", "Your own images instead of the data set: a Keras mnist.npz, or an IDX "
                 "images file (.gz too) with its labels file beside it. Empty: use the data set.")


def learning_rate_field(default: float = 1e-3) -> Any:
    return param(default, "Adam step size η in θ ← θ − η·m̂/(√v̂ + ε). Can change while training.",
                 low=1e-6, high=1.0, log=True, live=True)


def batch_size_field(default: int = 256) -> Any:
    return param(default, "Images per gradient step (a random minibatch of the training set).",
                 low=1, high=8192)


def check_code_width(config: Any) -> None:
    """An undercomplete code must be narrower than the image it encodes."""
    shape = IMAGE_SHAPES.get(config.dataset) if not config.data_file else None
    if shape is not None and config.code_size >= shape[0] * shape[1]:
        raise ConfigError("code_size", f"{config.code_size} units is not narrower than the "
                          f"{shape[0]}x{shape[1]} = {shape[0] * shape[1]} pixel input; an "
                          "undercomplete autoencoder needs a smaller code")


class ImageAutoencoderLesson(Experiment):
    """A dense autoencoder trained by Adam on flattened images; subclasses define `loss`."""

    activation = "relu"
    guarded_metrics = ("loss",)

    # -- the part a lesson writes ---------------------------------------------------------------
    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named loss terms for a batch; "loss" is the one minimised."""
        raise NotImplementedError

    # -- the shared machinery -------------------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        cfg = self.config
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        torch.manual_seed(seed)
        data = self.load_data()
        self.image_shape = data.image_shape
        self.train_x = torch.as_tensor(data.train_images.reshape(len(data.train_images), -1),
                                       device=self.device)
        self.test_x = torch.as_tensor(data.test_images.reshape(len(data.test_images), -1),
                                      device=self.device)
        self.probe_x = self.test_x[_first_of_each_label(data.test_labels, PROBE_COUNT)]
        self.model = DenseAutoencoder(data.pixels, cfg.code_size,
                                      getattr(cfg, "activation", self.activation)).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate)

    def load_data(self) -> ImageDataset:
        cfg = self.config
        return load_files(cfg.data_file) if cfg.data_file else load_dataset(cfg.dataset)

    def train_step(self) -> dict[str, torch.Tensor]:
        idx = torch.randint(len(self.train_x), (self.config.batch_size,), device=self.device,
                            generator=self.generator)
        x = self.train_x[idx]
        x_hat, h = self.model(x)
        terms = self.loss(x, x_hat, h)
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.optimizer.step()
        return {name: value.detach() for name, value in terms.items()}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        x_hat, h = self.model(self.test_x)
        terms = self.loss(self.test_x, x_hat, h)
        return {f"heldout_{name}": float(value) for name, value in terms.items()}

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        h, w = self.image_shape
        filters = self.model.filters.detach().cpu().numpy().reshape(-1, h, w)
        x_hat, _ = self.model(self.probe_x)
        return {
            "filters": ImageGrid("First-layer filters  x_j = w_ij / ‖w_i‖", filters, "filter"),
            "reconstructions": PairedRows("Held-out digits and their reconstructions", {
                "input": self.probe_x.cpu().numpy().reshape(-1, h, w),
                "reconstruction": x_hat.cpu().numpy().reshape(-1, h, w),
            }),
        }

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "learning_rate":
            for group in self.optimizer.param_groups:
                group["lr"] = value

    def state_dict(self) -> dict[str, Any]:
        return cpu_copy({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])

    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command != "reconstruct":
            return super().probe(command, **kwargs)
        image = np.asarray(kwargs["image"], dtype=np.float32)
        if image.shape != self.image_shape or not np.all((image >= 0) & (image <= 1)):
            raise ValueError(f"expected a {self.image_shape} image with values in [0, 1], "
                             f"got shape {image.shape}")
        x = torch.as_tensor(image.reshape(1, -1), device=self.device)
        x_hat, _ = self.model(x)
        return {"drawing": PairedRows("Your drawing and its reconstruction", {
            "input": image[None], "reconstruction": x_hat.cpu().numpy().reshape(1, *self.image_shape)})}


def _first_of_each_label(labels: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to `count` examples, one per label first, so a probe row shows every digit."""
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][:count]
    rest = [i for i in range(len(labels)) if i not in firsts][: count - len(firsts)]
    return np.array(firsts + rest)

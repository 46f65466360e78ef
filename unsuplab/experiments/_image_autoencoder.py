"""What every image lesson shares: data on the device, held-out evaluation, and the panels
(filters, reconstructions, the latent map) with their probes (the drawing pad, inspect, t-SNE).

A lesson subclasses `ImageAutoencoderLesson` and writes its loss the way the slide writes it;
hooks let it swap the network (`make_model`), corrupt the input (`corrupt`) or show other filters.
How the model learns is the lesson's own `train_step`, or Adam on `loss` from `GradientTrained`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import ImageGrid, PairedRows, Payload, Scatter
from unsuplab.data import DATASETS, ImageDataset, load_dataset, load_files
from unsuplab.data.corruption import corrupt
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.models.autoencoders import DenseAutoencoder
from unsuplab.models.state import cpu_copy

PROBE_COUNT = 10  # held-out examples in the reconstruction panel: the first of each digit
LATENT_POINTS = 500  # held-out codes in the latent map
HELD_OUT_NOISE_SEED = 2008  # the corruption of held-out inputs, the same for every run and seed


def dataset_field() -> Any:
    return param(
        "mnist-sample",
        "Training images. mnist-sample ships with the lab (5,000 digits, "
        "4,500 train / 500 held out); digits is scikit-learn's 8x8 set; mnist and "
        "fashion-mnist are downloaded once into your cache.",
        choices=DATASETS,
    )


def data_file_field() -> Any:
    return param(
        "",
        "Your own images instead of the data set: a Keras mnist.npz, or an IDX "
        "images file (.gz too) with its labels file beside it. Empty: use the data set.",
    )


def learning_rate_field(default: float = 1e-3) -> Any:
    return param(
        default,
        "Adam step size η in θ ← θ − η·m̂/(√v̂ + ε). Can change while training.",
        low=1e-6,
        high=1.0,
        log=True,
        live=True,
    )


def batch_size_field(default: int = 256) -> Any:
    return param(
        default, "Images per gradient step (a random minibatch of the training set).", low=1, high=8192
    )


def weight_decay_field(default: float) -> Any:
    return param(
        default,
        "λ in the term (λ/2)·Σ W² added to the loss; fades the weights of "
        "pixels that are always blank, so filters read clearly.",
        low=0.0,
        high=1.0,
        live=True,
    )


def check_code_width(config: Any) -> None:
    """An undercomplete code must be narrower than the image it encodes."""
    shape = IMAGE_SHAPES.get(config.dataset) if not config.data_file else None
    if shape is not None and config.code_size >= shape[0] * shape[1]:
        raise ConfigError(
            "code_size",
            f"{config.code_size} units is not narrower than the "
            f"{shape[0]}x{shape[1]} = {shape[0] * shape[1]} pixel input; an "
            "undercomplete autoencoder needs a smaller code",
        )


def parse_widths(name: str, text: str) -> tuple[int, ...]:
    """Layer widths written as "1000,500,250"; a ConfigError naming field `name` otherwise."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() and int(part) > 0 for part in parts):
        raise ConfigError(
            name, f"{text!r} is not a list of positive whole numbers separated by commas, like 1000,500,250"
        )
    return tuple(int(part) for part in parts)


def weight_decay_term(model: nn.Module, strength: float) -> torch.Tensor:
    """(λ/2)·Σ W² over the model's weight matrices and kernels (biases are not decayed)."""
    return 0.5 * strength * sum(p.pow(2).sum() for n, p in model.named_parameters() if n.endswith("weight"))


class ImageAutoencoderLesson(Experiment):
    """A model of images that encodes and reconstructs them; subclasses say how it learns.

    The model maps a batch of flattened images to `(reconstruction, code)` and has `encode`.
    """

    activation = "relu"
    guarded_metrics = ("loss",)
    tools = ("draw", "tsne")
    #: Keep the latent map's codes from the last evaluation (about once a second) instead of
    #: encoding them at every snapshot: for a deep or convolutional encoder 500 codes cost more
    #: than a training step.
    codes_from_evaluation = False
    #: Noise (kind, level) on the input of every training step and of the held-out loss, the
    #: target staying the clean image. None for a plain autoencoder; a lesson that uses this one
    #: as a feature extractor may ask for it before `build` (the semi-supervised lesson's jitter).
    input_corruption: tuple[str, float] | None = None
    #: True once `build` has run; before it, a live change edits only the config.
    built = False

    # -- the part a lesson writes ---------------------------------------------------------------
    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named loss terms for a batch (x the clean target), reported on held-out images; "loss"
        is the one minimised (by `GradientTrained`)."""
        raise NotImplementedError

    def make_model(self, pixels: int) -> nn.Module:
        cfg = self.config
        return DenseAutoencoder(pixels, cfg.code_size, getattr(cfg, "activation", self.activation))

    def corrupt(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The input the network sees for target x: x itself unless noise was asked for."""
        if self.input_corruption is None:
            return x
        return corrupt(x, *self.input_corruption, generator)

    def filter_images(self) -> np.ndarray:
        """First-layer weights as (n, h, w) images for the filter panel."""
        return self.model.filters.detach().cpu().numpy().reshape(-1, *self.image_shape)

    # -- the shared machinery -------------------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        torch.manual_seed(seed)
        data = self.load_data()
        self.image_shape = data.image_shape
        self.train_x = torch.as_tensor(
            data.train_images.reshape(len(data.train_images), -1), device=self.device
        )
        self.test_x = torch.as_tensor(data.test_images.reshape(len(data.test_images), -1), device=self.device)
        self.test_labels = data.test_labels
        # Held-out inputs as the network sees them, drawn once from a fixed seed: evaluations
        # compare over time and across runs, and a reloaded run shows the same pictures.
        held_out_noise = torch.Generator(device=self.device).manual_seed(HELD_OUT_NOISE_SEED)
        self.test_input = self.corrupt(self.test_x, held_out_noise)
        self.probe_index = _first_of_each_label(data.test_labels, PROBE_COUNT)
        self.latent_index = np.arange(min(LATENT_POINTS, len(self.test_x)))
        self.thumbnails = data.test_images[self.latent_index]
        self.model = self.make_model(data.pixels).to(self.device)
        self._evaluated_codes: torch.Tensor | None = None
        self.built = True

    def load_data(self) -> ImageDataset:
        cfg = self.config
        return load_files(cfg.data_file) if cfg.data_file else load_dataset(cfg.dataset)

    def minibatch(self) -> torch.Tensor:
        """A random minibatch of training images (flattened), drawn on the device."""
        idx = torch.randint(
            len(self.train_x), (self.config.batch_size,), device=self.device, generator=self.generator
        )
        return self.train_x[idx]

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        x_hat, h = self.model(self.test_input)
        if self.codes_from_evaluation:
            self._evaluated_codes = h[self.latent_index].flatten(1)
        terms = self.loss(self.test_x, x_hat, h)
        return {f"heldout_{name}": float(value) for name, value in terms.items()}

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        return {
            "filters": ImageGrid("First-layer filters  x_j = w_ij / ‖w_i‖", self.filter_images(), "filter"),
            "reconstructions": PairedRows(
                "Held-out digits and their reconstructions", self.reconstruction_rows(self.probe_index)
            ),
            "latent": self.latent_map(),
        }

    def reconstruction_rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        shape = (-1, *self.image_shape)
        x_in = self.test_input[index]
        x_hat, _ = self.model(x_in)
        rows = {"input": x_in.cpu().numpy().reshape(shape)}
        if x_in is not self.test_x and not torch.equal(x_in, self.test_x[index]):
            rows["clean"] = self.test_x[index].cpu().numpy().reshape(shape)
        rows["reconstruction"] = x_hat.cpu().numpy().reshape(shape)
        return rows

    # -- what other lessons use (semi-supervised learning, anomalies, retrieval) ----------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes (n, d) of flattened images x (n, pixels) on the lesson's device."""
        return self.model.encode(x).flatten(1)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions (n, pixels) in [0, 1] of flattened images x (n, pixels)."""
        return self.model(x)[0].flatten(1)

    def held_out_codes(self) -> torch.Tensor:
        if self._evaluated_codes is not None:
            return self._evaluated_codes
        return self.model.encode(self.test_input[self.latent_index]).flatten(1)

    def latent_map(self) -> Scatter:
        """Held-out codes in the plane: as they are for a 2-D code, else their top two PCs."""
        codes = self.held_out_codes()
        if codes.shape[1] == 2:
            points, title, axes = codes, "Codes of held-out digits", ("h₁", "h₂")
        else:
            points, axes = top_two_components(codes), ("PC 1", "PC 2")
            title = f"Held-out codes ({codes.shape[1]}-D), projected on their two principal axes"
        return Scatter(
            title, points.cpu().numpy(), self.test_labels[self.latent_index], self.thumbnails, *axes
        )

    def state_dict(self) -> dict[str, Any]:
        return cpu_copy({"model": self.model.state_dict()})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self._evaluated_codes = None  # codes of the weights just replaced

    # -- probes: answers to the views ------------------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "reconstruct":
            return self._reconstruct_drawing(kwargs["image"])
        if command == "inspect":
            index = self.latent_index[int(kwargs["index"])]
            return {
                "inspected": PairedRows(
                    f"Held-out image {index} (digit {self.test_labels[index]})",
                    self.reconstruction_rows(np.array([index])),
                )
            }
        if command == "tsne":
            return {"latent_tsne": self._tsne_map()}
        return super().probe(command, **kwargs)

    def _reconstruct_drawing(self, image: Any) -> dict[str, Payload]:
        image = np.asarray(image, dtype=np.float32)
        if image.shape != self.image_shape or not np.all((image >= 0) & (image <= 1)):
            raise ValueError(
                f"expected a {self.image_shape} image with values in [0, 1], got shape {image.shape}"
            )
        x = torch.as_tensor(image.reshape(1, -1), device=self.device)
        x_hat, _ = self.model(x)
        return {
            "drawing": PairedRows(
                "Your drawing and its reconstruction",
                {"input": image[None], "reconstruction": x_hat.cpu().numpy().reshape(1, *self.image_shape)},
            )
        }

    def _tsne_map(self) -> Scatter:
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        codes = self.held_out_codes().cpu().numpy()
        # One OpenMP thread: beside torch's threads on a busy laptop, more make t-SNE crawl.
        with threadpool_limits(1):
            points = TSNE(n_components=2, init="pca", perplexity=30, random_state=0).fit_transform(codes)
        return Scatter(
            f"t-SNE of {len(codes)} held-out codes",
            points.astype(np.float32),
            self.test_labels[self.latent_index],
            self.thumbnails,
            "t-SNE 1",
            "t-SNE 2",
        )


def _first_of_each_label(labels: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to `count` examples, one per label first, so a probe row shows every digit."""
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][:count]
    rest = [i for i in range(len(labels)) if i not in firsts][: count - len(firsts)]
    return np.array(firsts + rest)


def top_two_components(codes: torch.Tensor) -> torch.Tensor:
    """The coordinates (n, 2) of codes (n, d) on their two principal axes. Codes longer than
    they are many (VQ-VAE's 7×7×D grids) go through the n × n Gram matrix, whose eigenvectors
    scaled by √eigenvalue are the same coordinates at a fraction of a full SVD's cost."""
    centred = codes - codes.mean(dim=0)
    if centred.shape[1] <= centred.shape[0]:
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        return centred @ v[:2].T
    values, vectors = torch.linalg.eigh(centred @ centred.T)  # ascending eigenvalues
    return vectors[:, -2:].flip(1) * values[-2:].flip(0).clamp(min=0).sqrt()

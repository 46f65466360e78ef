"""Image retrieval: the k training images nearest to a query, three ways, judged by their labels.

    pixels          d(q, x) = ‖q − x‖                   Euclidean distance of the 784 raw pixels
    codes           d(q, x) = ‖h(q) − h(x)‖             Euclidean distance of autoencoder codes
    semantic hash   d(q, x) = Σ_i [b_i(q) ≠ b_i(x)]      Hamming distance of binary codes
                    b(x) = [σ(a(x)) > ½],  trained as  x̂ = decoder(σ(a(x) + σ_n·ε)),  ε ~ N(0, I)
    precision@k     = (1/k) · #{neighbours with the query's label},  averaged over held-out queries

Semantic hashing (Salakhutdinov & Hinton 2009): noise added before the code's logistic units
makes any value near ½ useless to the decoder, so the code learns to sit near 0 or 1, and
thresholding it loses little. A 16-bit code is an address: similar images land in nearby
addresses, and a lookup by Hamming distance costs a few XORs. The codes' autoencoder is trained
with jitter (it must give back each digit from a slightly moved, turned and scaled copy), so two
"4"s written a little apart get near codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from unsuplab.core.config import param
from unsuplab.core.payloads import ImageGrid, PairedRows, Payload, Table
from unsuplab.core.registry import register
from unsuplab.experiments import deep_autoencoder
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

QUERY_CHOICES_PER_CLASS = 5  # held-out digits offered as queries, per class
HASHING_LAYERS = "512,256"


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    feature_model: str = feature_model_field("deep-autoencoder")
    jitter: float = jitter_field(0.5)  # the codes' autoencoder; the hash keeps its own noise
    code_bits: int = param(
        16,
        "Bits of the semantic hash b(x) = [σ(a(x)) > ½]: the width of the "
        "logistic code layer of a 784-512-256-bits deep autoencoder.",
        low=2,
        high=64,
    )
    hash_noise: float = param(
        4.0,
        "σ_n of the Gaussian noise added to the code's input during "
        "training, σ(a + σ_n·ε): it pushes the code towards 0 and 1. "
        "0 gives a plain logistic code.",
        low=0.0,
        high=32.0,
    )
    neighbours: int = param(
        10,
        "k, the neighbours retrieved for a query and counted in precision@k. Can change while training.",
        low=1,
        high=50,
        live=True,
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        check_feature_model(self)


class SemanticHashing(deep_autoencoder.DeepAutoencoder):
    """The deep-autoencoder lesson with a logistic code layer trained under noise; not a lesson of
    its own (unregistered): the retrieval lesson trains it beside its feature autoencoder."""

    def __init__(self, config: deep_autoencoder.Config, noise: float):
        super().__init__(config)
        self.noise = noise

    def make_model(self, pixels: int) -> nn.Module:
        model = super().make_model(pixels)  # linear code a(x); the code becomes σ(a(x))
        model.encoder.append(nn.Sigmoid())
        return model

    def train_step(self) -> dict[str, torch.Tensor]:
        x = self.minibatch()
        a = self.model.encoder[:-1](x)
        noise = torch.randn(a.shape, generator=self.generator, device=self.device)
        h = torch.sigmoid(a + self.noise * noise)
        terms = self.loss(x, self.model.decoder(h), h)
        self.descend(terms["loss"])
        return {name: value.detach() for name, value in terms.items()}

    def loss(self, x: torch.Tensor, x_hat: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = super().loss(x, x_hat, h)
        # How binary the code already is: the share of units within 0.1 of 0 or 1.
        terms["decided_bits"] = ((h - 0.5).abs() > 0.4).float().mean() * 100
        return terms

    @torch.no_grad()
    def bits(self, x: torch.Tensor) -> torch.Tensor:
        """b(x) = [σ(a(x)) > ½] as 0/1 floats (n, bits)."""
        return (encode_all(self, x) > 0.5).float()


def nearest(queries: torch.Tensor, database: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (n, k) of the k database rows nearest to each query row, by Euclidean distance
    (for 0/1 rows, its square is the Hamming distance); ties go to the earlier row."""
    distance = torch.cdist(queries, database).pow(2)
    # Hamming distances tie often: a tiny rank term makes the order deterministic.
    rank = torch.arange(len(database), device=database.device) / (2.0 * len(database))
    return (distance + rank).topk(min(k, len(database)), dim=1, largest=False).indices


@register
class ImageRetrieval(FeatureLesson):
    name = "image-retrieval"
    title = "Image retrieval"
    summary = "Find the digits nearest a query by pixels, by autoencoder codes and by 16-bit hashes."
    Config = Config
    tools = ("draw",)
    curves = {
        "Autoencoder losses": ("loss", "heldout_loss", "hash_loss", "heldout_hash_loss"),
        "Precision@k of held-out queries (%)": (
            "heldout_precision_pixels",
            "heldout_precision_codes",
            "heldout_precision_bits",
        ),
        "Hash code units within 0.1 of 0 or 1 (%)": ("hash_decided_bits", "heldout_hash_decided_bits"),
    }
    quick_settings = {"batch_size": 32, "feature_model": "autoencoder", "code_bits": 8}
    presets = {
        "Hash noise 0": {"hash_noise": 0.0},
        "4 code bits": {"code_bits": 4},
        "32 code bits": {"code_bits": 32},
        "k = 50": {"neighbours": 50},
        "Jitter ν = 0": {"jitter": 0.0},
    }

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        cfg = self.config
        self.hashing = SemanticHashing(
            deep_autoencoder.Config(
                dataset=cfg.dataset,
                data_file=cfg.data_file,
                hidden_sizes=HASHING_LAYERS,
                code_size=cfg.code_bits,
                activation="relu",
                learning_rate=cfg.learning_rate,
                batch_size=cfg.batch_size,
            ),
            cfg.hash_noise,
        )
        self.hashing.build(device, seed)
        # The database searched: every training image, with its label (used only for judging).
        train = self.data.train_images
        self.database_x = torch.as_tensor(train.reshape(len(train), -1), device=self.device)
        self.database_labels = self.data.train_labels
        self.query_choices = first_per_class(self.test_labels, QUERY_CHOICES_PER_CLASS).T.ravel()
        self.query_index = int(self.query_choices[0])
        self.drawn_query: torch.Tensor | None = None
        self.pixel_precision = self.precision(self.test_x, self.database_x)
        self._database: dict[str, torch.Tensor] | None = None
        self._last_precision: dict[str, float] | None = None

    def train_step(self) -> dict[str, torch.Tensor]:
        hashing = {f"hash_{name}": value for name, value in self.hashing.train_step().items()}
        return {**self.train_features(), **hashing}

    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "learning_rate":
            self.hashing.set_live(name, value)
        if name == "neighbours":
            self.pixel_precision = self.precision(self.test_x, self.database_x)

    # -- the three representations ----------------------------------------------------------------
    def represent(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The image rows as pixels, autoencoder codes and hash bits."""
        return {"pixels": x, "codes": encode_all(self.features, x), "bits": self.hashing.bits(x)}

    def database(self) -> dict[str, torch.Tensor]:
        """The database in all three forms, kept from the last evaluation (encoding every
        training image costs more than a training step)."""
        if self._database is None:
            self._database = self.represent(self.database_x)
        return self._database

    def precision(self, queries: torch.Tensor, database: torch.Tensor) -> float:
        """Precision@k (%) of the held-out queries against the database, by their labels."""
        found = nearest(queries, database, self.config.neighbours).cpu().numpy()
        return 100 * float((self.database_labels[found] == self.test_labels[:, None]).mean())

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = super().evaluate()
        metrics.update(
            {
                f"heldout_hash_{name.removeprefix('heldout_')}": value
                for name, value in self.hashing.evaluate().items()
                if "pca" not in name
            }
        )
        self._database = None
        queries = self.represent(self.test_x)
        metrics["heldout_precision_pixels"] = self.pixel_precision
        for name in ("codes", "bits"):
            metrics[f"heldout_precision_{name}"] = self.precision(queries[name], self.database()[name])
        self._last_precision = metrics
        return metrics

    # -- what the views show ---------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        return {
            "queries": ImageGrid(
                "Held-out digits: click one to search the training images for it",
                images(self.test_x[self.query_choices], self.image_shape),
                "unit",
                columns=10,
                click_command="query",
            ),
            "neighbours": self.neighbours_panel(),
            "precision": self.precision_table(),
        }

    def query(self) -> torch.Tensor:
        return (
            self.drawn_query
            if self.drawn_query is not None
            else self.test_x[self.query_index : self.query_index + 1]
        )

    def neighbours_panel(self) -> PairedRows:
        k, query = self.config.neighbours, self.query()
        database, asked = self.database(), self.represent(query)
        rows = {}
        for name, label in (
            ("pixels", "pixels ‖q − x‖"),
            ("codes", f"{self.config.feature_model} codes ‖h(q) − h(x)‖"),
            ("bits", f"{self.config.code_bits}-bit hash, Hamming"),
        ):
            found = nearest(asked[name], database[name], k)[0]
            rows[label] = np.concatenate(
                [images(query, self.image_shape), images(self.database_x[found], self.image_shape)]
            )
        what = (
            "your drawing"
            if self.drawn_query is not None
            else f"held-out image {self.query_index} (a {self.test_labels[self.query_index]})"
        )
        return PairedRows(f"The {k} training images nearest to {what}; first column: the query", rows)

    def precision_table(self) -> Table:
        k = self.config.neighbours
        metrics = self._last_precision or {}
        label = None if self.drawn_query is not None else self.test_labels[self.query_index]
        database, asked = self.database(), self.represent(self.query())
        rows = []
        for name, title in (
            ("pixels", "pixels (Euclidean)"),
            ("codes", "codes (Euclidean)"),
            ("bits", f"{self.config.code_bits} bits (Hamming)"),
        ):
            found = nearest(asked[name], database[name], k)[0].cpu().numpy()
            this = (
                "–" if label is None else round(100 * float((self.database_labels[found] == label).mean()), 1)
            )
            overall = metrics.get(f"heldout_precision_{name}")
            rows.append([title, "…" if overall is None else round(overall, 1), this])
        return Table(
            f"Precision@{k} (%): neighbours with the query's label",
            ["distance", f"all {len(self.test_x)} held-out", "this query"],
            rows,
        )

    # -- probes: pick or draw a query ------------------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "query":
            index = int(kwargs["index"])
            if not 0 <= index < len(self.query_choices):
                raise ValueError(
                    f"query index {index} is outside the {len(self.query_choices)} offered digits"
                )
            self.query_index, self.drawn_query = int(self.query_choices[index]), None
            return {"neighbours": self.neighbours_panel(), "precision": self.precision_table()}
        if command == "reconstruct":
            # The autoencoder lesson checks the drawing (shape, range) and reconstructs it.
            answer = self.features.probe("reconstruct", image=kwargs["image"])
            image = np.asarray(kwargs["image"], dtype=np.float32)
            self.drawn_query = torch.as_tensor(image.reshape(1, -1), device=self.device)
            answer["neighbours"] = self.neighbours_panel()
            answer["precision"] = self.precision_table()
            return answer
        return super().probe(command, **kwargs)

    # -- checkpoints -----------------------------------------------------------------------------
    def own_state(self) -> dict[str, Any]:
        return {"hashing": self.hashing.state_dict()}

    def load_own_state(self, state: dict[str, Any]) -> None:
        self.hashing.load_state_dict(state["hashing"])
        self._database = None  # codes of the weights just replaced
        self._last_precision = None

"""Clustering: k-means on raw pixels, on PCA codes and on an autoencoder's codes, judged by the
labels it never saw.

    k-means     min over centres c_1 … c_K of  Σ_n min_k ‖z_n − c_k‖²      (Lloyd's iterations)
                z = x (pixels),  z = Vₖᵀ(x − μ) (PCA codes),  z = h(x) (autoencoder codes)
    NMI         = I(C; Y) / ½(H(C) + H(Y))          0: clusters tell nothing of the digit, 1: the digits
    purity      = (1/N) Σ_k max_y |cluster k ∩ class y|     the share a majority vote per cluster gets right
    matching    each cluster is named after the digit it overlaps most, one digit per cluster at the
                most (the Hungarian algorithm), so "cluster 3" and "digit 3" share a colour.

The centres are points of each space: pixel centres are images, PCA centres go back through
μ + Vₖ c, and the autoencoder's centres through its decoder — what the "typical" member of each
cluster looks like. The clusters are fitted on the training images (no labels), and the held-out
images join the nearest centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.payloads import Matrix, PairedRows, Payload, Scatter, Table
from unsuplab.core.registry import register
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.experiments._feature_lessons import (
    FeatureLesson,
    check_feature_model,
    encode_all,
    feature_model_field,
    images,
    jitter_field,
)
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    data_file_field,
    dataset_field,
    learning_rate_field,
)

SPACES = ("pixels", "pca", "codes")
SPACE_NAMES = {"pixels": "pixels", "pca": "PCA codes", "codes": "autoencoder codes"}
KMEANS_RESTARTS = 3  # k-means runs from different starts; the one with the lowest inertia is kept
KMEANS_SEED = 0  # the same starts in every run, so a reloaded run shows the same clusters


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    feature_model: str = feature_model_field("deep-autoencoder")
    jitter: float = jitter_field(0.5)
    clusters: int = param(
        10,
        "K, the number of k-means centres c_k in min Σ_n min_k ‖z_n − c_k‖². "
        "10 asks for one per digit; more splits a digit by its styles (a slanted and an upright 1).",
        low=2,
        high=50,
        label="Clusters K",
    )
    pca_components: int = param(
        32,
        "k, the principal components of the PCA codes z = Vₖᵀ(x − μ) that k-means also "
        "clusters (as many as the autoencoder's code is a fair match).",
        low=1,
        high=784,
        label="PCA components k",
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)

    def check(self) -> None:
        check_feature_model(self)
        shape = IMAGE_SHAPES.get(self.dataset) if not self.data_file else None
        if shape is not None and self.pca_components > shape[0] * shape[1]:
            raise ConfigError(
                "pca_components",
                f"{self.pca_components} components, but a {shape[0]}x{shape[1]} image has only "
                f"{shape[0] * shape[1]} pixels",
            )


def kmeans(z: np.ndarray, clusters: int):
    """scikit-learn's k-means, fitted with fixed starts on one thread (beside torch's threads)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return KMeans(clusters, n_init=KMEANS_RESTARTS, random_state=KMEANS_SEED).fit(z)


def purity(clusters: np.ndarray, labels: np.ndarray) -> float:
    """(1/N) Σ_k max_y |cluster k ∩ class y|."""
    table = contingency(clusters, labels, int(clusters.max()) + 1, int(labels.max()) + 1)
    return float(table.max(axis=1).sum() / len(labels))


def contingency(clusters: np.ndarray, labels: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """counts[k, y] = |cluster k ∩ class y|."""
    counts = np.zeros((rows, columns), dtype=np.int64)
    np.add.at(counts, (clusters, labels), 1)
    return counts


def match_to_labels(clusters: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """names[k]: the label cluster k is matched to (most overlap, one cluster per label, the
    Hungarian algorithm); clusters left over (K above the number of labels) get the next numbers."""
    from scipy.optimize import linear_sum_assignment

    classes = int(labels.max()) + 1
    counts = contingency(clusters, labels, k, classes)
    rows, columns = linear_sum_assignment(-counts)
    names = np.full(k, -1, dtype=np.int64)
    names[rows] = columns
    spare = np.flatnonzero(names < 0)
    names[spare] = classes + np.arange(len(spare))
    return names


@dataclass
class Clustering:
    """k-means in one space: its centres, and the (named) cluster of each held-out image."""

    centres: np.ndarray  # (K, d), row k the centre of the cluster named names[k]
    names: np.ndarray  # (K,) the label each centre is matched to (see match_to_labels)
    held_out: np.ndarray  # (n,) named cluster of each held-out image
    nmi: float
    purity: float


def cluster(train: np.ndarray, test: np.ndarray, test_labels: np.ndarray, k: int) -> Clustering:
    """k-means fitted on the training points; held-out points join their nearest centre."""
    from sklearn.metrics import normalized_mutual_info_score

    fit = kmeans(train, k)
    assigned = fit.predict(test)
    names = match_to_labels(assigned, test_labels, k)
    order = np.argsort(names, kind="stable")
    held_out = names[assigned]
    return Clustering(
        fit.cluster_centers_[order],
        names[order],
        held_out,
        float(normalized_mutual_info_score(test_labels, held_out)),
        purity(held_out, test_labels),
    )


def tsne_plane(codes: np.ndarray) -> np.ndarray:
    """The codes embedded in the plane by t-SNE (neighbours stay neighbours), on one thread."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        points = TSNE(n_components=2, init="pca", perplexity=30, random_state=0).fit_transform(codes)
    return points.astype(np.float32)


@register
class ClusteringLesson(FeatureLesson):
    name = "clustering"
    title = "Clustering"
    summary = "k-means on pixels, PCA codes and autoencoder codes: which finds the digits without labels?"
    Config = Config
    tools = ("tsne",)
    curves = {
        "Autoencoder loss": ("loss", "heldout_loss"),
        "NMI of clusters and digits (held-out)": tuple(f"heldout_nmi_{s}" for s in SPACES),
        "Purity (%, held-out)": tuple(f"heldout_purity_{s}" for s in SPACES),
    }
    quick_settings = {"batch_size": 32, "feature_model": "autoencoder", "jitter": 0.0}
    presets = {
        "K = 20 clusters": {"clusters": 20},
        "No jitter": {"jitter": 0.0},
    }

    def build(self, device: str, seed: int) -> None:
        from sklearn.decomposition import PCA

        super().build(device, seed)
        cfg = self.config
        train_x = self.data.train_images.reshape(len(self.data.train_images), -1)
        test_x = self.test_x.cpu().numpy()
        if cfg.pca_components > min(train_x.shape):
            raise ConfigError(
                "pca_components",
                f"{cfg.pca_components} components, but the data has {train_x.shape[1]} pixels "
                f"and {len(train_x)} training images",
            )
        self.train_pixels = torch.as_tensor(train_x, device=self.device)
        self.pca = PCA(cfg.pca_components, random_state=0).fit(train_x)
        # Pixels and PCA do not train: their clusters are made once.
        self.fixed = {
            "pixels": cluster(train_x, test_x, self.test_labels, cfg.clusters),
            "pca": cluster(
                self.pca.transform(train_x), self.pca.transform(test_x), self.test_labels, cfg.clusters
            ),
        }
        self.latent_index = self.features.latent_index
        self._codes: Clustering | None = None
        self._test_codes: torch.Tensor | None = None

    def train_step(self) -> dict[str, torch.Tensor]:
        return self.train_features()

    # -- the autoencoder's clusters, remade at each evaluation ------------------------------------
    def code_clusters(self) -> Clustering:
        """k-means of the autoencoder codes, kept from the last evaluation (clustering 4,500
        codes costs more than a training step)."""
        if self._codes is None:
            train = encode_all(self.features, self.train_pixels).cpu().numpy()
            self._test_codes = encode_all(self.features, self.test_x)
            test = self._test_codes.cpu().numpy()
            self._codes = cluster(train, test, self.test_labels, self.config.clusters)
        return self._codes

    def clusterings(self) -> dict[str, Clustering]:
        return {**self.fixed, "codes": self.code_clusters()}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = super().evaluate()
        self._codes = None
        for space, found in self.clusterings().items():
            metrics[f"heldout_nmi_{space}"] = found.nmi
            metrics[f"heldout_purity_{space}"] = 100 * found.purity
        return metrics

    # -- what the views show ---------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        found = self.clusterings()
        points = self.code_plane()
        return {
            "centres": self.centres_panel(found),
            "latent": self.scatter(points, "digit", self.test_labels[self.latent_index]),
            "clusters": self.scatter(points, "k-means cluster", found["codes"].held_out[self.latent_index]),
            "contingency": self.contingency_panel(found["codes"]),
            "scores": self.scores_table(found),
        }

    def decode(self, centres: np.ndarray) -> np.ndarray:
        """Code-space points decoded to images (n, h, w) by the autoencoder."""
        z = torch.as_tensor(centres, dtype=torch.float32, device=self.device)
        features = self.features
        if hasattr(features, "decode"):
            return images(features.decode(z), self.image_shape)
        shape = features.model.encode(self.test_x[:1]).shape[1:]
        return images(features.model.decoder(z.reshape(-1, *shape)), self.image_shape)

    def centres_panel(self, found: dict[str, Clustering]) -> PairedRows:
        as_images = {
            "pixels": found["pixels"].centres,
            "pca": self.pca.inverse_transform(found["pca"].centres),
        }
        rows = {
            SPACE_NAMES[space]: np.clip(as_images[space], 0, 1).reshape(-1, *self.image_shape)
            for space in ("pixels", "pca")
        }
        rows["autoencoder codes (decoded)"] = self.decode(found["codes"].centres)
        return PairedRows(
            f"The {self.config.clusters} k-means centres as images; column k: the cluster matched to digit k",
            {name: rows_images.astype(np.float32) for name, rows_images in rows.items()},
        )

    def held_out_codes(self) -> torch.Tensor:
        """Codes of the clean held-out images the maps show (the autoencoder may train on
        jittered ones)."""
        self.code_clusters()
        return self._test_codes[self.latent_index]

    def code_plane(self) -> np.ndarray:
        """Held-out codes on their two principal axes (the plane of the latent maps)."""
        codes = self.held_out_codes()
        centred = codes - codes.mean(dim=0)
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        return (centred @ v[:2].T).cpu().numpy()

    def scatter(self, points: np.ndarray, coloured_by: str, labels: np.ndarray) -> Scatter:
        width = self.held_out_codes().shape[1]
        return Scatter(
            f"Held-out autoencoder codes ({width}-D) on their two principal axes, by {coloured_by}",
            points.astype(np.float32),
            np.asarray(labels, dtype=np.int64),
            self.features.thumbnails,
            "PC 1",
            "PC 2",
        )

    def contingency_panel(self, found: Clustering) -> Matrix:
        k = self.config.clusters
        classes = int(self.test_labels.max()) + 1
        counts = contingency(np.searchsorted(found.names, found.held_out), self.test_labels, k, classes)
        return Matrix(
            "Held-out digits per cluster of the codes",
            counts.astype(np.float64),
            [f"cluster {name}" for name in found.names],
            [str(c) for c in range(classes)],
            row_title="k-means cluster",
            column_title="true digit",
        )

    def scores_table(self, found: dict[str, Clustering]) -> Table:
        dims = {
            "pixels": self.image_shape[0] * self.image_shape[1],
            "pca": self.config.pca_components,
            "codes": self.held_out_codes().shape[1],
        }
        return Table(
            f"k-means, K = {self.config.clusters}: clusters of {len(self.test_labels)} held-out digits",
            ["space", "dimensions", "NMI", "purity (%)"],
            [
                [SPACE_NAMES[space], dims[space], round(c.nmi, 3), round(100 * c.purity, 1)]
                for space, c in found.items()
            ],
        )

    # -- probes: a clicked point, the t-SNE button -----------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "inspect":
            return self.inspect(int(kwargs["index"]))
        if command == "tsne":
            points = tsne_plane(self.held_out_codes().cpu().numpy())
            by_label = self.scatter(points, "digit", self.test_labels[self.latent_index])
            by_cluster = self.scatter(
                points, "k-means cluster", self.code_clusters().held_out[self.latent_index]
            )
            for panel in (by_label, by_cluster):
                panel.title = panel.title.replace("on their two principal axes", "in t-SNE's plane")
                panel.x_label, panel.y_label = "t-SNE 1", "t-SNE 2"
            return {"latent_tsne": by_label, "clusters_tsne": by_cluster}
        return super().probe(command, **kwargs)

    def inspect(self, index: int) -> dict[str, Payload]:
        if not 0 <= index < len(self.latent_index):
            raise ValueError(f"point {index} is outside the {len(self.latent_index)} held-out codes")
        image = self.latent_index[index]
        found = self.code_clusters()
        name = found.held_out[image]
        centre = found.centres[int(np.searchsorted(found.names, name))][None]
        x = self.test_x[image : image + 1]
        return {
            "inspected": PairedRows(
                f"Held-out image {image} (digit {self.test_labels[image]}), in cluster {name}",
                {
                    "input": images(x, self.image_shape),
                    "reconstruction": images(self.features.reconstruct(x), self.image_shape),
                    "cluster centre": self.decode(centre),
                },
            )
        }

    def load_own_state(self, state: dict[str, Any]) -> None:
        self._codes = None  # clusters of the weights just replaced

"""Clustering lesson: k-means in three spaces, NMI and purity, named clusters, centres, maps, probes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from unsuplab.core.config import ConfigError
from unsuplab.core.payloads import Matrix, PairedRows, Scatter
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.clustering import ClusteringLesson, Config, match_to_labels, purity

SETTINGS = {"batch_size": 128}  # the default deep autoencoder, trained on jittered digits


@pytest.fixture(scope="module")
def trained() -> ClusteringLesson:
    experiment = ClusteringLesson(Config(**SETTINGS))
    experiment.build("cpu", 0)
    train_steps(experiment, 300)
    return experiment


def test_purity_and_matching_by_hand():
    clusters = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    labels = np.array([5, 5, 3, 3, 3, 1, 1, 5])
    assert purity(clusters, labels) == pytest.approx((2 + 2 + 2) / 8)
    # Cluster 0 is mostly 5s, cluster 1 all 3s, cluster 2 mostly 1s: each takes its digit's name.
    assert match_to_labels(clusters, labels, 3).tolist() == [5, 3, 1]
    # More clusters than labels (0 and 1): the one left over gets the next name, 2.
    assert match_to_labels(np.array([0, 1, 2, 2]), np.array([1, 0, 0, 1]), 3).tolist() == [1, 0, 2]


def test_pixel_clusters_are_scikit_learns_kmeans(trained):
    train = trained.data.train_images.reshape(len(trained.data.train_images), -1)
    test = trained.test_x.numpy()
    ours = trained.fixed["pixels"]
    theirs = KMeans(10, n_init=3, random_state=0).fit(train).predict(test)
    assert ours.nmi == pytest.approx(normalized_mutual_info_score(trained.test_labels, theirs))
    assert 0.4 < ours.nmi < 0.65  # k-means on MNIST pixels: NMI about 0.5
    assert sorted(ours.names.tolist()) == list(range(10))  # K = 10: one cluster per digit


def test_training_the_autoencoder_lifts_its_clusters_nmi(trained):
    metrics = trained.evaluate()
    fresh = ClusteringLesson(Config(**SETTINGS))
    fresh.build("cpu", 0)
    assert metrics["heldout_nmi_codes"] > fresh.evaluate()["heldout_nmi_codes"] + 0.1
    for space in ("pixels", "pca", "codes"):
        assert 0 <= metrics[f"heldout_nmi_{space}"] <= 1
        assert 10 <= metrics[f"heldout_purity_{space}"] <= 100
    table = trained.snapshot()["scores"]
    assert [row[0] for row in table.rows] == ["pixels", "PCA codes", "autoencoder codes"]
    assert table.rows[2][2] == round(metrics["heldout_nmi_codes"], 3)


def test_centres_are_drawn_as_images_three_ways(trained):
    centres = trained.snapshot()["centres"]
    assert isinstance(centres, PairedRows)
    assert list(centres.rows) == ["pixels", "PCA codes", "autoencoder codes (decoded)"]
    for row in centres.rows.values():
        assert row.shape == (10, 28, 28) and row.min() >= 0 and row.max() <= 1
    # Pixel centres are the k-means centres themselves, column k the cluster named k.
    np.testing.assert_allclose(
        centres.rows["pixels"].reshape(10, -1), np.clip(trained.fixed["pixels"].centres, 0, 1), atol=1e-6
    )


def test_two_maps_of_the_same_points_by_digit_and_by_cluster(trained):
    panels = trained.snapshot()
    by_digit, by_cluster = panels["latent"], panels["clusters"]
    assert isinstance(by_digit, Scatter) and isinstance(by_cluster, Scatter)
    np.testing.assert_array_equal(by_digit.points, by_cluster.points)
    np.testing.assert_array_equal(by_digit.labels, trained.test_labels)
    np.testing.assert_array_equal(by_cluster.labels, trained.code_clusters().held_out)
    counts = panels["contingency"]
    assert isinstance(counts, Matrix) and counts.values.sum() == len(trained.test_labels)
    # The diagonal holds the images whose cluster is named after their own digit.
    agree = (by_cluster.labels == by_digit.labels).sum()
    assert np.trace(counts.values) == agree


def test_tsne_answers_both_colourings_and_a_click_shows_the_centre(trained):
    answer = trained.probe("tsne")
    np.testing.assert_array_equal(answer["latent_tsne"].points, answer["clusters_tsne"].points)
    assert answer["latent_tsne"].x_label == "t-SNE 1"
    inspected = trained.probe("inspect", index=3)["inspected"]
    assert list(inspected.rows) == ["input", "reconstruction", "cluster centre"]
    with pytest.raises(ValueError, match="outside"):
        trained.probe("inspect", index=10_000)


def test_more_clusters_than_digits_get_names_beyond_nine():
    experiment = ClusteringLesson(Config(**SETTINGS, clusters=14))
    experiment.build("cpu", 0)
    names = experiment.fixed["pca"].names
    assert sorted(names.tolist()) == list(range(14))
    assert experiment.snapshot()["centres"].rows["pixels"].shape == (14, 28, 28)


def test_too_many_pca_components_for_the_images_is_refused():
    with pytest.raises(ConfigError, match="pca_components"):
        Config(dataset="digits", pca_components=65).check()

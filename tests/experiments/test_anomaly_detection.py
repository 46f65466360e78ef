"""Anomaly detection lesson: normal-only training, scores, ROC/AUC, threshold and flagged images."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from unsuplab.core.payloads import Curves, Histogram
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.anomaly_detection import AnomalyDetection, Config


@pytest.fixture(scope="module")
def trained() -> AnomalyDetection:
    experiment = AnomalyDetection(Config(anomaly="digit 0", batch_size=64))
    experiment.build("cpu", 0)
    train_steps(experiment, 150)
    return experiment


def test_the_autoencoder_trains_on_normal_images_only(trained):
    data = trained.data
    assert len(trained.features.train_x) == int((data.train_labels != 0).sum())
    assert trained.is_anomaly.sum() == int((trained.test_labels == 0).sum())


def test_auc_and_roc_agree_with_scikit_learn_and_beat_chance(trained):
    metrics = trained.evaluate()
    scores = trained.scores()[0]
    assert metrics["heldout_auc"] == pytest.approx(roc_auc_score(trained.is_anomaly, scores))
    assert metrics["heldout_auc"] > 0.6
    roc = trained.snapshot()["roc"]
    assert isinstance(roc, Curves) and roc.x_label == "false positive rate"
    fpr, tpr = roc.series["ROC"]
    assert fpr[0] == 0 and fpr[-1] == 1 and np.all(np.diff(fpr) >= 0)
    assert f"{metrics['heldout_auc']:.3f}" in roc.title


def test_the_threshold_slider_moves_the_marker_and_the_flagged_images(trained):
    trained.set_live("threshold_quantile", 0.99)
    strict = trained.snapshot()
    trained.set_live("threshold_quantile", 0.6)
    loose = trained.snapshot()
    (t_strict,), (t_loose,) = strict["scores"].markers.values(), loose["scores"].markers.values()
    assert t_loose < t_strict
    assert isinstance(loose["scores"], Histogram) and len(loose["scores"].counts) == 2
    assert len(loose["flagged"].images) >= len(strict["flagged"].images)
    flagged = trained.scores()[0] > t_loose
    assert f"{flagged.sum()} flagged" in loose["flagged"].caption
    worst = loose["worst"].rows
    assert list(worst) == ["input", "reconstruction"] and worst["input"].shape == (10, 28, 28)


def test_noisy_digits_as_anomalies():
    experiment = AnomalyDetection(Config(anomaly="noisy digits", batch_size=64))
    experiment.build("cpu", 0)
    assert len(experiment.features.train_x) == len(experiment.data.train_images)
    assert experiment.is_anomaly.mean() == pytest.approx(0.5, abs=0.01)
    train_steps(experiment, 60)
    assert experiment.evaluate()["heldout_auc"] > 0.75


def test_the_relative_score_is_the_error_per_unit_of_ink_and_changes_live(trained):
    from unsuplab.experiments._feature_lessons import reconstruction_errors

    squared = trained.scores()[0].copy()
    trained.set_live("score", "relative error")
    try:
        relative = trained.scores()[0]
        ink = trained.test_x.pow(2).sum(dim=1).numpy()
        np.testing.assert_allclose(relative, squared / ink, rtol=1e-5)
        np.testing.assert_allclose(
            squared, reconstruction_errors(trained.features, trained.test_x).numpy(), rtol=1e-6
        )
        panels = trained.snapshot()
        assert panels["scores"].title.startswith("Anomaly score s(x) = Σ(x̂ − x)² / Σx²")
        assert trained.evaluate()["heldout_auc"] == pytest.approx(roc_auc_score(trained.is_anomaly, relative))
    finally:
        trained.set_live("score", "squared error")

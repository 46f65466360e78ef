"""Contrastive predictive coding lesson: rule-following sequences, negatives of other digits,
InfoNCE and its accuracy, the strip of picks, the codes' map and the linear probes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unsuplab.core.config import ConfigError
from unsuplab.core.payloads import Bars, ImageGrid, PairedRows, Scatter
from unsuplab.core.stepping import train_steps
from unsuplab.experiments import contrastive_coding
from unsuplab.experiments.contrastive_coding import (
    SHOWN_SEQUENCES,
    ByDigit,
    Config,
    ContrastiveCoding,
    other_digit_elements,
    rule_digits,
)
from unsuplab.models.cpc import info_nce

SETTINGS = {"sequences": 16, "negatives": 7}  # chance: 1 in 8


def built(**settings) -> ContrastiveCoding:
    experiment = ContrastiveCoding(Config(**{**SETTINGS, **settings}))
    experiment.build("cpu", 0)
    return experiment


@pytest.fixture(scope="module")
def trained() -> tuple[ContrastiveCoding, dict[str, float], dict[str, float]]:
    experiment = built()
    before = experiment.evaluate()
    train_steps(experiment, 100)
    return experiment, before, experiment.evaluate()


def test_sequences_follow_the_rule_and_negatives_show_other_digits():
    generator = torch.Generator().manual_seed(0)
    digits = rule_digits(50, 8, "ascending", generator)
    assert torch.equal((digits[:, 1:] - digits[:, :-1]) % 10, torch.ones(50, 7, dtype=torch.long))
    descending = rule_digits(50, 8, "descending", generator)
    assert torch.equal((descending[:, :-1] - descending[:, 1:]) % 10, torch.ones(50, 7, dtype=torch.long))
    labels = np.repeat(np.arange(10), 3)
    picked = ByDigit(labels, torch.device("cpu")).pick(digits, generator)
    np.testing.assert_array_equal(labels[picked.numpy()], digits.numpy())  # each an image of its digit
    negatives = other_digit_elements(digits, 4, 15, generator)
    assert negatives.shape == (50, 4, 15)
    future = digits[:, 4:]
    assert not torch.any(digits.flatten()[negatives] == future[..., None])
    assert all(len(set(row.tolist())) == 15 for row in negatives.flatten(0, 1))  # no repeats


def test_info_nce_is_the_cross_entropy_of_picking_the_true_future():
    predicted = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    candidates = torch.tensor([[[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]])
    loss, accuracy = info_nce(predicted, candidates)
    scores = torch.tensor([[2.0, 0.0, 1.0], [2.0, 6.0, 0.0]])
    assert float(loss) == pytest.approx(float(F.cross_entropy(scores, torch.zeros(2, dtype=torch.long))))
    assert float(accuracy) == 0.5  # the first picks its true future, the second a negative


def test_training_lowers_infonce_and_lifts_accuracy_far_above_chance(trained):
    experiment, before, after = trained
    chance = 100 / (experiment.config.negatives + 1)
    assert before["heldout_infonce"] == pytest.approx(math.log(8), abs=0.3)  # log(N + 1) untrained
    assert after["heldout_infonce"] < before["heldout_infonce"] - 1.0
    assert after["heldout_accuracy"] > 4 * chance


def test_the_probe_on_cpc_codes_beats_pixels_and_autoencoder_codes_with_ten_labels(trained):
    experiment, _, metrics = trained
    bars = experiment.snapshot()["probe"]
    assert isinstance(bars, Bars)
    assert "10 labels per class" in bars.title
    accuracy = bars.values["held-out accuracy (%)"]
    names = ["CPC z", "autoencoder", "pixels"]
    assert bars.categories == [f"{name}: {value:.1f}" for name, value in zip(names, accuracy, strict=True)]
    names = ("cpc", "autoencoder", "pixels")
    np.testing.assert_allclose(accuracy, [metrics[f"heldout_probe_{name}"] for name in names])
    cpc, autoencoder, pixels = accuracy
    assert cpc > pixels + 3 and cpc > autoencoder + 3
    assert 60 < pixels < 90  # softmax regression on 100 MNIST digits' pixels: about 75 %


def test_the_strip_shows_each_sequence_above_its_picks_with_wrong_picks_framed(trained):
    experiment, _, _ = trained
    strip = experiment.snapshot()["sequences"]
    assert isinstance(strip, ImageGrid)
    cfg = experiment.config
    assert strip.columns == cfg.length and strip.images.shape == (2 * SHOWN_SEQUENCES * cfg.length, 28, 28)
    pairs = strip.images.reshape(SHOWN_SEQUENCES, 2, cfg.length, 28, 28)
    np.testing.assert_array_equal(pairs[:, 0, : cfg.context_length], pairs[:, 1, : cfg.context_length])
    for tile in strip.marked:  # only picks, in the lower row of a pair, and only wrong ones
        row, column = divmod(tile, cfg.length)
        assert row % 2 == 1 and column >= cfg.context_length
        assert not np.array_equal(strip.images[tile], strip.images[tile - cfg.length])
    picks = SHOWN_SEQUENCES * cfg.predict_steps
    assert f"{picks - len(strip.marked)} of {picks} picks right" in strip.caption


def test_codes_map_its_t_sne_and_clicked_neighbours(trained, monkeypatch):
    experiment, _, _ = trained
    latent = experiment.snapshot()["latent"]
    assert isinstance(latent, Scatter) and latent.points.shape == (500, 2)
    np.testing.assert_array_equal(latent.labels, experiment.test_labels[:500])
    # t-SNE itself is scikit-learn's (seconds); the plane it gives is what the panel shows.
    monkeypatch.setattr(contrastive_coding, "tsne_plane", lambda codes: codes[:, :2])
    tsne = experiment.probe("tsne")["latent_tsne"]
    assert tsne.title == "CPC codes z (t-SNE)" and tsne.x_label == "t-SNE 1"
    np.testing.assert_allclose(tsne.points, experiment.held_out_codes()[:, :2].numpy())
    inspected = experiment.probe("inspect", index=3)["inspected"]
    assert isinstance(inspected, PairedRows)
    row = inspected.rows["nearest by z"]
    assert row.shape == (8, 28, 28)
    np.testing.assert_array_equal(row[0], experiment.data.test_images[3])  # itself first
    with pytest.raises(ValueError, match="outside"):
        experiment.probe("inspect", index=500)


def test_random_order_is_the_control_nothing_can_be_predicted():
    experiment = built(rule="random")
    train_steps(experiment, 100)
    metrics = experiment.evaluate()
    assert metrics["heldout_accuracy"] < 2 * 100 / 8
    assert metrics["heldout_infonce"] > math.log(8) - 0.3


def test_labels_per_class_changes_live_and_too_many_negatives_are_refused(trained):
    experiment, _, _ = trained
    experiment.set_live("labels_per_class", 1)
    assert "1 labels per class" in experiment.snapshot()["probe"].title
    experiment.set_live("labels_per_class", 10)
    # Sequences of 4 + 4 images, 2 of them in a minibatch: 16 elements, at most 8 negatives.
    with pytest.raises(ConfigError, match="at most 8"):
        ContrastiveCoding(Config(sequences=2, negatives=9))

"""The Hebbian lesson: Hebb's weights grow without bound (and stay finite), Oja's converge to PC 1
with unit length, Sanger's to the first principal components."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from unsuplab.core.config import with_overrides
from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments.hebbian_pca import HEBB_NORM_LIMIT, Config, HebbianPCA
from unsuplab.models.pca import oja_update, vector_angles


def lesson(**changes) -> HebbianPCA:
    experiment = HebbianPCA(with_overrides(Config(), {"code_size": 4, "batch_size": 128, **changes}))
    experiment.build("cpu", 0)
    return experiment


@pytest.fixture(scope="module")
def trained() -> tuple[HebbianPCA, dict[str, float], list[dict[str, float]]]:
    experiment = lesson()
    before = experiment.evaluate()
    history = [{name: float(value) for name, value in train_steps(experiment).items()} for _ in range(400)]
    return experiment, before, history


def test_oja_converges_to_the_first_component_with_unit_length(trained):
    experiment, _, history = trained
    oja, v1 = experiment.model.oja, experiment.targets[0]
    assert float(vector_angles(oja, v1)) < 10
    assert float(oja.norm()) == pytest.approx(1.0, abs=0.02)
    assert history[0]["oja_angle"] > 45 and history[-1]["oja_angle"] < 10


def test_sangers_first_vectors_approach_pcas(trained):
    experiment, before, _ = trained
    angles = vector_angles(experiment.model.sanger, experiment.targets)
    assert float(angles[:2].max()) < 15
    norms = experiment.model.sanger.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(4), atol=0.05, rtol=0)
    after = experiment.evaluate()
    assert after["heldout_loss"] < 0.8 * before["heldout_loss"]
    assert after["heldout_loss"] == pytest.approx(after["heldout_pca_loss"], rel=0.05)


def test_hebbs_weights_grow_until_stopped_and_never_overflow(trained):
    experiment, _, history = trained
    norms = [step["hebb_log10_norm"] for step in history]
    assert norms[0] < 0 and norms[-1] >= math.log10(HEBB_NORM_LIMIT)
    assert np.all(np.diff(norms) >= 0)
    assert all(math.isfinite(value) for step in history for value in step.values())
    # Its direction is right all the same: the power method points w at PC 1.
    assert history[-1]["hebb_angle"] < 15
    assert "hebb_log10_norm" not in experiment.guarded_metrics


def test_live_learning_rate_is_the_next_steps_eta():
    experiment = lesson()
    experiment.set_live("learning_rate", 0.1)
    experiment.generator.manual_seed(5)
    start = experiment.model.oja.clone()
    train_steps(experiment)
    experiment.generator.manual_seed(5)
    x = experiment.minibatch() - experiment.model.mean
    torch.testing.assert_close(experiment.model.oja, oja_update(start, x, 0.1))


def test_weight_panel_puts_each_rule_under_pcas_components(trained):
    experiment, _, _ = trained
    rows = experiment.snapshot()["weights"].rows
    assert list(rows) == ["PCA", "Sanger", "Oja", "Hebb"]
    assert {images.shape for images in rows.values()} == {(4, 28, 28)}
    # Oja and Hebb learn one vector; their other columns are blank (mid-grey, zero).
    assert np.all(rows["Oja"][1:] == 0.5) and np.all(rows["Hebb"][1:] == 0.5)
    # Signs are matched to PCA's, so converged tiles look alike.
    assert np.mean(np.abs(rows["Oja"][0] - rows["PCA"][0])) < 0.05
    by_component = experiment.snapshot()["angles_by_component"]
    assert by_component.x_label == "component k"
    assert by_component.series["sanger_angle"][0].tolist() == [1, 2, 3, 4]


def test_state_round_trip_keeps_all_three_rules():
    experiment = lesson()
    train_steps(experiment, 3)
    fresh = lesson()
    restore(fresh, experiment.state_dict(), experiment.step)
    for name in ("hebb", "oja", "sanger"):
        torch.testing.assert_close(getattr(fresh.model, name), getattr(experiment.model, name))

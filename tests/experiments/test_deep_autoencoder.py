"""The deep autoencoder lesson and its PCA baseline: exact PCA, the error table, the widths field."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.deep_autoencoder import Config, DeepAutoencoder

TINY = Config(hidden_sizes="64,32", batch_size=32)


@pytest.fixture(scope="module")
def experiment() -> DeepAutoencoder:
    experiment = DeepAutoencoder(TINY)
    experiment.build("cpu", 0)
    return experiment


def test_pca_baseline_equals_scikit_learns(experiment):
    train = experiment.train_x.numpy().astype(np.float64)
    test = experiment.test_x.numpy().astype(np.float64)
    pca = PCA(n_components=30, svd_solver="covariance_eigh").fit(train)
    expected = ((pca.inverse_transform(pca.transform(test)) - test) ** 2).sum(axis=1)
    np.testing.assert_allclose(experiment.pca_errors.numpy(), expected, rtol=1e-3)
    assert experiment.evaluate()["heldout_pca_squared_error"] == pytest.approx(expected.mean(), rel=1e-4)


def test_error_table_compares_both_codes_per_image_and_on_average(experiment):
    first = experiment.snapshot()["errors"]
    assert first.columns == ["digit", "deep AE", "PCA-30"]
    assert [row[0] for row in first.rows] == [f"a {d}" for d in range(10)] + ["mean of 500"]
    train_steps(experiment, 10)
    metrics = experiment.evaluate()
    second = experiment.snapshot()["errors"]
    assert second.rows[-1][1:] == [metrics["heldout_squared_error"], metrics["heldout_pca_squared_error"]]
    assert [r[2] for r in second.rows] == [r[2] for r in first.rows]  # PCA does not train
    assert [r[1] for r in second.rows[:10]] != [r[1] for r in first.rows[:10]]
    x, index = experiment.test_x, experiment.probe_index
    with torch.no_grad():
        ae = ((experiment.model(x[index])[0] - x[index]) ** 2).sum(dim=1).numpy()
    np.testing.assert_allclose([r[1] for r in second.rows[:10]], ae, rtol=1e-5)
    np.testing.assert_allclose(
        [r[2] for r in second.rows[:10]], experiment.pca_errors[index].numpy(), rtol=1e-6
    )


def test_reconstructions_show_input_deep_autoencoder_and_pca(experiment):
    rows = experiment.snapshot()["reconstructions"].rows
    assert list(rows) == ["input", "reconstruction", "PCA"]
    index = experiment.probe_index
    pca = experiment.pca_reconstruction(experiment.test_x[index]).clamp(0, 1).numpy()
    np.testing.assert_allclose(rows["PCA"], pca.reshape(-1, 28, 28))


def test_curves_draw_pca_as_a_constant_reference():
    assert "heldout_pca_squared_error" in DeepAutoencoder.curves["Squared error per image Σ(x̂ − x)²"]


@pytest.mark.parametrize("text", ["1000,,250", "abc", "1000;500", "0,10", "-5", ""])
def test_a_bad_width_list_is_refused_by_name(text):
    with pytest.raises(ConfigError, match="hidden_sizes: .* positive whole numbers"):
        with_overrides(Config(), {"hidden_sizes": text})


def test_widths_and_code_size_set_the_network(experiment):
    sizes = [m.out_features for m in experiment.model.encoder if isinstance(m, torch.nn.Linear)]
    assert sizes == [64, 32, 30]
    assert experiment.snapshot()["filters"].images.shape == (64, 28, 28)
    assert "784-64-32-30" in experiment.snapshot()["reconstructions"].title

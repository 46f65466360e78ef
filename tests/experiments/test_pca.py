"""The PCA lesson: exact components as scikit-learn finds them, a live k, and a linear autoencoder
that converges to PCA's subspace."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as ScikitPCA

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.payloads import Curves, ImageGrid, Scatter
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.pca import Config, PrincipalComponentAnalysis
from unsuplab.models.pca import vector_angles


def digits_lesson(**changes) -> PrincipalComponentAnalysis:
    """The lesson on scikit-learn's 8x8 digits, where a 4-unit code converges in a few hundred steps."""
    settings = {"dataset": "digits", "code_size": 4, "k": 4, "batch_size": 64, "learning_rate": 1e-2}
    experiment = PrincipalComponentAnalysis(with_overrides(Config(), {**settings, **changes}))
    experiment.build("cpu", 0)
    return experiment


@pytest.fixture(scope="module")
def trained() -> PrincipalComponentAnalysis:
    experiment = digits_lesson()
    train_steps(experiment, 300)
    return experiment


def test_components_and_explained_variance_match_scikit_learn():
    experiment = digits_lesson()
    reference = ScikitPCA().fit(experiment.train_x.numpy())
    ours = experiment.pca
    np.testing.assert_allclose(
        ours.explained_variance_ratio.numpy(), reference.explained_variance_ratio_, atol=1e-4
    )
    # Components are defined up to sign; compare the first 20, whose eigenvalues are well apart.
    angles = vector_angles(ours.components[:20], torch.as_tensor(reference.components_[:20]))
    assert float(angles.max()) < 0.5
    np.testing.assert_allclose(ours.mean.numpy(), reference.mean_, atol=1e-6)


def test_reconstruction_error_falls_with_k_to_zero_at_the_rank():
    experiment = digits_lesson()
    x, pca = experiment.train_x, experiment.pca
    rank = int((pca.variances > 1e-6 * pca.variances[0]).sum())
    errors = [float(((pca.reconstruct(x, k) - x) ** 2).mean()) for k in (1, 2, 4, 8, 16, 32, rank)]
    assert np.all(np.diff(errors) < 0)
    assert errors[-1] < 1e-9


def test_linear_autoencoder_finds_pcas_subspace_and_error(trained):
    before = digits_lesson().evaluate()
    after = trained.evaluate()
    assert before["principal_angle"] > 45
    assert after["principal_angle"] < 10
    assert after["heldout_loss"] == pytest.approx(after["heldout_pca_loss"], rel=0.05)
    assert after["heldout_pca_loss"] < before["heldout_loss"]


def test_live_k_changes_pcas_reconstructions_without_rebuilding(trained):
    model = trained.model
    trained.set_live("k", 1)
    coarse = trained.snapshot()
    trained.set_live("k", 40)
    fine = trained.snapshot()
    assert trained.model is model
    coarse_rows, fine_rows = coarse["reconstructions"].rows, fine["reconstructions"].rows
    np.testing.assert_array_equal(coarse_rows["reconstruction"], fine_rows["reconstruction"])
    error = {
        k: np.mean((rows["PCA"] - rows["input"]) ** 2) for k, rows in ((1, coarse_rows), (40, fine_rows))
    }
    assert error[40] < 0.2 * error[1]
    assert "k = 1" in coarse["reconstructions"].title and "k = 40" in fine["reconstructions"].title
    line = fine["explained_variance"].series["current_k"]
    assert line[0].tolist() == [40, 40]
    with pytest.raises(ValueError, match="code_size cannot change while training"):
        trained.set_live("code_size", 8)
    with pytest.raises(ConfigError, match="k: 65 components, but a 8x8 image has only 64"):
        trained.set_live("k", 65)
    trained.set_live("k", 4)


def test_panels_show_pca_beside_the_autoencoder(trained):
    panels = trained.snapshot()
    components = panels["components"]
    assert isinstance(components, ImageGrid) and components.images.shape == (64, 8, 8)
    np.testing.assert_allclose(components.images[0].ravel(), trained.pca.components[0].numpy())
    curves = panels["explained_variance"]
    assert isinstance(curves, Curves) and curves.x_label == "component k"
    ratio = curves.series["explained_variance_ratio"][1]
    cumulative = curves.series["cumulative"][1]
    assert np.all(np.diff(ratio) <= 1e-7) and cumulative[-1] >= 0.95
    np.testing.assert_allclose(np.cumsum(ratio), cumulative)
    latent = panels["latent"]
    assert isinstance(latent, Scatter) and latent.thumbnails is not None
    expected = trained.pca.encode(trained.test_x[trained.latent_index], 2).numpy()
    np.testing.assert_allclose(latent.points, expected)
    assert panels["filters"].images.shape == (4, 8, 8)


def test_drawing_probe_answers_with_the_autoencoder_and_pca(trained):
    drawn = np.zeros((8, 8), dtype=np.float32)
    drawn[1:7, 3:5] = 1.0
    rows = trained.probe("reconstruct", image=drawn)["drawing"].rows
    assert list(rows) == ["input", "reconstruction", "PCA"]
    assert all(
        images.shape == (1, 8, 8) and images.min() >= 0 and images.max() <= 1 for images in rows.values()
    )


def test_config_refuses_a_k_or_code_wider_than_the_image():
    with pytest.raises(ConfigError, match="k: 785 components"):
        with_overrides(Config(), {"k": "785"})
    with pytest.raises(ConfigError, match="code_size"):
        with_overrides(Config(), {"dataset": "digits", "code_size": "64"})

"""Exact PCA, the linear autoencoder, the Hebb/Oja/Sanger updates and the angles that compare them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from unsuplab.models.pca import (
    LinearAutoencoder,
    fit_pca,
    hebb_update,
    oja_update,
    principal_angles,
    sanger_update,
    varying_pixels,
    vector_angles,
)

VARIANCES = torch.tensor([9.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05])


def gaussian_cloud(count: int = 4000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples with known principal axes: the columns of a random rotation, variances VARIANCES."""
    generator = torch.Generator().manual_seed(seed)
    axes, _ = torch.linalg.qr(torch.randn(len(VARIANCES), len(VARIANCES), generator=generator))
    z = torch.randn(count, len(VARIANCES), generator=generator) * VARIANCES.sqrt()
    return z @ axes.T + 3.0, axes.T  # rows of the second are the true components


def test_reconstruction_error_is_the_variance_left_out_and_zero_at_full_rank():
    x, _ = gaussian_cloud()
    pca = fit_pca(x)
    errors = [float(((pca.reconstruct(x, k) - x) ** 2).sum(dim=1).mean()) for k in range(1, 9)]
    left_out = [float(pca.variances[k:].sum()) for k in range(1, 9)]
    np.testing.assert_allclose(errors, left_out, rtol=1e-4, atol=1e-5)
    assert np.all(np.diff(errors) < 0)
    assert errors[-1] < 1e-8
    torch.testing.assert_close(pca.encode(x, 3), (x - x.mean(dim=0)) @ pca.components[:3].T)


def test_components_are_orthonormal_sorted_and_sign_fixed():
    x, axes = gaussian_cloud()
    pca = fit_pca(x)
    torch.testing.assert_close(pca.components @ pca.components.T, torch.eye(8), atol=1e-5, rtol=0)
    assert torch.all(pca.variances[:-1] >= pca.variances[1:])
    assert float(pca.explained_variance_ratio.sum()) == pytest.approx(1.0)
    assert float(vector_angles(pca.components[:4], axes[:4]).max()) < 5  # sampling noise
    peaks = pca.components.gather(1, pca.components.abs().argmax(dim=1, keepdim=True))
    assert torch.all(peaks > 0)


def test_principal_angles_agree_with_scipy_small_and_large():
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(50, 4, generator=generator, dtype=torch.float64)
    b = torch.randn(50, 3, generator=generator, dtype=torch.float64)
    expected = np.sort(np.degrees(subspace_angles(a.numpy(), b.numpy())))
    np.testing.assert_allclose(principal_angles(a, b).numpy(), expected, atol=1e-6)
    # A basis mixed by an invertible matrix spans the same space; a slight tilt gives a small angle.
    nearby = a @ torch.randn(4, 4, generator=generator, dtype=torch.float64)
    nearby[:, 0] += 1e-3 * torch.randn(50, generator=generator, dtype=torch.float64)
    expected = np.sort(np.degrees(subspace_angles(a.numpy(), nearby.numpy())))
    np.testing.assert_allclose(principal_angles(a, nearby).numpy(), expected, atol=1e-6)
    assert 0 < float(principal_angles(a, nearby).max()) < 1


def test_vector_angles_ignore_sign():
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    w = torch.tensor([[-2.0, 0.0], [1.0, 1.0]])
    torch.testing.assert_close(vector_angles(w, v), torch.tensor([0.0, 45.0]))


def test_oja_converges_to_the_first_component_with_unit_length():
    x, axes = gaussian_cloud()
    x = x - x.mean(dim=0)
    w = 0.1 * torch.ones(8)
    for start in range(0, 4000, 40):
        w = oja_update(w, x[start : start + 40], lr=0.02)
    assert float(vector_angles(w, axes[0])) < 5
    assert float(w.norm()) == pytest.approx(1.0, abs=0.05)


def test_hebb_turns_towards_the_first_component_but_grows_without_bound():
    x, axes = gaussian_cloud()
    x = x - x.mean(dim=0)
    w = 0.1 * torch.ones(8)
    norms = []
    for start in range(0, 2000, 40):
        w = hebb_update(w, x[start : start + 40], lr=0.02)
        norms.append(float(w.norm()))
    assert norms[-1] > 100 * norms[0] and np.all(np.diff(norms) > 0)
    assert float(vector_angles(w, axes[0])) < 5


def test_sanger_with_one_unit_is_oja_and_with_m_units_finds_the_first_m_components():
    x, axes = gaussian_cloud()
    x = x - x.mean(dim=0)
    w = torch.randn(1, 8, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(sanger_update(w, x[:40], 0.02)[0], oja_update(w[0], x[:40], 0.02))
    weights = 0.1 * torch.randn(3, 8, generator=torch.Generator().manual_seed(3))
    for _ in range(3):
        for start in range(0, 4000, 40):
            weights = sanger_update(weights, x[start : start + 40], lr=0.02)
    assert float(vector_angles(weights, axes[:3]).max()) < 8
    torch.testing.assert_close(weights @ weights.T, torch.eye(3), atol=0.1, rtol=0)


def test_linear_autoencoder_starts_at_zero_on_pixels_that_never_vary():
    x = torch.rand(20, 6)
    x[:, 2] = 0.25  # a pixel that is the same in every image
    varying = varying_pixels(x)
    assert varying.tolist() == [True, True, False, True, True, True]
    model = LinearAutoencoder(6, 3, mean=x.mean(dim=0), varying=varying)
    assert torch.all(model.filters[:, 2] == 0) and torch.all(model.basis[2] == 0)
    x_hat, h = model(x)
    assert x_hat.shape == (20, 6) and h.shape == (20, 3)
    torch.testing.assert_close(model(x.mean(dim=0, keepdim=True))[0], x.mean(dim=0, keepdim=True))

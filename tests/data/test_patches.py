"""Natural-image patches: range, determinism, a held-out split that shares no pixel, whitening that
whitens, and a sparse autoencoder that learns from them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from unsuplab.data import DataError, load_dataset
from unsuplab.data.datasets import _PATCHES, DATASETS, IMAGE_SHAPES
from unsuplab.data.patches import (
    BLOCK,
    ZCA_EPSILON,
    candidate_windows,
    grey_photographs,
    held_out_mask,
    load_patches,
    one_over_f_photographs,
    whitened_patches,
    window_sums,
    zca_matrix,
)
from unsuplab.experiments._image_autoencoder import _first_of_each_label

SMALL = {"train_count": 2000, "held_out_count": 200}


def covariance(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x.T @ x / len(x)


def test_registered_patch_data_sets():
    data = load_dataset("patches-8")
    assert data.name == "patches-8" and data.image_shape == (8, 8)
    assert (len(data.train_images), len(data.test_images)) == (20_000, 2_000)
    assert data.train_images.dtype == np.float32
    assert data.train_labels.dtype == np.int64 and not data.train_labels.any()
    assert not data.test_labels.any()
    for name, (size, whitening) in _PATCHES.items():
        assert name in DATASETS and IMAGE_SHAPES[name] == (size, size)
        assert load_patches(size, whitening, **SMALL).name == name


@pytest.mark.parametrize("whitening", ["none", "zca", "1/f"])
def test_values_lie_in_point_one_to_point_nine_with_flat_at_one_half(whitening):
    data = load_patches(12, whitening, **SMALL)
    assert data.train_images.shape == (2000, 12, 12) and data.test_images.shape == (200, 12, 12)
    for images in (data.train_images, data.test_images):
        assert images.min() >= 0.1 and images.max() <= 0.9
    # Truncation at ±3σ reaches both ends; the mean of every patch (its DC) was removed first.
    assert data.train_images.min() == pytest.approx(0.1) and data.train_images.max() == pytest.approx(0.9)
    assert abs(float(data.train_images.mean()) - 0.5) < 0.01


def test_same_seed_same_patches_other_seed_other_patches():
    first = load_patches(8, "none", seed=3, **SMALL)
    again = load_patches(8, "none", seed=3, **SMALL)
    other = load_patches(8, "none", seed=4, **SMALL)
    np.testing.assert_array_equal(first.train_images, again.train_images)
    np.testing.assert_array_equal(first.test_images, again.test_images)
    assert not np.array_equal(first.train_images, other.train_images)


@pytest.mark.parametrize("size", [8, 16])
def test_training_and_held_out_patches_share_no_pixel(size):
    train, held_out = candidate_windows(size, False), candidate_windows(size, True)
    for photo, image in enumerate(grey_photographs()):
        covered = np.zeros(image.shape)
        for _, top, left in held_out[held_out[:, 0] == photo]:
            covered[top : top + size, left : left + size] = 1
        assert covered.sum() > 0
        overlap = window_sums(covered, size)
        rows = train[train[:, 0] == photo]
        assert len(rows) > 0 and overlap[rows[:, 1], rows[:, 2]].max() == 0


def test_held_out_blocks_are_a_fifth_and_never_touch():
    mask = held_out_mask((5 * BLOCK, 5 * BLOCK))
    assert mask.mean() == pytest.approx(0.2)
    blocks = mask[::BLOCK, ::BLOCK]
    # No two held-out blocks are neighbours, not even across a corner.
    assert not (blocks[1:] & blocks[:-1]).any() and not (blocks[:, 1:] & blocks[:, :-1]).any()
    assert not (blocks[1:, 1:] & blocks[:-1, :-1]).any() and not (blocks[1:, :-1] & blocks[:-1, 1:]).any()


def test_zca_without_epsilon_makes_the_covariance_the_identity():
    raw, _ = whitened_patches(8, "none", **SMALL)
    white = raw @ zca_matrix(torch.from_numpy(raw), epsilon=1e-9).numpy()
    # The identity on the patches' space; the DC direction (1, …, 1)/8 was removed beforehand.
    dc = np.full((64, 1), 1 / 8)
    np.testing.assert_allclose(covariance(white), np.eye(64) - dc @ dc.T, atol=2e-3)


def test_zca_variant_is_the_identity_up_to_epsilon():
    raw, _ = whitened_patches(8, "none", **SMALL)
    white, _ = whitened_patches(8, "zca", **SMALL)  # the same positions: they depend on the seed only
    eigenvalues, eigenvectors = np.linalg.eigh(covariance(raw))
    eigenvalues = np.clip(eigenvalues, 0, None)
    epsilon = ZCA_EPSILON * eigenvalues.mean()
    expected = (eigenvectors * (eigenvalues / (eigenvalues + epsilon))) @ eigenvectors.T
    np.testing.assert_allclose(covariance(white), expected, atol=2e-3)
    # Raw variances span more than two decades; whitened, every direction but DC lies within ×10.
    white_eigenvalues = np.linalg.eigvalsh(covariance(white))
    assert eigenvalues[-1] / eigenvalues[1] > 100
    assert white_eigenvalues[0] < 1e-3 and white_eigenvalues[-1] <= 1.0 + 1e-3
    assert white_eigenvalues[-1] / white_eigenvalues[1] < 10


def test_zca_fitted_on_training_patches_whitens_held_out_ones_too():
    _, held_out = whitened_patches(8, "zca", train_count=5000, held_out_count=2000)
    variances = np.linalg.eigvalsh(covariance(held_out))[1:]  # without the removed DC
    assert variances.max() < 1.5 and variances.max() / variances.min() < 10


def _spectral_slope(image: np.ndarray) -> float:
    """Slope of log power against log frequency (0.02 to 0.25 cycles per pixel), Hann-windowed."""
    h, w = image.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2((image - image.mean()) * window)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    f = np.hypot(fx, fy)
    edges = np.geomspace(0.02, 0.25, 9)
    low, high = edges[:-1], edges[1:]
    band_power = [np.log(power[(f >= lo) & (f < hi)].mean()) for lo, hi in zip(low, high, strict=True)]
    return float(np.polyfit(np.log(np.sqrt(low * high)), band_power, 1)[0])


def test_one_over_f_filter_flattens_the_spectrum():
    for grey, whitened in zip(grey_photographs(), one_over_f_photographs(), strict=True):
        assert _spectral_slope(grey) < -1.5  # natural images: power falls like 1/f²
        assert abs(_spectral_slope(whitened)) < 0.5


@pytest.mark.parametrize("size", [0, BLOCK + 1, 500])
def test_a_patch_that_does_not_fit_is_refused(size):
    with pytest.raises(DataError, match=f"patch size {size} does not fit.*427x640"):
        load_patches(size)


def test_unknown_whitening_and_too_many_patches_are_refused():
    with pytest.raises(DataError, match="unknown whitening 'pca'"):
        load_patches(8, "pca")
    with pytest.raises(DataError, match="only .* distinct 16x16 held-out patches"):
        load_patches(16, held_out_count=10**6)


def test_a_single_label_probes_the_first_patches():
    assert _first_of_each_label(np.zeros(2000, dtype=np.int64), 10).tolist() == list(range(10))


def test_sparse_autoencoder_learns_from_patches():
    from unsuplab.experiments.sparse_autoencoder import Config, SparseAutoencoder

    config = dataclasses.replace(
        Config(),
        dataset="patches-8-1f",
        code_size=25,
        penalty="kl",
        sparsity_target=0.05,
        sparsity_beta=0.3,
        weight_decay=1e-4,
        learning_rate=1e-2,
        batch_size=64,
    )
    experiment = SparseAutoencoder(config)
    experiment.build("cpu", 0)
    before = experiment.evaluate()
    for _ in range(100):
        experiment.train_step()
    after = experiment.evaluate()
    assert after["heldout_loss"] < 0.5 * before["heldout_loss"]
    assert after["heldout_reconstruction"] < before["heldout_reconstruction"]
    assert after["heldout_mean_activation"] == pytest.approx(0.05, abs=0.01)  # ρ̂ reached ρ
    panels = experiment.snapshot()
    assert panels["filters"].images.shape == (25, 8, 8)
    assert panels["reconstructions"].rows["input"].shape == (10, 8, 8)
    assert not panels["latent"].labels.any()

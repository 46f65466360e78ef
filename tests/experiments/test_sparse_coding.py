"""The sparse-coding lesson: its settings refuse bad input by name, its panels write the code out,
and its dictionary denoises and inpaints a held-out photograph."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.stepping import restore, train_steps
from unsuplab.data import DataError
from unsuplab.data.patches import whitened_patches
from unsuplab.experiments.sparse_coding import (
    Config,
    SparseCoding,
    formula,
    patch_whitening,
)

QUICK = {"dataset": "patches-8-1f", "atoms": 64, "batch_size": 64, "fista_iterations": 30}


def trained(steps: int = 40, **changes) -> SparseCoding:
    experiment = SparseCoding(dataclasses.replace(Config(), **{**QUICK, **changes}))
    experiment.build("cpu", 0)
    train_steps(experiment, steps)
    return experiment


def keras_npz(path, images: np.ndarray):
    """A Keras-style .npz holding `images` as both its parts."""
    labels = np.zeros(len(images), dtype=np.uint8)
    np.savez(path, x_train=images, y_train=labels, x_test=images[:20], y_test=labels[:20])
    return path


@pytest.mark.parametrize("value", ["0", "-1", "1000"])
def test_lambda_must_be_positive_and_in_range(value):
    with pytest.raises(ConfigError, match="sparsity_lambda"):
        with_overrides(Config(), {"sparsity_lambda": value})


def test_a_patch_larger_than_the_image_to_restore_is_refused():
    with pytest.raises(ConfigError, match="demo_size") as caught:
        with_overrides(Config(), {"dataset": "patches-12-zca", "demo_size": "8"})
    assert "12x12" in str(caught.value)


def test_a_data_file_of_images_is_not_patches(tmp_path):
    digits = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    path = keras_npz(tmp_path / "mnist.npz", digits)
    experiment = SparseCoding(Config(data_file=str(path)))
    with pytest.raises(DataError, match="mnist.npz.*28x28 images, not patches"):
        experiment.build("cpu", 0)


def test_a_data_file_that_is_no_data_names_the_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not patches at all")
    with pytest.raises(DataError, match="notes.txt"):
        SparseCoding(Config(data_file=str(path))).build("cpu", 0)


def test_own_patches_train_but_have_no_photograph_to_restore(tmp_path):
    patches = np.random.default_rng(1).integers(0, 256, (300, 6, 6), dtype=np.uint8)
    experiment = SparseCoding(
        Config(data_file=str(keras_npz(tmp_path / "p.npz", patches)), atoms=16, batch_size=32)
    )
    experiment.build("cpu", 0)
    train_steps(experiment)
    assert experiment.snapshot()["dictionary"].images.shape == (16, 6, 6)
    with pytest.raises(ValueError, match="photographs"):
        experiment.probe("denoise")


def test_the_formula_is_written_with_subscript_atom_numbers():
    assert formula(np.array([0.8, -0.3, 0.5]), np.array([35, 41, 64])) == "0.80·φ₃₆ − 0.30·φ₄₂ + 0.50·φ₆₅"
    assert formula(np.array([-1.25]), np.array([0])) == "−1.25·φ₁"


def test_the_written_out_terms_are_the_largest_coefficients_of_the_patch():
    experiment = trained()
    panel = experiment.snapshot()["terms"]
    code = experiment.encode(experiment.test_x[experiment.explained][None])[0]
    largest = code.abs().argsort(descending=True)[: len(panel.images) - 2]
    expected = formula(code[largest].numpy(), largest.numpy())
    assert panel.caption.startswith(f"x̂ = {expected}")
    np.testing.assert_array_equal(panel.images[2:], experiment.atom_images()[largest.numpy()])
    # "Another patch" moves on, and a reload shows the same patch.
    before = experiment.explained
    experiment.probe("next_patch")
    assert experiment.explained == before + 1
    fresh = SparseCoding(experiment.config)
    fresh.build("cpu", 1)
    restore(fresh, experiment.state_dict(), experiment.step)
    assert fresh.explained == experiment.explained


def test_a_larger_lambda_gives_sparser_codes():
    loose = trained(sparsity_lambda=0.3).evaluate()["heldout_nonzeros"]
    strict = trained(sparsity_lambda=2.0).evaluate()["heldout_nonzeros"]
    assert strict < 0.5 * loose


def test_sparsity_histogram_counts_every_held_out_patch():
    histogram = trained(steps=5).snapshot()["sparsity"]
    counts = histogram.counts["patches"]
    assert counts.sum() == 1000 and len(histogram.edges) == len(counts) + 1
    mean = (counts * (histogram.edges[:-1] + 0.5)).sum() / counts.sum()
    assert histogram.markers["mean"] == pytest.approx(mean)


def test_block_coordinate_learns_too():
    experiment = trained(steps=0, dictionary_update="block-coordinate")
    before = experiment.evaluate()["heldout_loss"]
    train_steps(experiment, 30)
    assert experiment.evaluate()["heldout_loss"] < 0.85 * before
    assert experiment.updates == 30


def test_the_learned_dictionary_denoises_and_inpaints_a_held_out_photo():
    rows = trained(steps=80).probe("denoise")["denoising"].rows
    assert list(rows) == ["corrupted", "restored", "clean"]
    assert rows["clean"].shape == (2, 64, 64)
    error = {name: ((images - rows["clean"]) ** 2).mean(axis=(1, 2)) for name, images in rows.items()}
    assert np.all(error["restored"] < 0.6 * error["corrupted"])


def test_zca_patches_are_coded_in_the_whitened_space_the_pixel_atoms_undo():
    raw, _ = whitened_patches(8, "none")
    white, _ = whitened_patches(8, "zca")
    w = patch_whitening("zca", 8)
    np.testing.assert_allclose((torch.from_numpy(raw[:50]).double() @ w).numpy(), white[:50], atol=1e-4)
    experiment = SparseCoding(Config(**{**QUICK, "dataset": "patches-8-zca"}))
    experiment.build("cpu", 0)
    # a D (whitened, σ units) and a (σ D W⁻¹) (pixels) are the same patch, seen two ways.
    a = torch.randn(3, experiment.config.atoms)
    pixels = a @ experiment.pixel_dictionary()
    whitened = (pixels.double() @ w).float() / experiment.data.sigma
    torch.testing.assert_close(whitened, a @ experiment.dictionary, atol=1e-4, rtol=1e-4)

"""FISTA solves the Lasso scikit-learn solves, and both dictionary updates lower the objective."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unsuplab.models.sparse_coding import (
    average_patches,
    block_coordinate_update,
    fista,
    gradient_update,
    image_patches,
    largest_eigenvalue,
    objective_terms,
    random_dictionary,
    restore_image,
    soft_threshold,
)


def problem(n: int = 40, atoms: int = 24, pixels: int = 16, seed: int = 0):
    """Signals made of three atoms each, plus a little noise, and the dictionary."""
    g = torch.Generator().manual_seed(seed)
    dictionary = random_dictionary(atoms, pixels, g)
    codes = torch.zeros(n, atoms)
    for row in codes:
        row[torch.randperm(atoms, generator=g)[:3]] = torch.randn(3, generator=g) * 2
    x = codes @ dictionary + 0.05 * torch.randn(n, pixels, generator=g)
    return x, dictionary


def test_soft_threshold_shrinks_towards_zero_and_kills_the_small():
    z = torch.tensor([-3.0, -0.5, 0.0, 0.2, 2.0])
    torch.testing.assert_close(soft_threshold(z, 1.0), torch.tensor([-2.0, 0.0, 0.0, 0.0, 1.0]))


def test_power_iteration_finds_the_largest_eigenvalue():
    _, dictionary = problem()
    gram = dictionary @ dictionary.T
    exact = torch.linalg.eigvalsh(gram.double())[-1].float()
    torch.testing.assert_close(largest_eigenvalue(gram), exact, rtol=1e-3, atol=0)


def test_fista_reaches_the_lasso_solution_of_scikit_learn():
    from sklearn.decomposition import sparse_encode

    x, dictionary = problem()
    lam = 0.2
    ours = fista(x, dictionary, lam, 1000).numpy()
    # sparse_encode minimises the same ½‖x − a D‖² + alpha‖a‖₁ per row.
    theirs = sparse_encode(
        x.numpy().astype(np.float64), dictionary.numpy().astype(np.float64), algorithm="lasso_lars", alpha=lam
    )
    np.testing.assert_allclose(ours, theirs, atol=2e-3)
    assert np.array_equal(ours != 0, np.abs(theirs) > 1e-9)


def test_fista_codes_satisfy_the_lasso_optimality_conditions():
    x, dictionary = problem(seed=1)
    lam = 0.3
    a = fista(x, dictionary, lam, 2000)
    correlation = (x - a @ dictionary) @ dictionary.T  # −∇ of the squared term
    active = a != 0
    # On the support the gradient balances λ·sign(a); off it, it stays within [−λ, λ].
    torch.testing.assert_close(correlation[active], lam * a[active].sign(), atol=1e-3, rtol=0)
    assert correlation[~active].abs().max() <= lam + 1e-3


def test_a_mask_makes_coding_ignore_the_deleted_pixels():
    x, dictionary = problem(n=5)
    mask = torch.ones_like(x)
    mask[:, :6] = 0
    scribbled = x.clone()
    scribbled[:, :6] = 100.0
    torch.testing.assert_close(
        fista(x, dictionary, 0.1, 200, mask=mask), fista(scribbled, dictionary, 0.1, 200, mask=mask)
    )


def test_objective_terms_are_the_slide_formula():
    x, dictionary = problem(n=7)
    a = fista(x, dictionary, 0.2, 50)
    terms = objective_terms(x, dictionary, a, 0.2)
    reconstruction = 0.5 * ((x - a @ dictionary) ** 2).sum() / 7
    penalty = 0.2 * a.abs().sum() / 7
    torch.testing.assert_close(terms["loss"], reconstruction + penalty)
    torch.testing.assert_close(terms["nonzeros"], (a != 0).sum() / 7.0)


@pytest.mark.parametrize("update", ["gradient", "block-coordinate"])
def test_dictionary_updates_keep_unit_atoms_and_lower_the_error(update):
    x, truth = problem(n=200, seed=2)
    g = torch.Generator().manual_seed(3)
    dictionary = random_dictionary(len(truth), truth.shape[1], g)
    a = fista(x, dictionary, 0.1, 100)
    before = objective_terms(x, dictionary, a, 0.1)["reconstruction"]
    if update == "gradient":
        updated = gradient_update(dictionary, x, a, learning_rate=0.5)
    else:
        updated = block_coordinate_update(dictionary, a.T @ a, a.T @ x)
    torch.testing.assert_close(updated.norm(dim=1), torch.ones(len(updated)))
    assert objective_terms(x, updated, a, 0.1)["reconstruction"] < before


def test_overlapping_patches_average_back_to_the_image():
    image = torch.rand(13, 11)
    for stride in (1, 2, 3):
        patches = image_patches(image, 4, stride)
        torch.testing.assert_close(average_patches(patches, (13, 11), 4, stride), image)
    assert image_patches(image, 4, 1).shape == (10 * 8, 16)


def test_a_complete_basis_with_a_tiny_lambda_restores_an_image_exactly():
    image = torch.rand(10, 10)
    basis = torch.linalg.qr(torch.randn(16, 16, generator=torch.Generator().manual_seed(0)))[0]
    restored = restore_image(image, basis, 1e-6, 300, 4, stride=2)
    torch.testing.assert_close(restored, image, atol=1e-3, rtol=0)
    # Deleted pixels come back from the atoms that fit the rest (a smooth image, smooth atoms).
    observed = torch.ones(10, 10)
    observed[3, 4] = 0
    smooth = torch.outer(torch.linspace(0, 1, 10), torch.ones(10))
    ramp_atoms = torch.stack(
        [torch.linspace(-1, 1, 4).repeat_interleave(4), torch.linspace(-1, 1, 4).repeat(4)]
    )
    filled = restore_image(smooth, ramp_atoms, 1e-6, 500, 4, observed=observed)
    assert abs(float(filled[3, 4] - smooth[3, 4])) < 1e-2

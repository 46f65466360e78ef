"""The latent map's projection on two principal axes, by SVD or through the Gram matrix."""

from __future__ import annotations

import torch

from unsuplab.experiments._image_autoencoder import top_two_components


def test_long_codes_project_through_the_gram_matrix_as_an_svd_would():
    generator = torch.Generator().manual_seed(0)
    codes = torch.randn(40, 300, generator=generator, dtype=torch.float64)
    codes[:, 0] *= 8  # two clear axes, so each is defined up to its sign
    codes[:, 1] *= 4
    centred = codes - codes.mean(dim=0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    expected = centred @ v[:2].T
    points = top_two_components(codes)
    assert points.shape == (40, 2)
    torch.testing.assert_close(points.abs(), expected.abs())
    assert torch.allclose(points[:, 0] @ points[:, 1], torch.zeros((), dtype=torch.float64), atol=1e-8)

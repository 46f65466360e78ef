"""Corruption noise has the statistics its formula promises, and one seed always gives one picture."""

from __future__ import annotations

import pytest
import torch

from unsuplab.data.corruption import (
    CORRUPTIONS,
    corrupt,
    gaussian_noise,
    masking_noise,
    salt_and_pepper,
)

PIXELS = (400, 500)  # 200,000 draws: a fraction is known to about ±0.003 (three standard errors)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_masking_zeroes_a_fraction_nu_and_keeps_the_rest():
    x = torch.rand(PIXELS) * 0.9 + 0.1  # no pixel is 0 before masking
    noisy = masking_noise(x, 0.3, seeded())
    zeroed = noisy == 0
    assert float(zeroed.float().mean()) == pytest.approx(0.3, abs=0.005)
    torch.testing.assert_close(noisy[~zeroed], x[~zeroed], rtol=0, atol=0)


def test_gaussian_noise_has_standard_deviation_sigma_and_stays_in_the_unit_range():
    grey = torch.full(PIXELS, 0.5)
    # σ = 0.08: the clip at 0 and 1 is six σ away, so the noise is seen before clipping.
    noise = gaussian_noise(grey, 0.08, seeded()) - grey
    assert float(noise.std()) == pytest.approx(0.08, rel=0.01)
    assert float(noise.mean()) == pytest.approx(0.0, abs=0.001)
    wide = gaussian_noise(grey, 1.0, seeded())
    assert float(wide.min()) == 0.0 and float(wide.max()) == 1.0


def test_salt_and_pepper_hits_a_fraction_nu_half_white_half_black():
    grey = torch.full(PIXELS, 0.5)
    noisy = salt_and_pepper(grey, 0.2, seeded())
    salt, pepper = (noisy == 1).float().mean(), (noisy == 0).float().mean()
    assert float(salt + pepper) == pytest.approx(0.2, abs=0.005)
    assert float(salt / (salt + pepper)) == pytest.approx(0.5, abs=0.02)
    assert set(noisy.unique().tolist()) == {0.0, 0.5, 1.0}


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_same_seed_same_corruption_other_seed_other_corruption(kind):
    x = torch.rand(64, 784, generator=seeded(5))
    first = corrupt(x, kind, 0.25, seeded(1))
    torch.testing.assert_close(corrupt(x, kind, 0.25, seeded(1)), first, rtol=0, atol=0)
    assert not torch.equal(corrupt(x, kind, 0.25, seeded(2)), first)
    assert first.shape == x.shape and first.dtype == x.dtype
    assert float(first.min()) >= 0 and float(first.max()) <= 1


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_level_zero_leaves_the_image_alone(kind):
    x = torch.rand(8, 784, generator=seeded(5))
    assert torch.equal(corrupt(x, kind, 0.0, seeded()), x)


@pytest.mark.parametrize("kind", CORRUPTIONS)
@pytest.mark.parametrize("level", [-0.1, 1.5])
def test_levels_outside_the_unit_interval_are_refused(kind, level):
    with pytest.raises(ValueError, match=f"corruption level {level} is outside"):
        corrupt(torch.rand(2, 4), kind, level, seeded())


def test_unknown_kind_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="'blur'.*masking, gaussian, salt-and-pepper"):
        corrupt(torch.rand(2, 4), "blur", 0.1, seeded())


def blob_images(count: int, side: int = 28) -> torch.Tensor:
    """`count` copies of a 4×4 white square at the centre of a black square image."""
    image = torch.zeros(side, side)
    image[side // 2 - 2 : side // 2 + 2, side // 2 - 2 : side // 2 + 2] = 1.0
    return image.flatten().repeat(count, 1)


def centres(x: torch.Tensor, side: int = 28) -> torch.Tensor:
    """Ink centre of mass (row, column) of each flattened image."""
    images = x.reshape(-1, side, side)
    grid = torch.arange(side, dtype=x.dtype)
    mass = images.sum(dim=(1, 2))
    return torch.stack(
        [(images.sum(dim=2) * grid).sum(dim=1) / mass, (images.sum(dim=1) * grid).sum(dim=1) / mass], dim=1
    )


def test_jitter_moves_the_centre_by_up_to_four_nu_pixels_and_keeps_the_ink():
    x = blob_images(2000)
    moved = corrupt(x, "jitter", 0.5, seeded())
    # The turn and the scaling are about the image centre, so the blob there moves by the shift.
    shift = (centres(moved) - centres(x)).abs()
    assert float(shift.max()) <= 2.0 + 0.05  # 4ν = 2 pixels each way
    assert float(shift.max()) > 1.8  # and the whole range is used
    ink = moved.sum(dim=1) / x.sum(dim=1)
    assert float(ink.min()) > 0.75 and float(ink.max()) < 1.3  # scaled by 1 ± 0.1: area ± 21 %


def test_jitter_turns_by_up_to_thirty_nu_degrees():
    bar = torch.zeros(28, 28)
    bar[13:15, 4:24] = 1.0  # a horizontal stroke through the centre
    turned = corrupt(bar.flatten().repeat(2000, 1), "jitter", 0.5, seeded()).reshape(-1, 28, 28)
    # Orientation of the ink from its second moments.
    grid = torch.arange(28, dtype=torch.float32)
    rows, cols = torch.meshgrid(grid, grid, indexing="ij")
    mass = turned.sum(dim=(1, 2))
    r0 = (turned * rows).sum(dim=(1, 2)) / mass
    c0 = (turned * cols).sum(dim=(1, 2)) / mass
    dr, dc = rows - r0[:, None, None], cols - c0[:, None, None]
    mrr, mcc = (turned * dr * dr).sum(dim=(1, 2)), (turned * dc * dc).sum(dim=(1, 2))
    mrc = (turned * dr * dc).sum(dim=(1, 2))
    degrees = torch.rad2deg(0.5 * torch.atan2(2 * mrc, mcc - mrr)).abs()
    assert float(degrees.max()) <= 15.0 + 1.0  # 30ν = 15°
    assert float(degrees.max()) > 13.0


def test_jitter_refuses_images_that_are_not_square():
    with pytest.raises(ValueError, match="jitter needs square images; got 12 pixels"):
        corrupt(torch.rand(3, 12), "jitter", 0.5, seeded())

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

"""Input corruption for denoising: masking, additive Gaussian and salt-and-pepper noise on [0, 1] images.

Every function draws from an explicit `torch.Generator` on the batch's device, so the same seed
gives the same corruption, on the CPU and on a GPU alike, without touching the global RNG.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def _check_level(level: float) -> None:
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"corruption level {level} is outside [0, 1]")


def _uniform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def masking_noise(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """Each pixel set to 0 with probability ν = `level` (Vincent et al. 2008): x̃ = x · [u ≥ ν]."""
    _check_level(level)
    return x * (_uniform(x, generator) >= level)


def gaussian_noise(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """x̃ = clip(x + σ·ε, 0, 1) with ε ~ N(0, 1) per pixel and σ = `level`."""
    _check_level(level)
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return (x + level * noise).clamp(0.0, 1.0)


def salt_and_pepper(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """A fraction ν = `level` of the pixels set to 1 (salt) or 0 (pepper) with equal chance."""
    _check_level(level)
    u = _uniform(x, generator)
    # One uniform draw decides both: u < ν/2 is salt, ν/2 ≤ u < ν is pepper, the rest is kept.
    return torch.where(u < level, (u < level / 2).to(x.dtype), x)


_CORRUPTERS: dict[str, Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]] = {
    "masking": masking_noise,
    "gaussian": gaussian_noise,
    "salt-and-pepper": salt_and_pepper,
}

#: Names `corrupt` accepts (and a lesson's corruption field offers).
CORRUPTIONS = tuple(_CORRUPTERS)


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator) -> torch.Tensor:
    """`x` corrupted by the noise called `kind` (see CORRUPTIONS) at `level` in [0, 1]."""
    if kind not in _CORRUPTERS:
        raise ValueError(f"unknown corruption {kind!r}; known: {', '.join(CORRUPTIONS)}")
    return _CORRUPTERS[kind](x, level, generator)

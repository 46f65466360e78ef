"""Input corruption for denoising: masking, additive Gaussian and salt-and-pepper noise on [0, 1]
images, and jitter, a small random shift, turn and scaling of the whole image.

Every function draws from an explicit `torch.Generator` on the batch's device, so the same seed
gives the same corruption, on the CPU and on a GPU alike, without touching the global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

#: At level ν = 1 jitter moves an image by up to 1/7 of its width (4 pixels of a 28-pixel digit),
#: turns it by up to 30 degrees and scales it by up to 20 %; lower levels scale all three.
JITTER_SHIFT = 1 / 7
JITTER_DEGREES = 30.0
JITTER_SCALE = 0.2


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


def jitter(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """Each square image (flattened) moved, turned and scaled at random, ν = `level`:
    shift up to ν/7 of the width each way, angle up to 30ν°, scale 1 ± 0.2ν, read back with
    bilinear interpolation; pixels that come in from outside the frame are 0."""
    _check_level(level)
    side = math.isqrt(x.shape[1])
    if side * side != x.shape[1]:
        raise ValueError(f"jitter needs square images; got {x.shape[1]} pixels per image")
    if level == 0.0:
        return x
    u = torch.rand((len(x), 4), generator=generator, device=x.device, dtype=x.dtype) * 2 - 1
    angle = u[:, 0] * math.radians(JITTER_DEGREES * level)
    scale = 1 + u[:, 1] * JITTER_SCALE * level
    shift = u[:, 2:] * 2 * JITTER_SHIFT * level  # affine_grid's frame is 2 wide
    # The picture is mapped by p ↦ scale·R(angle)·p + shift about its centre; grid_sample wants
    # the inverse, p ↦ M (p − shift) with M = R(−angle)/scale, for every output pixel.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    inverse = torch.stack([torch.stack([cos, sin], dim=1), torch.stack([-sin, cos], dim=1)], dim=1)
    offset = -(inverse @ shift.unsqueeze(2))
    theta = torch.cat([inverse, offset], dim=2)
    images = x.reshape(len(x), 1, side, side)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False).reshape(x.shape)


_CORRUPTERS: dict[str, Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]] = {
    "masking": masking_noise,
    "gaussian": gaussian_noise,
    "salt-and-pepper": salt_and_pepper,
    "jitter": jitter,
}

#: Names `corrupt` accepts (and a lesson's corruption field offers).
CORRUPTIONS = tuple(_CORRUPTERS)


def describe_corruption(kind: str, level: float) -> str:
    """A corruption as a title says it: "25 % masked", "Gaussian noise σ = 0.25",
    "jitter ν = 0.5 (±2 px, ±15°, ±10 % on 28 px)"."""
    if kind == "gaussian":
        return f"Gaussian noise σ = {level:g}"
    if kind == "jitter":
        return (
            f"jitter ν = {level:g} (±{28 * JITTER_SHIFT * level:.3g} px, "
            f"±{JITTER_DEGREES * level:.3g}°, ±{100 * JITTER_SCALE * level:.3g} % on 28 px)"
        )
    return f"{level:.0%} {'masked' if kind == 'masking' else kind}".replace("%", " %")


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator) -> torch.Tensor:
    """`x` corrupted by the noise called `kind` (see CORRUPTIONS) at `level` in [0, 1]."""
    if kind not in _CORRUPTERS:
        raise ValueError(f"unknown corruption {kind!r}; known: {', '.join(CORRUPTIONS)}")
    return _CORRUPTERS[kind](x, level, generator)

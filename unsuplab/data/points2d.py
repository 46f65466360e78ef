"""Two-dimensional point distributions for GANs in the plane: a ring and a grid of Gaussians
(modes that can be counted), two moons, a spiral, and a set of points drawn with the mouse."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DISTRIBUTIONS = ("ring", "grid", "moons", "spiral")
MIN_DRAWN_POINTS = 50
RING_RADIUS = 2.0
GRID_SPACING = 2.0
MODE_STD = 0.05  # σ of each Gaussian of the ring and the grid


@dataclass(frozen=True)
class Modes:
    """The centres of a mixture of isotropic Gaussians with a common σ."""

    centres: np.ndarray  # (k, 2)
    std: float


def modes(name: str) -> Modes | None:
    """The Gaussian modes of `name` ("ring": 8 on a circle, "grid": 5 x 5), None for the others."""
    if name == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        centres = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    elif name == "grid":
        axis = GRID_SPACING * np.arange(-2, 3)
        centres = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    else:
        return None
    return Modes(centres.astype(np.float32), MODE_STD)


def sample_points(name: str, count: int, seed: int = 0) -> np.ndarray:
    """`count` points (float32, (count, 2)) of distribution `name` (one of DISTRIBUTIONS)."""
    rng = np.random.default_rng(seed)
    mixture = modes(name)
    if mixture is not None:
        centre = mixture.centres[rng.integers(len(mixture.centres), size=count)]
        return (centre + mixture.std * rng.standard_normal((count, 2))).astype(np.float32)
    if name == "moons":
        from sklearn.datasets import make_moons

        points, _ = make_moons(count, noise=0.05, random_state=seed)
        # Centred and scaled to the ring's size, so one learning rate suits every data set.
        return (1.6 * (points - [0.5, 0.25])).astype(np.float32)
    if name == "spiral":
        t = np.sqrt(rng.uniform(0, 1, count)) * 3 * math.pi  # uniform along the arm's length
        arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * math.pi) * 2.5
        return (arm + 0.05 * rng.standard_normal((count, 2))).astype(np.float32)
    raise ValueError(f"unknown distribution {name!r}; known: {', '.join(DISTRIBUTIONS)}")


def check_drawn_points(points: object) -> np.ndarray:
    """The drawn points as a float32 (n, 2) array; a ValueError saying what is wrong otherwise."""
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"expected a list of (x, y) points, got an array of shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("the drawn points contain values that are not finite numbers")
    if len(array) < MIN_DRAWN_POINTS:
        raise ValueError(f"draw at least {MIN_DRAWN_POINTS} points; got {len(array)}")
    return array.astype(np.float32)


def spread_drawing(points: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """`count` points drawn from the drawing: its points, each blurred by a Gaussian of 2 % of the
    drawing's size, so a stroke becomes a density rather than a few hundred exact dots."""
    rng = np.random.default_rng(seed)
    size = float(np.max(points.max(axis=0) - points.min(axis=0)))
    chosen = points[rng.integers(len(points), size=count)]
    return (chosen + 0.02 * max(size, 1e-3) * rng.standard_normal((count, 2))).astype(np.float32)


def covered_modes(points: np.ndarray, mixture: Modes, min_share: float) -> tuple[int, float]:
    """(modes covered, share of high-quality points) for generated `points`.

    A point is high-quality when it lies within 3σ of some mode; a mode is covered when at least
    `min_share` of all points lie within 3σ of it.
    """
    distances = np.linalg.norm(points[:, None, :] - mixture.centres[None], axis=2)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(points)), nearest] <= 3 * mixture.std
    per_mode = np.bincount(nearest[close], minlength=len(mixture.centres))
    return int(np.sum(per_mode >= min_share * len(points))), float(close.mean())

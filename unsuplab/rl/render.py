"""Game observations to RGB pictures: one colour per object channel on a black background."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:  # the games render themselves with this module: no import at run time
    from unsuplab.rl.games.base import VecGame

# Colours for channel names a game class does not colour itself (a bare list of names).
_NAMED_COLOURS: dict[str, tuple[float, float, float]] = {
    "paddle": (0.35, 0.75, 1.0),
    "player": (0.35, 0.75, 1.0),
    "chicken": (1.0, 0.9, 0.2),
    "ball": (1.0, 1.0, 1.0),
    "trail": (0.45, 0.45, 0.55),
    "brick": (1.0, 0.45, 0.2),
    "car": (0.9, 0.2, 0.25),
    "alien": (0.4, 1.0, 0.4),
}
_FALLBACK = (
    (0.9, 0.6, 0.0),
    (0.35, 0.7, 0.9),
    (0.0, 0.6, 0.5),
    (0.95, 0.9, 0.25),
    (0.0, 0.45, 0.7),
    (0.8, 0.4, 0.0),
    (0.8, 0.6, 0.7),
    (0.6, 0.6, 0.6),
)  # Okabe-Ito, colour-blind safe


def channel_colours(game_or_channels: type[VecGame] | VecGame | Sequence[str]) -> np.ndarray:
    """(C, 3) colours for a game class, a game, or a list of channel names."""
    if not isinstance(game_or_channels, Sequence):
        return np.asarray(game_or_channels.colours, dtype=np.float32)
    names = list(game_or_channels)
    return np.asarray(
        [_NAMED_COLOURS.get(name, _FALLBACK[i % len(_FALLBACK)]) for i, name in enumerate(names)],
        dtype=np.float32,
    )


def render_rgb(
    game_or_channels: type[VecGame] | VecGame | Sequence[str], obs: torch.Tensor | np.ndarray
) -> np.ndarray:
    """(C, H, W) -> (H, W, 3) float32 in [0, 1] (or (B, C, H, W) -> (B, H, W, 3)). Where objects
    overlap, the earlier channel is drawn on top (the ball over its trail and over a brick)."""
    if isinstance(obs, torch.Tensor):
        obs = obs.detach().to("cpu", torch.float32).numpy()
    obs = np.asarray(obs, dtype=np.float32)
    colours = channel_colours(game_or_channels)
    if obs.shape[-3] != len(colours):
        raise ValueError(f"observation has {obs.shape[-3]} channels, the game has {len(colours)}")
    present = obs > 0.5
    # The first present channel at each cell gives its colour: argmax finds the first True.
    top = present.argmax(axis=-3)
    picture = colours[top]
    picture[~present.any(axis=-3)] = 0.0
    return picture

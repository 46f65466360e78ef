"""The small Atari-style games, by name: `make_game("breakout", num_envs=4096)`."""

from __future__ import annotations

import torch

from unsuplab.rl.games.base import GRID, StepResult, VecGame
from unsuplab.rl.games.breakout import Breakout
from unsuplab.rl.games.freeway import Freeway
from unsuplab.rl.games.space_invaders import SpaceInvaders

GAMES: dict[str, type[VecGame]] = {game.name: game for game in (Breakout, SpaceInvaders, Freeway)}


def make_game(
    name: str,
    num_envs: int,
    device: str | torch.device = "cpu",
    seed: int = 0,
    sticky_actions: float = 0.0,
    max_episode_steps: int | None = None,
) -> VecGame:
    """`num_envs` games called `name` on `device`, seeded; see `VecGame`."""
    try:
        game = GAMES[name]
    except KeyError:
        raise ValueError(f"unknown game {name!r}; the games are {', '.join(sorted(GAMES))}") from None
    return game(num_envs, device=device, seed=seed, sticky_actions=sticky_actions,
                max_episode_steps=max_episode_steps)


__all__ = ["GAMES", "GRID", "StepResult", "VecGame", "make_game"]

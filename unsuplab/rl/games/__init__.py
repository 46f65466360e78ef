"""The games by name: `make_game("breakout", num_envs=4096)`, or a real one, `"atari-breakout"`."""

from __future__ import annotations

import torch

from unsuplab.rl.games.base import GRID, Game, StepResult, VecGame
from unsuplab.rl.games.breakout import Breakout
from unsuplab.rl.games.freeway import Freeway
from unsuplab.rl.games.space_invaders import SpaceInvaders

#: The small games written in this lab; real Atari games are named in `unsuplab.rl.atari`.
GAMES: dict[str, type[VecGame]] = {game.name: game for game in (Breakout, SpaceInvaders, Freeway)}
ATARI_PREFIX = "atari-"


def make_game(
    name: str,
    num_envs: int,
    device: str | torch.device = "cpu",
    seed: int = 0,
    sticky_actions: float = 0.0,
    max_episode_steps: int | None = None,
) -> Game:
    """`num_envs` games called `name` on `device`, seeded; see `Game`."""
    if name.startswith(ATARI_PREFIX):
        from unsuplab.rl.atari import AtariGame  # it imports this package: only when asked for

        return AtariGame(name, num_envs, device, seed, sticky_actions, max_episode_steps)
    try:
        game = GAMES[name]
    except KeyError:
        raise ValueError(f"unknown game {name!r}; the games are {', '.join(sorted(GAMES))}") from None
    return game(
        num_envs, device=device, seed=seed, sticky_actions=sticky_actions, max_episode_steps=max_episode_steps
    )


__all__ = ["ATARI_PREFIX", "GAMES", "GRID", "Game", "StepResult", "VecGame", "make_game"]

"""The games an agent's lesson plays besides training: one to watch the agent play greedily, one
for a person to play, and a few greedy games that keep a running score of the agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from unsuplab.rl.games import Game, StepResult

QNetwork = Callable[[torch.Tensor], torch.Tensor]  # (B, C, H, W) observations -> (B, actions)


class Play:
    """A game (of one or more environments) and the observation it shows now."""

    def __init__(self, game: Game, seed: int):
        self.game = game
        self.obs = game.reset(seed)

    @property
    def score(self) -> float:
        """What the first environment's running episode has scored so far."""
        return float(self.game.episode_return[0])

    def step(self, actions: torch.Tensor) -> StepResult:
        result = self.game.step(actions)
        self.obs = result.obs
        return result

    @torch.no_grad()
    def play_greedily(self, q_net: QNetwork) -> StepResult:
        """One step of every environment with a = argmax_a Q(s, a)."""
        return self.step(q_net(self.obs).argmax(dim=1))

    def state_dict(self, prefix: str) -> dict[str, Any]:
        """The game's state and observation as `<prefix>_game` and `<prefix>_obs`."""
        return {f"{prefix}_game": self.game.state_dict(), f"{prefix}_obs": self.obs}

    def load_state_dict(self, state: dict[str, Any], prefix: str) -> None:
        self.game.load_state_dict(state[f"{prefix}_game"])
        self.obs = state[f"{prefix}_obs"].to(self.obs.device)


class HumanPlay(Play):
    """A one-environment game played by a person, one key press at a time, with their scores."""

    def __init__(self, game: Game, seed: int):
        super().__init__(game, seed)
        self.scores: list[float] = []  # returns of the games finished so far

    def press(self, action: int) -> None:
        """Play `action` for one step; a finished game's score is kept."""
        count = len(self.game.action_names)
        if not 0 <= action < count:
            raise ValueError(f"action {action} is not one of 0..{count - 1}")
        result = self.step(torch.tensor([action], device=self.obs.device))
        if bool(result.done[0]):
            self.scores.append(float(result.episode_return[0]))

    def state_dict(self, prefix: str) -> dict[str, Any]:
        return {**super().state_dict(prefix), f"{prefix}_scores": list(self.scores)}

    def load_state_dict(self, state: dict[str, Any], prefix: str) -> None:
        super().load_state_dict(state, prefix)
        self.scores = list(state[f"{prefix}_scores"])


class GreedyScore(Play):
    """Games played greedily a few steps at a time: the mean return of the last `kept` episodes
    they finished is a cheap running estimate of how well the agent plays now."""

    def __init__(self, game: Game, seed: int, steps_per_call: int, kept: int):
        super().__init__(game, seed)
        self.steps_per_call, self.kept = steps_per_call, kept
        self.scores: list[float] = []

    def advance(self, q_net: QNetwork) -> float | None:
        """`steps_per_call` greedy steps more; the running mean return, None before any ended."""
        results = [self.play_greedily(q_net) for _ in range(self.steps_per_call)]
        # One read of the device for all the steps, not one a step.
        returns = torch.stack([r.episode_return for r in results])
        finished = returns[torch.stack([r.done for r in results])]
        self.scores = (self.scores + finished.tolist())[-self.kept :]
        return float(np.mean(self.scores)) if self.scores else None

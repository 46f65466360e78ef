"""The batched-game contract: many small Atari-style games stepped at once as tensors on one device.

A `VecGame` holds the state of `num_envs` independent games of one kind as a handful of tensors
(positions, directions, timers, brick maps) and advances all of them with one call to `step`,
using only whole-batch tensor operations: no Python loop over environments and no host sync, so
thousands of games step at once on a CPU or a GPU. Observations are MinAtar-style 10x10 grids with
one channel per kind of object, as float32 in {0, 1}.

A game subclass says what its state tensors are (`state_names`), what a fresh game looks like
(`_fresh_state`), what one step does (`_advance`) and how the state looks (`_observe`); this base
class adds what every game shares: sticky actions, episode returns, an optional time limit,
resetting finished games in place, seeding and checkpoints.

`Game` is the interface an agent plays through, met by every `VecGame` and by real Atari
(`unsuplab.rl.atari.AtariGame`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np
import torch

from unsuplab.rl.render import render_rgb

GRID = 10  # every game is played on a GRID x GRID board


class StepResult(NamedTuple):
    """What one `VecGame.step` returns, every field batched over the environments."""

    obs: torch.Tensor  # (B, C, H, W) float32 in [0, 1]; where done, the new episode's first frame
    reward: torch.Tensor  # (B,) float32
    done: torch.Tensor  # (B,) bool: the episode ended this step (lost, or cut off by the time limit)
    episode_return: torch.Tensor  # (B,) float32: the finished episode's return where done, else 0


@runtime_checkable
class Game(Protocol):
    """`num_envs` games of one kind played together: what an agent and its lesson rely on."""

    num_envs: int
    action_names: tuple[str, ...]  # action 0 is "noop"
    key_actions: dict[str, int]  # keyboard key name -> action, for a playable Frame
    levels: int  # grey levels above black in an observation: how a replay buffer stores it
    episode_return: torch.Tensor  # (B,) what each game's running episode has scored so far

    @property
    def obs_shape(self) -> tuple[int, int, int]: ...

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start every game afresh; the (B, C, H, W) first observations."""
        ...

    def step(self, actions: torch.Tensor) -> StepResult:
        """Advance every game one step; a game whose episode ends starts the next in place."""
        ...

    def render(self, obs: torch.Tensor) -> np.ndarray:
        """One (C, H, W) observation as an (H, W, 3) RGB picture in [0, 1]."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class VecGame(ABC):
    """`num_envs` games of one kind advanced together; see the module docstring."""

    name: ClassVar[str]  # registry key, e.g. "breakout"
    title: ClassVar[str]  # shown to people, e.g. "Breakout"
    channels: ClassVar[tuple[str, ...]]  # one observation channel per kind of object
    colours: ClassVar[tuple[tuple[float, float, float], ...]]  # RGB in [0, 1], one per channel
    action_names: ClassVar[tuple[str, ...]]  # action 0 is always "noop"
    key_actions: ClassVar[dict[str, int]]  # keyboard key name -> action, for a playable Frame
    state_names: ClassVar[tuple[str, ...]]  # the attributes holding the game's state tensors
    levels: ClassVar[int] = 1  # object channels are 0 or 1

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        seed: int = 0,
        sticky_actions: float = 0.0,
        max_episode_steps: int | None = None,
    ):
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        if not 0.0 <= sticky_actions < 1.0:
            raise ValueError(f"sticky_actions is a probability in [0, 1), got {sticky_actions}")
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be at least 1 or None, got {max_episode_steps}")
        self.num_envs = num_envs
        self.device = torch.device(device)
        self.sticky_actions = float(sticky_actions)
        self.max_episode_steps = max_episode_steps
        self.generator = torch.Generator(device=self.device)
        self.seed = seed
        self.reset(seed)

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def obs_shape(self) -> tuple[int, int, int]:
        return (len(self.channels), GRID, GRID)

    def render(self, obs: torch.Tensor) -> np.ndarray:
        """An observation as an RGB picture: a colour per object channel (see `render_rgb`)."""
        return render_rgb(self, obs)

    # -- what a game defines -------------------------------------------------------------------

    @abstractmethod
    def _fresh_state(self, n: int) -> dict[str, torch.Tensor]:
        """The state of `n` new games, one tensor per name in `state_names`, drawn from
        `self.generator`. It is drawn every step (for the games that end), so keep it cheap:
        constants may be broadcast views (`expand`) of one cached tensor."""

    @abstractmethod
    def _advance(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply the (B,) actions and move every object one tick; return (reward float32,
        terminal bool), both (B,)."""

    @abstractmethod
    def _observe(self) -> torch.Tensor:
        """The (B, C, 10, 10) float32 observation of the current state."""

    # -- shared machinery ----------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every environment and return the first observations. With a
        seed the episodes that follow are reproducible; without one the generator runs on."""
        if seed is not None:
            self.seed = seed
            self.generator.manual_seed(seed)
        for name, value in self._fresh_state(self.num_envs).items():
            # Its own memory for every state tensor: fresh values may be views of shared constants.
            setattr(self, name, value.clone(memory_format=torch.contiguous_format))
        batch = self.num_envs
        self.last_action = torch.zeros(batch, dtype=torch.int64, device=self.device)
        self.episode_return = torch.zeros(batch, dtype=torch.float32, device=self.device)
        self.episode_length = torch.zeros(batch, dtype=torch.int64, device=self.device)
        # Which of the last step's `done` were a time-limit cut rather than a loss: an agent that
        # bootstraps its value target should keep bootstrapping through those.
        self.truncated = torch.zeros(batch, dtype=torch.bool, device=self.device)
        return self._observe()

    def step(self, actions: torch.Tensor) -> StepResult:
        """Advance every environment by one tick with `actions` ((B,) int64 on the game's device);
        environments whose episode ends are reset in place, so the loop never stops."""
        if self.sticky_actions > 0.0:
            # MinAtar's sticky actions: with probability p the previous action repeats.
            repeat = torch.rand(self.num_envs, device=self.device, generator=self.generator)
            actions = torch.where(repeat < self.sticky_actions, self.last_action, actions)
        self.last_action = actions
        reward, terminal = self._advance(actions)
        self.episode_return += reward
        self.episode_length += 1
        if self.max_episode_steps is None:
            self.truncated = torch.zeros_like(terminal)
        else:
            self.truncated = (self.episode_length >= self.max_episode_steps) & ~terminal
        done = terminal | self.truncated
        finished_return = torch.where(done, self.episode_return, 0.0)
        self._reset_where(done)
        return StepResult(self._observe(), reward, done, finished_return)

    def _reset_where(self, done: torch.Tensor) -> None:
        """Replace the state of the environments flagged in `done` by fresh games."""
        for name, fresh in self._fresh_state(self.num_envs).items():
            current = getattr(self, name)
            flag = done.view(-1, *([1] * (current.dim() - 1)))
            setattr(self, name, torch.where(flag, fresh, current))
        self.last_action = torch.where(done, 0, self.last_action)
        self.episode_return = torch.where(done, 0.0, self.episode_return)
        self.episode_length = torch.where(done, 0, self.episode_length)

    def _blank_obs(self) -> torch.Tensor:
        """Zeros shaped (B, C * 100): games mark objects with one scatter of flat indices
        channel * 100 + y * 10 + x, then view it as (B, C, 10, 10)."""
        return torch.zeros(self.num_envs, len(self.channels) * GRID * GRID, device=self.device)

    def state_dict(self) -> dict[str, Any]:
        """Every state tensor and the generator, so a checkpoint resumes the same episodes."""
        tensors = {name: getattr(self, name).clone() for name in self._all_state_names()}
        return {"game": self.name, "generator": self.generator.get_state(), **tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("game") != self.name:
            raise ValueError(f"this state belongs to game {state.get('game')!r}, not {self.name!r}")
        for name in self._all_state_names():
            value = state[name]
            current = getattr(self, name)
            if value.shape != current.shape:
                raise ValueError(
                    f"state {name!r} has shape {tuple(value.shape)}, this game needs {tuple(current.shape)}"
                    f" ({self.num_envs} environments)"
                )
            setattr(self, name, value.to(device=self.device, dtype=current.dtype).clone())
        self.generator.set_state(state["generator"])

    def _all_state_names(self) -> tuple[str, ...]:
        return (*self.state_names, "last_action", "episode_return", "episode_length", "truncated")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_envs={self.num_envs}, device={str(self.device)!r})"

"""Real Atari 2600 games through Gymnasium and ale-py (the optional extra `unsuplab[atari]`), behind
the same batched interface as the small games, with the standard DQN preprocessing.

Preprocessing (Mnih et al. 2015; Machado et al. 2018): up to 30 no-op actions at the start of an
episode, each action repeated for 4 frames (the max of the last two kept, against flicker), the
screen in grey scaled to 84x84, and the last 4 such frames stacked as the observation. The
environments run one after another on the host; only the observations travel to the device.
Nothing here is imported unless a real Atari game is chosen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from unsuplab.rl.games.base import StepResult

INSTALL_COMMAND = 'pip install "unsuplab[atari]"'
#: Lesson game name -> Gymnasium id.
ATARI_GAMES = {"atari-breakout": "ALE/Breakout-v5"}
#: Mean score of the uniformly random policy (Mnih et al. 2015, extended data table 2).
RANDOM_SCORES = {"atari-breakout": 1.7}
FRAME_STACK, SCREEN = 4, 84


def require_atari() -> None:
    """Import Gymnasium, ale-py and OpenCV (Gymnasium's Atari preprocessing resizes with it), or
    raise ImportError saying how to install them."""
    try:
        import ale_py  # noqa: F401
        import cv2  # noqa: F401
        import gymnasium  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"real Atari games need Gymnasium with ale-py and OpenCV, which are not "
            f"installed ({exc}); install them with: {INSTALL_COMMAND}"
        ) from None


class AtariGame:
    """`num_envs` preprocessed Atari games behind the `Game` interface of the small games;
    observations are (4, 84, 84) float32 in [0, 1], 255 grey levels."""

    levels = 255  # grey levels above black: how the replay buffer stores these frames
    channels = tuple(f"frame t-{k}" for k in range(FRAME_STACK - 1, 0, -1)) + ("frame t",)

    def __init__(
        self,
        name: str,
        num_envs: int,
        device: str | torch.device = "cpu",
        seed: int = 0,
        sticky_actions: float = 0.0,
        max_episode_steps: int | None = None,
    ):
        require_atari()
        import ale_py
        import gymnasium as gym
        from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

        gym.register_envs(ale_py)
        self.name, self.num_envs, self.device, self.seed = name, num_envs, torch.device(device), seed
        self.envs = []
        for _ in range(num_envs):
            # frameskip=1 here: AtariPreprocessing repeats each action 4 times and max-pools.
            env = gym.make(
                ATARI_GAMES[name],
                frameskip=1,
                repeat_action_probability=sticky_actions,
                max_episode_steps=max_episode_steps and max_episode_steps * 4,
            )
            env = AtariPreprocessing(
                env, noop_max=30, frame_skip=4, screen_size=SCREEN, grayscale_obs=True, scale_obs=False
            )
            self.envs.append(FrameStackObservation(env, FRAME_STACK))
        meanings = self.envs[0].unwrapped.get_action_meanings()
        self.action_names = tuple(m.lower() for m in meanings)
        keys = {"left": "Left", "right": "Right", "fire": "Space", "up": "Up", "down": "Down"}
        self.key_actions = {keys[n]: i for i, n in enumerate(self.action_names) if n in keys}
        if "fire" in self.action_names:
            self.key_actions["Up"] = self.action_names.index("fire")
        self.episode_return = torch.zeros(num_envs)
        self.reset(seed)

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def obs_shape(self) -> tuple[int, int, int]:
        return (FRAME_STACK, SCREEN, SCREEN)

    def _to_device(self, frames: list[Any]) -> torch.Tensor:
        stacked = torch.from_numpy(np.stack([np.asarray(f) for f in frames]))
        return stacked.to(self.device).float().div_(self.levels)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        base = self.seed if seed is None else seed
        self.episode_return.zero_()
        return self._to_device([env.reset(seed=base + i)[0] for i, env in enumerate(self.envs)])

    def step(self, actions: torch.Tensor) -> StepResult:
        frames, rewards, dones, finished = [], [], [], []
        for i, (env, action) in enumerate(zip(self.envs, actions.tolist(), strict=True)):
            obs, reward, terminated, truncated, _ = env.step(action)
            self.episode_return[i] += reward
            done = terminated or truncated
            finished.append(float(self.episode_return[i]) if done else 0.0)
            if done:
                obs, _ = env.reset()
                self.episode_return[i] = 0.0
            frames.append(obs)
            rewards.append(reward)
            dones.append(done)
        device = self.device
        return StepResult(
            self._to_device(frames),
            torch.tensor(rewards, dtype=torch.float32, device=device),
            torch.tensor(dones, device=device),
            torch.tensor(finished, device=device),
        )

    def render(self, obs: torch.Tensor) -> np.ndarray:
        """The newest frame of a (4, 84, 84) observation as an (84, 84, 3) grey picture."""
        newest = obs[-1].detach().to("cpu", torch.float32).numpy()
        return np.repeat(newest[:, :, None], 3, axis=2)

    def state_dict(self) -> dict[str, Any]:
        """The game's name only: the emulators' states are not saved, so a restored run plays on
        from the games as they are."""
        return {"game": self.name}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("game") != self.name:
            raise ValueError(f"this state belongs to game {state.get('game')!r}, not {self.name!r}")

"""The record of finished training episodes: their returns and the frame each ended at."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


class EpisodeLog:
    """The last `capacity` finished episodes in a ring on the device. One scatter a step writes
    them (slot `capacity` collects the games that did not finish), so no step waits for the device."""

    def __init__(self, capacity: int, device: torch.device):
        self.capacity = capacity
        self.returns = torch.zeros(capacity + 1, device=device)
        self.frames = torch.zeros(capacity + 1, device=device)
        self.count = torch.zeros((), dtype=torch.int64, device=device)  # episodes ever finished

    def record(self, done: torch.Tensor, episode_return: torch.Tensor, frame: int) -> None:
        """The episodes flagged in `done` ended at `frame` with `episode_return`."""
        order = self.count + done.long().cumsum(0) - 1
        slot = torch.where(done, order % self.capacity, self.capacity)
        self.returns.scatter_(0, slot, episode_return)
        self.frames.scatter_(0, slot, float(frame))
        self.count += done.sum()

    def finished(self) -> tuple[np.ndarray, np.ndarray]:
        """Returns and end frames of the episodes still in the ring, oldest first."""
        count = int(self.count)
        order = np.arange(count - min(count, self.capacity), count) % self.capacity
        return (
            self.returns[: self.capacity].cpu().numpy()[order],
            self.frames[: self.capacity].cpu().numpy()[order],
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            "episode_returns": self.returns[: self.capacity],
            "episode_frames": self.frames[: self.capacity],
            "episodes": self.count,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.returns[: self.capacity] = state["episode_returns"].to(self.returns.device)
        self.frames[: self.capacity] = state["episode_frames"].to(self.frames.device)
        self.count.copy_(state["episodes"])

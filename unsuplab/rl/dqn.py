"""DQN's parts: Q-networks, a replay buffer on the device, the ε schedule, the Bellman target, the
Huber TD loss, a greedy evaluation of a Q-network on a batch of games, and random play's level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.rl.games import Game


# --- Q-networks ----------------------------------------------------------------------------------
class MinAtarQNetwork(nn.Module):
    """The MinAtar reference network: one 3x3 convolution with 16 filters, 128 hidden units, one
    output per action: Q(s, ·) for a (C, 10, 10) observation of object channels."""

    def __init__(self, obs_shape: tuple[int, int, int], n_actions: int, filters: int = 16, hidden: int = 128):
        super().__init__()
        channels, height, width = obs_shape
        self.conv = nn.Conv2d(channels, filters, kernel_size=3, stride=1)
        self.hidden = nn.Linear(filters * (height - 2) * (width - 2), hidden)
        self.out = nn.Linear(hidden, n_actions)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(obs))
        return self.out(F.relu(self.hidden(h.flatten(1))))


class NatureQNetwork(nn.Module):
    """The Nature-DQN network (Mnih et al. 2015) for 4 stacked 84x84 grey frames in [0, 1]:
    conv 32 8x8/4, conv 64 4x4/2, conv 64 3x3/1, 512 hidden units, one output per action."""

    def __init__(self, obs_shape: tuple[int, int, int], n_actions: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(obs_shape[0], 32, 8, stride=4),
            nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            width = self.features(torch.zeros(1, *obs_shape)).shape[1]
        self.head = nn.Sequential(nn.Linear(width, 512), nn.ReLU(), nn.Linear(512, n_actions))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(obs))


def make_q_network(obs_shape: tuple[int, int, int], n_actions: int) -> nn.Module:
    """The MinAtar network for small grids, the Nature network for 84x84 Atari frames."""
    if obs_shape[1] >= 36:  # the Nature stack needs at least 36 pixels to keep a 1x1 map
        return NatureQNetwork(obs_shape, n_actions)
    return MinAtarQNetwork(obs_shape, n_actions)


# --- replay --------------------------------------------------------------------------------------
class Transitions(NamedTuple):
    """A batch of transitions (s, a, r, s', done) as float observations."""

    obs: torch.Tensor
    action: torch.Tensor
    reward: torch.Tensor
    next_obs: torch.Tensor
    done: torch.Tensor


class ReplayBuffer:
    """The last `capacity` transitions in preallocated tensors on the device, overwritten oldest
    first. Observations are kept as uint8 (`levels` grey levels above 0: 1 for MinAtar's 0/1
    channels, 255 for Atari frames), so a 100,000-transition MinAtar buffer takes tens of MB.

    Positions are host integers that advance by the batch size: adding never reads the device.
    """

    def __init__(
        self, capacity: int, obs_shape: tuple[int, ...], device: torch.device | str, levels: int = 1
    ):
        self.capacity, self.levels, self.device = int(capacity), levels, torch.device(device)
        self.obs = torch.zeros((self.capacity, *obs_shape), dtype=torch.uint8, device=self.device)
        self.next_obs = torch.zeros_like(self.obs)
        self.action = torch.zeros(self.capacity, dtype=torch.int64, device=self.device)
        self.reward = torch.zeros(self.capacity, dtype=torch.float32, device=self.device)
        self.done = torch.zeros(self.capacity, dtype=torch.bool, device=self.device)
        self.position = 0  # where the next transition goes
        self.size = 0  # how many slots hold a transition

    @property
    def nbytes(self) -> int:
        return sum(
            t.numel() * t.element_size()
            for t in (self.obs, self.next_obs, self.action, self.reward, self.done)
        )

    def _encode(self, obs: torch.Tensor) -> torch.Tensor:
        return (obs * self.levels).round_().to(torch.uint8) if self.levels != 1 else obs.to(torch.uint8)

    def _decode(self, stored: torch.Tensor) -> torch.Tensor:
        obs = stored.to(torch.float32)
        return obs.div_(self.levels) if self.levels != 1 else obs

    def add(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        reward: torch.Tensor,
        next_obs: torch.Tensor,
        done: torch.Tensor,
    ) -> None:
        """Store a batch of B transitions (B ≤ capacity)."""
        count = obs.shape[0]
        slots = (torch.arange(count, device=self.device) + self.position) % self.capacity
        self.obs[slots] = self._encode(obs)
        self.next_obs[slots] = self._encode(next_obs)
        self.action[slots] = action
        self.reward[slots] = reward
        self.done[slots] = done
        self.position = (self.position + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def get(self, index: torch.Tensor) -> Transitions:
        return Transitions(
            self._decode(self.obs[index]),
            self.action[index],
            self.reward[index],
            self._decode(self.next_obs[index]),
            self.done[index],
        )

    def sample(self, batch_size: int, generator: torch.Generator) -> Transitions:
        """A uniform random minibatch, drawn on the device."""
        index = torch.randint(self.size, (batch_size,), device=self.device, generator=generator)
        return self.get(index)

    def newest(self, count: int) -> torch.Tensor:
        """Slots of the `count` newest transitions, oldest first."""
        count = min(count, self.size)
        return (torch.arange(-count, 0, device=self.device) + self.position) % self.capacity

    def state_dict(self) -> dict[str, Any]:
        """The filled part of the buffer (in storage order) and the write position."""
        filled = slice(0, self.size)
        return {
            "obs": self.obs[filled],
            "next_obs": self.next_obs[filled],
            "action": self.action[filled],
            "reward": self.reward[filled],
            "done": self.done[filled],
            "position": self.position,
            "size": self.size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        size = int(state["size"])
        if size > self.capacity:
            raise ValueError(
                f"the saved replay holds {size} transitions, more than this run's capacity of {self.capacity}"
            )
        for name in ("obs", "next_obs", "action", "reward", "done"):
            getattr(self, name)[:size] = state[name].to(self.device)
        self.position, self.size = int(state["position"]), size


# --- exploration ---------------------------------------------------------------------------------
def linear_schedule(start: float, end: float, duration: int, t: int) -> float:
    """ε at frame t: from `start` down to `end` linearly over `duration` frames, then flat."""
    if duration <= 0:
        return end
    return start + (end - start) * min(t / duration, 1.0)


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, generator: torch.Generator) -> torch.Tensor:
    """argmax_a Q(s, a) for each row, replaced by a uniform random action with probability ε."""
    batch, n_actions = q_values.shape
    greedy = q_values.argmax(dim=1)
    if epsilon <= 0:
        return greedy
    device = q_values.device
    random_action = torch.randint(n_actions, (batch,), device=device, generator=generator)
    explore = torch.rand(batch, device=device, generator=generator) < epsilon
    return torch.where(explore, random_action, greedy)


# --- the loss ------------------------------------------------------------------------------------
@torch.no_grad()
def bellman_target(
    batch: Transitions, target_net: nn.Module, gamma: float, online_net: nn.Module | None = None
) -> torch.Tensor:
    """y = r + γ (1 − done) max_a' Q_target(s', a').

    Double DQN (pass `online_net`): the online network picks a' and the target network values it,
    y = r + γ (1 − done) Q_target(s', argmax_a' Q_online(s', a')), which curbs max's optimism.
    """
    next_q = target_net(batch.next_obs)
    if online_net is None:
        best_next = next_q.max(dim=1).values
    else:
        choice = online_net(batch.next_obs).argmax(dim=1, keepdim=True)
        best_next = next_q.gather(1, choice).squeeze(1)
    return batch.reward + gamma * (~batch.done).float() * best_next


def td_loss(
    online_net: nn.Module, batch: Transitions, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The Huber loss of the TD error δ = y − Q(s, a) (quadratic below 1, linear above, so a
    surprising reward does not blow up the gradient), and Q(s, a) for the curves."""
    q_taken = online_net(batch.obs).gather(1, batch.action.unsqueeze(1)).squeeze(1)
    return F.smooth_l1_loss(q_taken, target), q_taken


# --- evaluation ----------------------------------------------------------------------------------
@torch.no_grad()
def greedy_returns(
    q_net: Callable[[torch.Tensor], torch.Tensor],
    game: Any,
    max_steps: int = 10_000,
    epsilon: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The return of the first episode of each of the game's environments under the greedy policy
    (ε-greedy when `epsilon` > 0); an episode still running after `max_steps` counts what it
    scored so far. `game` is a fresh VecGame; one episode per environment."""
    obs = game.reset()
    device = obs.device
    returns = torch.zeros(obs.shape[0], device=device)
    running = torch.ones(obs.shape[0], dtype=torch.bool, device=device)
    for step in range(max_steps):
        actions = epsilon_greedy(q_net(obs), epsilon, generator)
        result = game.step(actions)
        returns += torch.where(running, result.reward, torch.zeros_like(result.reward))
        running &= ~result.done
        obs = result.obs
        if step % 64 == 63 and not bool(running.any()):  # a rare sync: stop once all have ended
            break
    return returns


@torch.no_grad()
def random_returns(game: Any, generator: torch.Generator, max_steps: int = 10_000) -> torch.Tensor:
    """The return of the first episode of each of the game's environments when every action is
    drawn uniformly at random: the level an agent must beat."""
    n_actions = len(game.action_names)

    def no_preference(obs: torch.Tensor) -> torch.Tensor:
        return torch.zeros(obs.shape[0], n_actions, device=obs.device)

    return greedy_returns(no_preference, game, max_steps, epsilon=1.0, generator=generator)


@torch.no_grad()
def random_transitions(
    game: Game, seed: int, steps: int, every: int, generator: torch.Generator
) -> Transitions:
    """Every `every`-th of `steps` transitions of each of the game's environments, restarted with
    `seed`, under uniformly random actions: transitions from all stages of an episode."""
    obs = game.reset(seed)
    store = ReplayBuffer(game.num_envs * -(-steps // every), game.obs_shape, obs.device, game.levels)
    for t in range(steps):
        action = torch.randint(
            len(game.action_names), (game.num_envs,), device=obs.device, generator=generator
        )
        result = game.step(action)
        if t % every == 0:
            store.add(obs, action, result.reward, result.obs, result.done)
        obs = result.obs
    return store.get(torch.arange(store.size, device=obs.device))

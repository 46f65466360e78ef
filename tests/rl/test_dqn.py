"""DQN's parts: the replay buffer keeps and returns what was stored, ε falls on schedule, the
Bellman target masks finished episodes and Double DQN lets the online net choose, the networks fit
their screens, and the Q-learning update learns a one-step reward."""

from __future__ import annotations

import pytest
import torch

from unsuplab.rl.dqn import (
    MinAtarQNetwork,
    NatureQNetwork,
    ReplayBuffer,
    Transitions,
    bellman_target,
    epsilon_greedy,
    greedy_returns,
    linear_schedule,
    make_q_network,
    td_loss,
)
from unsuplab.rl.games import make_game


@pytest.fixture(autouse=True)
def one_thread():
    # Two threads on a busy 2-core machine spin against each other and make tiny steps crawl.
    torch.set_num_threads(1)


class FixedQ(torch.nn.Module):
    """Q(s, ·) = a fixed row per state id stored in obs[:, 0, 0, 0]."""

    def __init__(self, table: torch.Tensor):
        super().__init__()
        self.table = table

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.table[obs[:, 0, 0, 0].long()]


def _obs(ids: list[int]) -> torch.Tensor:
    obs = torch.zeros(len(ids), 1, 2, 2)
    obs[:, 0, 0, 0] = torch.tensor(ids, dtype=torch.float32)
    return obs


def test_replay_wraps_around_and_returns_what_was_stored():
    replay = ReplayBuffer(5, (1, 2, 2), "cpu")
    for start in (0, 3):
        obs = (torch.arange(start, start + 3).view(3, 1, 1, 1) % 2).float().expand(3, 1, 2, 2)
        replay.add(
            obs,
            torch.arange(start, start + 3),
            torch.arange(start, start + 3).float(),
            1 - obs,
            torch.tensor([False, True, False]),
        )
    assert replay.size == 5 and replay.position == 1
    # Slot 0 was overwritten by transition 5; slots 1..4 hold transitions 1..4.
    assert replay.action.tolist() == [5, 1, 2, 3, 4]
    newest = replay.get(replay.newest(3))
    assert newest.action.tolist() == [3, 4, 5]
    assert torch.equal(newest.next_obs, 1 - newest.obs)
    batch = replay.sample(64, torch.Generator().manual_seed(0))
    assert batch.obs.dtype == torch.float32 and set(batch.action.tolist()) <= {1, 2, 3, 4, 5}
    assert torch.equal(batch.reward, batch.action.float())


def test_replay_keeps_grey_levels_and_reloads():
    replay = ReplayBuffer(4, (1, 1, 3), "cpu", levels=255)
    frames = torch.tensor([[[[0.0, 128 / 255, 1.0]]]])
    replay.add(frames, torch.tensor([1]), torch.tensor([0.5]), frames, torch.tensor([False]))
    assert torch.allclose(replay.get(torch.tensor([0])).obs, frames)
    copy = ReplayBuffer(4, (1, 1, 3), "cpu", levels=255)
    copy.load_state_dict(replay.state_dict())
    assert copy.size == 1 and torch.equal(copy.obs, replay.obs)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0 + 1, (1, 1, 3), "cpu").load_state_dict({**replay.state_dict(), "size": 3})


def test_epsilon_falls_linearly_then_stays():
    assert linear_schedule(1.0, 0.1, 100, 0) == 1.0
    assert linear_schedule(1.0, 0.1, 100, 50) == pytest.approx(0.55)
    assert linear_schedule(1.0, 0.1, 100, 10_000) == pytest.approx(0.1)
    q = torch.tensor([[0.0, 1.0, 0.0]]).repeat(4000, 1)
    rng = torch.Generator().manual_seed(0)
    assert epsilon_greedy(q, 0.0, rng).eq(1).all()
    random_share = epsilon_greedy(q, 0.3, rng).ne(1).float().mean()
    assert random_share == pytest.approx(0.3 * 2 / 3, abs=0.03)  # a random pick may be greedy too


def test_bellman_target_masks_done_and_double_dqn_lets_the_online_net_choose():
    batch = Transitions(
        _obs([0, 0]),
        torch.tensor([0, 0]),
        torch.tensor([1.0, 1.0]),
        _obs([1, 1]),
        torch.tensor([False, True]),
    )
    target_net = FixedQ(torch.tensor([[0.0, 0.0], [10.0, 2.0]]))
    online_net = FixedQ(torch.tensor([[0.0, 0.0], [0.0, 5.0]]))
    # y = r + γ (1 − done) max_a' Q_target(s', a')
    assert bellman_target(batch, target_net, 0.5).tolist() == [6.0, 1.0]
    # Double DQN: a' = argmax Q_online(s') = 1, valued by the target: 1 + 0.5 * 2
    assert bellman_target(batch, target_net, 0.5, online_net).tolist() == [2.0, 1.0]


def test_huber_loss_is_linear_for_large_errors():
    net = FixedQ(torch.tensor([[0.0, 0.0]]))
    batch = Transitions(_obs([0]), torch.tensor([1]), torch.zeros(1), _obs([0]), torch.ones(1, dtype=bool))
    small, _ = td_loss(net, batch, torch.tensor([0.5]))
    large, q = td_loss(net, batch, torch.tensor([10.0]))
    assert small == pytest.approx(0.125) and large == pytest.approx(9.5) and q.tolist() == [0.0]


def test_networks_fit_their_screens():
    assert isinstance(make_q_network((4, 10, 10), 3), MinAtarQNetwork)
    assert make_q_network((4, 10, 10), 3)(torch.zeros(2, 4, 10, 10)).shape == (2, 3)
    nature = make_q_network((4, 84, 84), 4)
    assert isinstance(nature, NatureQNetwork)
    assert nature(torch.zeros(1, 4, 84, 84)).shape == (1, 4)


def test_q_learning_learns_a_one_step_reward():
    # One state, two actions, episodes of one step: action 1 pays 1, action 0 pays 0.
    torch.manual_seed(0)
    net = MinAtarQNetwork((1, 4, 4), 2, filters=4, hidden=16)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    obs = torch.ones(32, 1, 4, 4)
    action = torch.arange(32) % 2
    batch = Transitions(obs, action, action.float(), obs, torch.ones(32, dtype=torch.bool))
    for _ in range(200):
        loss, _ = td_loss(net, batch, bellman_target(batch, net, 0.99))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    q = net(obs[:1])[0].detach()
    assert q[1] == pytest.approx(1.0, abs=0.05) and q[0] == pytest.approx(0.0, abs=0.05)


def test_greedy_returns_one_episode_per_game():
    game = make_game("breakout", 8, seed=3)

    def stay(obs: torch.Tensor) -> torch.Tensor:
        return torch.zeros(obs.shape[0], game.n_actions)

    returns = greedy_returns(stay, game, max_steps=500)
    assert returns.shape == (8,) and torch.all(returns >= 0)
    # A paddle that never moves loses the ball within a few bounces.
    assert returns.max() <= 5

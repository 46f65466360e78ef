"""The games played beside training (a person's, the watched one, the greedy score) and the record
of finished episodes: what they keep, what they refuse, and what a checkpoint brings back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unsuplab.rl.episodes import EpisodeLog
from unsuplab.rl.games import GAMES, Game, make_game
from unsuplab.rl.play import GreedyScore, HumanPlay, Play


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def stay(obs: torch.Tensor) -> torch.Tensor:
    """A Q-network that always prefers noop: the paddle never moves."""
    q = torch.zeros(obs.shape[0], 3)
    q[:, 0] = 1.0
    return q


@pytest.mark.parametrize("name", sorted(GAMES))
def test_every_small_game_meets_the_game_interface(name):
    game = make_game(name, 2)
    assert isinstance(game, Game) and game.levels == 1
    assert game.render(game.reset(0)[0]).shape == (10, 10, 3)


def test_a_person_plays_one_key_at_a_time_and_finished_games_are_scored():
    human = HumanPlay(make_game("breakout", 1, seed=1), seed=1)
    first = human.obs.clone()
    human.press(2)
    assert not torch.equal(first, human.obs)  # the paddle moved right
    for _ in range(300):  # doing nothing loses the ball sooner or later
        human.press(0)
    assert human.scores and human.score >= 0
    with pytest.raises(ValueError, match="not one of 0..2"):
        human.press(3)


def test_a_play_reloads_its_game_and_observation_under_its_prefix():
    human = HumanPlay(make_game("breakout", 1, seed=1), seed=1)
    for action in (2, 2, 1, 0, 0):
        human.press(action)
    human.scores.append(4.0)
    state = human.state_dict("human")
    assert set(state) == {"human_game", "human_obs", "human_scores"}
    copy = HumanPlay(make_game("breakout", 1, seed=9), seed=9)
    copy.load_state_dict(state, "human")
    assert torch.equal(copy.obs, human.obs) and copy.scores == [4.0]
    assert torch.equal(copy.step(torch.tensor([1])).obs, human.step(torch.tensor([1])).obs)


def test_greedy_score_is_none_until_an_episode_ends_then_the_mean_of_the_last_kept():
    score = GreedyScore(make_game("breakout", 4, seed=2), seed=2, steps_per_call=1, kept=3)
    assert score.advance(stay) is None  # nobody loses the ball in one step
    while len(score.scores) < 3:
        score.advance(stay)
    score.steps_per_call = 200
    mean = score.advance(stay)
    assert len(score.scores) == 3 and mean == pytest.approx(np.mean(score.scores))


def test_watched_game_plays_the_network_s_choice():
    watched = Play(make_game("breakout", 1, seed=3, sticky_actions=0.0), seed=3)

    def right(obs: torch.Tensor) -> torch.Tensor:
        return torch.tensor([[0.0, 0.0, 1.0]]).expand(obs.shape[0], 3)

    watched.play_greedily(right)
    assert watched.game.last_action.tolist() == [2]


def test_episode_log_keeps_the_newest_in_order_and_reloads():
    log = EpisodeLog(capacity=3, device=torch.device("cpu"))
    log.record(torch.tensor([True, False, True]), torch.tensor([1.0, 0.0, 2.0]), frame=10)
    log.record(torch.tensor([False, False, False]), torch.zeros(3), frame=20)
    log.record(torch.tensor([True, True, False]), torch.tensor([3.0, 4.0, 0.0]), frame=30)
    returns, frames = log.finished()
    assert returns.tolist() == [2.0, 3.0, 4.0] and frames.tolist() == [10.0, 30.0, 30.0]
    copy = EpisodeLog(capacity=3, device=torch.device("cpu"))
    copy.load_state_dict(log.state_dict())
    assert [a.tolist() for a in copy.finished()] == [[2.0, 3.0, 4.0], [10.0, 30.0, 30.0]]

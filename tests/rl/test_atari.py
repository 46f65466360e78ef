"""Real Atari through the optional extra (`pip install "unsuplab[atari]"`): the games meet the
same interface as the small ones and the DQN lesson trains on them. Skipped without the extra."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from unsuplab.experiments.dqn import DQN
from unsuplab.rl.atari import require_atari
from unsuplab.rl.games import Game, make_game

try:
    require_atari()
except ImportError as exc:  # the message names the install command
    pytest.skip(str(exc), allow_module_level=True)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_atari_breakout_meets_the_game_interface():
    game = make_game("atari-breakout", 2, seed=0)
    assert isinstance(game, Game) and game.levels == 255
    assert game.action_names == ("noop", "fire", "right", "left")
    assert game.key_actions == {"Space": 1, "Right": 2, "Left": 3, "Up": 1}
    obs = game.reset(0)
    assert obs.shape == (2, 4, 84, 84) and obs.dtype == torch.float32
    assert 0.0 < float(obs.max()) <= 1.0 and float(obs.min()) >= 0.0
    result = game.step(torch.tensor([1, 2]))
    assert result.obs.shape == obs.shape and result.reward.shape == result.done.shape == (2,)
    picture = game.render(result.obs[0])
    assert picture.shape == (84, 84, 3) and picture.std() > 0  # the screen, not a blank
    game.load_state_dict(game.state_dict())
    with pytest.raises(ValueError, match="breakout"):
        game.load_state_dict({"game": "breakout"})


def test_the_dqn_lesson_trains_on_atari_breakout():
    settings = {
        "game": "atari-breakout",
        "num_envs": 2,
        "replay_capacity": 256,
        "replay_start": 16,
        "batch_size": 8,
        "target_update": 4,
    }
    experiment = DQN(dataclasses.replace(DQN.Config(), **settings))
    experiment.build("cpu", 0)
    losses = [experiment.train_step() for _ in range(12)]
    assert experiment.frames == 24 and experiment.updates == 5
    assert torch.isfinite(losses[-1]["loss"])
    panels = experiment.snapshot()
    assert panels["game"].image.shape == (84, 84, 3) and panels["game"].image.std() > 0
    assert panels["q_values"].categories == ["noop", "fire", "right", "left"]
    assert panels["replay"].image.shape == (2 * 85 + 1, 8 * 85 + 1, 3)
    assert experiment.evaluate()["random_return"] == 1.7  # the published level
    you = experiment.probe("play", action=1)["you"]
    assert you.image.shape == (84, 84, 3) and "Space=fire" in you.title

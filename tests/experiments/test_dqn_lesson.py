"""The DQN lesson: the agent view's panels, playing it yourself, watch mode, checkpoints that refuse
another game, the refusal of real Atari without its extra, and a diverging Q stopping the run."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.loop import RunControl, RunFailed, run
from unsuplab.core.payloads import Bars, Curves, Frame
from unsuplab.experiments.dqn import DQN


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def built(seed: int = 0, **overrides) -> DQN:
    config = dataclasses.replace(DQN.Config(), **{**DQN.quick_settings, **overrides})
    experiment = DQN(config)
    experiment.build("cpu", seed)
    return experiment


def test_agent_view_shows_game_q_values_returns_and_replay():
    experiment = built(num_envs=8, replay_start=64)
    for _ in range(40):
        experiment.train_step()
    panels = experiment.snapshot()
    game = panels["game"]
    assert isinstance(game, Frame) and game.image.shape == (10, 10, 3) and game.image.max() > 0
    bars = panels["q_values"]
    assert isinstance(bars, Bars) and bars.categories == ["noop", "left", "right"]
    assert bars.highlight == int(np.argmax(bars.values["Q(s, a)"]))
    returns = panels["returns"]
    assert isinstance(returns, Curves) and returns.x_label == "frames"
    assert {"episode return", "random policy"} <= set(returns.series)
    replay = panels["replay"]
    # Eight transitions, s above s′, each 10x10 with 1-pixel gaps.
    assert replay.image.shape == (2 * 11 + 1, 8 * 11 + 1, 3)
    assert replay.caption.count(",") == 2 * 7
    assert experiment.samples_per_step == 8
    metrics = experiment.evaluate()
    assert metrics["epsilon"] < 1.0 and 0 < metrics["random_return"] < 2


def test_you_can_play_and_your_score_is_kept():
    experiment = built()
    you = experiment.snapshot()["you"]
    assert you.play_command == "play" and you.key_actions == {"Left": 1, "Right": 2}
    before = you.image
    after = experiment.probe("play", action=2)["you"].image
    assert not np.array_equal(before, after)  # the paddle moved right (and the ball on)
    for _ in range(200):  # doing nothing loses the ball sooner or later
        experiment.probe("play", action=0)
    assert experiment.human.scores and "in " in experiment.snapshot()["you"].caption
    with pytest.raises(ValueError, match="not one of"):
        experiment.probe("play", action=7)


def test_watch_mode_plays_one_game_greedily_without_learning():
    experiment = built(replay_start=64)
    experiment.set_live("watch_speed", 120.0)
    experiment.set_live("mode", "watch")
    updates, frames = experiment.updates, experiment.frames
    first = experiment.snapshot()["game"].image
    shown = [experiment.train_step() for _ in range(3)]
    assert shown == [{}, {}, {}] and (experiment.updates, experiment.frames) == (updates, frames)
    assert experiment.samples_per_step == 1
    assert "greedily" in experiment.snapshot()["game"].title
    assert not np.array_equal(first, experiment.snapshot()["game"].image)


def test_the_run_loop_paces_watch_mode_at_watch_speed():
    settings = {**DQN.quick_settings, "mode": "watch", "watch_speed": 20.0}
    experiment = DQN(dataclasses.replace(DQN.Config(), **settings))
    control = RunControl(step_limit=4)
    waits: list[float] = []

    def record(seconds: float) -> None:  # what the loop waits for, instead of waiting
        waits.append(seconds)
        if len(waits) == 3:
            control.stop()

    control.wait = record
    list(run(experiment, control, good_state_interval=0.0))
    assert waits == [pytest.approx(1 / 20)] * 3  # one frame every 1/20 s, no learning
    assert experiment.updates == 0 and experiment.frames == 0
    experiment.set_live("mode", "train")
    assert experiment.step_delay == 0.0  # training runs at full speed


def test_checkpoint_of_another_game_is_refused_naming_both_shapes():
    experiment = built()
    state = experiment.state_dict()
    state["game"], state["obs_shape"] = "space_invaders", [6, 10, 10]
    with pytest.raises(
        ValueError,
        match=r"space_invaders with observations \(6, 10, 10\); "
        r"this run plays breakout with \(4, 10, 10\)",
    ):
        built(seed=1).load_state_dict(state)


def test_large_replay_stays_out_of_the_checkpoint():
    small = built()
    assert "replay" in small.state_dict()
    large = built(replay_capacity=200_000)
    state = large.state_dict()
    assert "replay" not in state
    built(replay_capacity=200_000).load_state_dict(state)  # reloads, replay refills


def test_real_atari_without_its_extra_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r'game: .*pip install "unsuplab\[atari\]"'):
        with_overrides(DQN.Config(), {"game": "atari-breakout"})


def test_epsilon_end_above_start_is_refused():
    with pytest.raises(ConfigError, match="epsilon_end"):
        with_overrides(DQN.Config(), {"epsilon_start": 0.1, "epsilon_end": 0.5})


def test_diverging_q_stops_the_run_and_keeps_the_last_good_weights():
    experiment = DQN(dataclasses.replace(DQN.Config(), **DQN.quick_settings))
    control = RunControl(step_limit=400)
    events = run(experiment, control, good_state_interval=0.0, snapshot_interval=0.0)
    for _, event in zip(range(5000), events, strict=False):  # bounded: a miss fails, never hangs
        if isinstance(event, RunFailed):
            break
        if getattr(experiment, "updates", 0) == 5:
            with torch.no_grad():  # what an exploding learning rate does, in one step
                experiment.online.out.bias.fill_(float("nan"))
    else:
        pytest.fail("the run did not fail")
    control.stop()
    assert "loss became nan" in event.message
    assert all(torch.isfinite(p).all() for p in experiment.online.parameters())

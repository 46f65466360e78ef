"""The batched games: their rules, seeding, auto-reset, batch independence, checkpoints and pictures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unsuplab.rl.games import GAMES, StepResult, VecGame, make_game
from unsuplab.rl.games.breakout import LEFT, NOOP, RIGHT, Breakout
from unsuplab.rl.games.freeway import DOWN, UP, Freeway
from unsuplab.rl.games.space_invaders import FIRE, SpaceInvaders
from unsuplab.rl.render import channel_colours, render_rgb

ALL_GAMES = sorted(GAMES)
PLAYER_START = {"breakout": (9, 4), "freeway": (9, 4), "space_invaders": (9, 5)}  # channel 0's cell


def random_actions(game: VecGame, steps: int, seed: int = 123) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, game.n_actions, (steps, game.num_envs), generator=generator)


def play(game: VecGame, actions: torch.Tensor) -> list[StepResult]:
    return [game.step(a) for a in actions]


def channel(game: VecGame, obs: torch.Tensor, name: str) -> torch.Tensor:
    return obs[:, game.channels.index(name)]


def cells(plane: torch.Tensor) -> list[tuple[int, int]]:
    """The (y, x) cells set in one (10, 10) plane."""
    return [tuple(c) for c in plane.nonzero().tolist()]


def set_state(game: VecGame, **values) -> None:
    """Overwrite state tensors of a one-environment game."""
    for name, value in values.items():
        current = getattr(game, name)
        setattr(game, name, torch.as_tensor(value, dtype=current.dtype).reshape(current.shape).clone())


# -- the contract, for every game ---------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_GAMES)
def test_shapes_dtypes_and_binary_frames(name):
    game = make_game(name, num_envs=5, seed=0)
    obs = game.reset()
    assert obs.shape == (5, *game.obs_shape) == (5, len(game.channels), 10, 10)
    assert obs.dtype == torch.float32
    assert game.n_actions == len(game.action_names) and game.action_names[0] == "noop"
    assert len(game.colours) == len(game.channels)
    assert all(0 <= a < game.n_actions for a in game.key_actions.values())
    for result in play(game, random_actions(game, 30)):
        assert result.obs.shape == obs.shape and result.obs.dtype == torch.float32
        assert set(result.obs.unique().tolist()) <= {0.0, 1.0}
        assert result.reward.shape == (5,) and result.reward.dtype == torch.float32
        assert result.done.shape == (5,) and result.done.dtype == torch.bool
        assert result.episode_return.shape == (5,) and result.episode_return.dtype == torch.float32


@pytest.mark.parametrize("name", ALL_GAMES)
def test_the_same_seed_gives_the_same_episodes(name):
    first, second = (make_game(name, 16, seed=7, sticky_actions=0.25) for _ in range(2))
    actions = random_actions(first, 80)
    for a, b in zip(play(first, actions), play(second, actions), strict=True):
        for x, y in zip(a, b, strict=True):
            assert torch.equal(x, y)
    # A seeded reset replays them too.
    first.reset(seed=7)
    again = play(first, actions)
    second.reset(seed=7)
    for a, b in zip(again, play(second, actions), strict=True):
        assert torch.equal(a.obs, b.obs) and torch.equal(a.reward, b.reward)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_finished_episodes_restart_in_place_and_report_their_return(name):
    game = make_game(name, 32, seed=1, max_episode_steps=60)
    running_return = torch.zeros(32)
    finished = 0
    for actions in random_actions(game, 130):
        result = game.step(actions)
        running_return += result.reward
        done = result.done
        assert torch.equal(result.episode_return[done], running_return[done])
        assert torch.all(result.episode_return[~done] == 0)
        # Where an episode ended, the frame is the first one of the next: the player at its start.
        for started in result.obs[done]:
            assert cells(started[0]) == [PLAYER_START[name]]
        assert torch.all(game.episode_length[done] == 0) and torch.all(game.episode_return[done] == 0)
        finished += int(done.sum())
        running_return[done] = 0
    assert finished >= 32
    assert torch.all(game.episode_length < 60)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_time_limit_is_a_truncation(name):
    game = make_game(name, 4, seed=0, max_episode_steps=5)
    results = play(game, torch.zeros(5, 4, dtype=torch.int64))
    assert not any(r.done.any() for r in results[:-1])  # no game is lost in 5 idle steps
    assert results[-1].done.all() and game.truncated.all()
    assert torch.all(game.episode_length == 0)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_one_environment_follows_the_same_rules_as_a_batch(name):
    """Env 0 of a batch of 1 and env 5 of a batch of 64, put in the same state and given the same
    actions, see the same frames and rewards until the first episode ends (after that each draws
    its next start from its own generator)."""
    single, batch = make_game(name, 1, seed=3), make_game(name, 64, seed=4)
    play(single, random_actions(single, 7, seed=1))  # somewhere into an episode
    for state_name in single.state_names:
        getattr(batch, state_name)[5] = getattr(single, state_name)[0]
    actions = random_actions(single, 60, seed=2)
    others = random_actions(batch, 60, seed=3)
    others[:, 5] = actions[:, 0]
    for a, b in zip(play(single, actions), play(batch, others), strict=True):
        assert torch.equal(a.obs[0], b.obs[5]) or bool(a.done[0])
        assert a.reward[0] == b.reward[5] and a.done[0] == b.done[5]
        if a.done[0]:
            break


@pytest.mark.parametrize("name", ALL_GAMES)
def test_a_checkpoint_resumes_the_same_episodes(name):
    game = make_game(name, 8, seed=5, sticky_actions=0.1)
    play(game, random_actions(game, 20))
    saved = game.state_dict()
    actions = random_actions(game, 60, seed=9)
    before = play(game, actions)
    restored = make_game(name, 8, seed=99, sticky_actions=0.1)
    restored.load_state_dict(saved)
    for a, b in zip(before, play(restored, actions), strict=True):
        assert torch.equal(a.obs, b.obs) and torch.equal(a.episode_return, b.episode_return)
    with pytest.raises(ValueError, match="environments"):
        make_game(name, 3).load_state_dict(saved)


def test_unknown_game_and_bad_arguments_are_named():
    with pytest.raises(ValueError, match="breakout"):
        make_game("pong", 4)
    with pytest.raises(ValueError, match="sticky"):
        make_game("breakout", 4, sticky_actions=1.0)
    with pytest.raises(ValueError, match="num_envs"):
        make_game("breakout", 0)


def test_sticky_actions_repeat_the_previous_action():
    game = make_game("breakout", 2000, seed=0, sticky_actions=0.25)
    game.step(torch.full((2000,), LEFT))
    game.step(torch.full((2000,), RIGHT))
    # The second action was replaced by the first (LEFT, itself kept with 3/4) a quarter of the time.
    assert 0.7 < (game.last_action == RIGHT).float().mean() < 0.8
    assert 0.15 < (game.last_action == LEFT).float().mean() < 0.23


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ALL_GAMES)
def test_cuda_matches_the_rules_on_the_cpu(name):
    cpu, gpu = make_game(name, 16, seed=0), make_game(name, 16, device="cuda", seed=0)
    gpu.load_state_dict(
        {
            k: v.cuda() if isinstance(v, torch.Tensor) and k != "generator" else v
            for k, v in cpu.state_dict().items()
        }
        | {"generator": gpu.generator.get_state()}
    )
    for a in random_actions(cpu, 5):
        x, y = cpu.step(a), gpu.step(a.cuda())
        assert torch.equal(x.obs[~x.done], y.obs.cpu()[~x.done])
        assert torch.equal(x.reward, y.reward.cpu())


# -- Breakout ------------------------------------------------------------------------------------


def breakout(**state) -> Breakout:
    game = Breakout(1, seed=0)
    set_state(game, **state)
    return game


def test_breakout_starts_like_minatar():
    obs = Breakout(64, seed=0).reset()
    assert torch.all(obs[:, 0, 9, 4] == 1)  # the paddle in the middle of the bottom row
    assert torch.all(obs[:, 3, 1:4].sum(dim=(1, 2)) == 30) and obs[:, 3].sum() == 64 * 30
    ball = obs[:, 1]
    assert torch.all(ball[:, 3].sum(dim=1) == 1)
    corners = ball[:, 3, 0] + ball[:, 3, 9]
    assert torch.all(corners == 1) and 0 < ball[:, 3, 0].sum() < 64  # both corners happen


def test_breakout_hitting_a_brick_scores_and_removes_it():
    game = breakout(ball_x=5, ball_y=4, ball_dx=-1, ball_dy=-1, last_x=6, last_y=5)
    result = game.step(torch.tensor([NOOP]))
    assert result.reward.tolist() == [1.0] and not result.done
    bricks = channel(game, result.obs, "brick")[0]
    assert bricks[3, 4] == 0 and bricks.sum() == 29
    assert cells(channel(game, result.obs, "ball")[0]) == [(4, 4)]  # stays on its row, heads down
    assert cells(channel(game, result.obs, "trail")[0]) == [(4, 5)]
    assert game.ball_dy.tolist() == [1] and game.ball_dx.tolist() == [-1]
    assert game.brick_map()[0, 2, 4] == 0 and game.brick_map().sum() == 29


def test_breakout_ball_passing_the_paddle_ends_the_episode():
    game = breakout(ball_x=2, ball_y=8, ball_dx=1, ball_dy=1, paddle=7)
    game.episode_return += 3.0
    result = game.step(torch.tensor([NOOP]))
    assert result.done.tolist() == [True]
    assert result.episode_return.tolist() == [3.0]
    # The frame returned is the new episode's first one.
    assert cells(channel(game, result.obs, "paddle")[0]) == [(9, 4)]
    assert channel(game, result.obs, "brick")[0].sum() == 30
    assert game.episode_return.tolist() == [0.0]


@pytest.mark.parametrize(
    ("ball_x", "paddle", "dx_after"),
    [(3, 3, 1), (3, 4, -1)],  # under the ball's column: a mirror; where it lands: back along its diagonal
)
def test_breakout_paddle_sends_the_ball_back_up(ball_x, paddle, dx_after):
    game = breakout(ball_x=ball_x, ball_y=8, ball_dx=1, ball_dy=1, paddle=paddle)
    result = game.step(torch.tensor([NOOP]))
    assert not result.done
    assert game.ball_dy.tolist() == [-1] and game.ball_dx.tolist() == [dx_after]
    assert game.ball_y.tolist() == [8]


def test_breakout_walls_and_ceiling_reflect():
    game = breakout(ball_x=9, ball_y=6, ball_dx=1, ball_dy=-1)
    game.step(torch.tensor([NOOP]))
    assert (game.ball_x.item(), game.ball_y.item(), game.ball_dx.item()) == (9, 5, -1)
    game = breakout(ball_x=4, ball_y=0, ball_dx=1, ball_dy=-1, bricks=0)
    game.step(torch.tensor([NOOP]))
    assert (game.ball_x.item(), game.ball_y.item(), game.ball_dy.item()) == (5, 0, 1)


def test_breakout_bricks_come_back_when_all_are_cleared():
    game = breakout(ball_x=3, ball_y=8, ball_dx=1, ball_dy=1, paddle=3, bricks=0)
    result = game.step(torch.tensor([NOOP]))
    assert not result.done
    assert channel(game, result.obs, "brick")[0, 1:4].sum() == 30


def test_breakout_paddle_stays_on_the_board():
    game = Breakout(1, seed=0)
    for action, wall in ((LEFT, 0), (RIGHT, 9)):
        for _ in range(12):
            result = game.step(torch.tensor([action]))
            paddle = cells(channel(game, result.obs, "paddle")[0])
            assert len(paddle) == 1 and paddle[0][0] == 9 and 0 <= paddle[0][1] <= 9
        assert game.paddle.tolist() == [wall] or result.done


def test_breakout_random_play_scores_like_minatar():
    """MinAtar's random Breakout scores about half a brick per episode: not nothing, not much."""
    game = Breakout(128, seed=0)
    finished = torch.cat([r.episode_return[r.done] for r in play(game, random_actions(game, 120))])
    assert len(finished) > 500
    assert 0.2 < finished.mean() < 1.0


# -- Freeway -------------------------------------------------------------------------------------


def test_freeway_chicken_moves_every_third_step_and_scores_at_the_top():
    game = Freeway(1, seed=0)
    set_state(game, car_x=torch.full((8,), 9), car_velocity=torch.full((8,), 5), car_wait=torch.full((8,), 5))
    set_state(game, move_timer=0)
    game.step(torch.tensor([UP]))
    assert game.chicken.tolist() == [8]
    game.step(torch.tensor([UP]))
    game.step(torch.tensor([UP]))
    assert game.chicken.tolist() == [8]  # still cooling down
    set_state(game, chicken=1, move_timer=0)
    result = game.step(torch.tensor([UP]))
    assert result.reward.tolist() == [1.0]
    assert game.chicken.tolist() == [9]
    set_state(game, move_timer=0)
    game.step(torch.tensor([DOWN]))
    assert game.chicken.tolist() == [9]  # the bottom row is the floor


def test_freeway_a_car_sends_the_chicken_back():
    game = Freeway(1, seed=0)
    car_x, velocity, wait = torch.zeros(8), torch.full((8,), 5), torch.full((8,), 5)
    car_x[4], velocity[4], wait[4] = 3, 1, 0  # lane 5's car, one cell left of the chicken, moves now
    set_state(game, chicken=5, move_timer=2, car_x=car_x, car_velocity=velocity, car_wait=wait)
    result = game.step(torch.tensor([NOOP]))
    assert game.chicken.tolist() == [9] and result.reward.tolist() == [0.0]


def test_freeway_ends_after_its_time_limit_and_draws_trails():
    game = Freeway(2, seed=0)
    obs = game.reset()
    assert channel(game, obs, "car")[:, 1:9].sum().item() == 16 and obs[:, 1, [0, 9]].sum() == 0
    trails = obs[:, 2:].sum(dim=1)
    assert torch.equal(trails.sum(dim=2)[:, 1:9], torch.ones(2, 8))  # one trail cell per car
    game.time_left = torch.tensor([0, 5])
    result = game.step(torch.zeros(2, dtype=torch.int64))
    assert result.done.tolist() == [True, False]


# -- Space Invaders --------------------------------------------------------------------------------


def test_space_invaders_a_bullet_kills_an_alien():
    game = SpaceInvaders(1, seed=0)
    total = 0.0
    for action in [FIRE] + [NOOP] * 8:
        result = game.step(torch.tensor([action]))
        total += result.reward.item()
    assert total == 1.0
    assert channel(game, result.obs, "alien").sum() == 23


def test_space_invaders_an_enemy_bullet_ends_the_episode():
    game = SpaceInvaders(1, seed=0)
    bullets = torch.zeros(10, 10, dtype=torch.bool)
    bullets[8, 5] = True
    set_state(game, enemy_bullets=bullets)
    game.episode_return += 2.0
    result = game.step(torch.tensor([NOOP]))
    assert result.done.tolist() == [True] and result.episode_return.tolist() == [2.0]


def test_space_invaders_marches_and_turns_at_the_wall():
    game = SpaceInvaders(1, seed=0)
    obs = game.reset()
    assert channel(game, obs, "alien_left").sum() == 24 and channel(game, obs, "alien_right").sum() == 0
    leftmost = []
    for _ in range(60):  # a march every 12 steps: two to the wall, one down, two back
        game.enemy_bullets.zero_()  # hold the aliens' fire to watch the march alone
        result = game.step(torch.tensor([NOOP]))
        assert not result.done
        leftmost.append(min(x for _, x in cells(channel(game, result.obs, "alien")[0])))
    assert min(leftmost) == 0 and leftmost[-1] > 0  # reached the wall, then turned back
    assert channel(game, result.obs, "alien_right").sum() > 0
    assert max(y for y, _ in cells(channel(game, result.obs, "alien")[0])) == 4  # one row down


def test_space_invaders_has_no_randomness():
    a, b = SpaceInvaders(4, seed=1), SpaceInvaders(4, seed=2)
    actions = random_actions(a, 100)
    for x, y in zip(play(a, actions), play(b, actions), strict=True):
        assert torch.equal(x.obs, y.obs)


# -- pictures --------------------------------------------------------------------------------------


def test_render_gives_each_object_its_colour_on_black():
    game = Breakout(1, seed=0)
    obs = game.reset()[0]
    picture = render_rgb(Breakout, obs)
    assert picture.shape == (10, 10, 3) and picture.dtype == np.float32
    assert picture.min() >= 0 and picture.max() <= 1
    colours = channel_colours(Breakout)
    assert np.allclose(picture[9, 4], colours[0])  # paddle
    assert np.allclose(picture[2, 5], colours[3])  # a brick
    assert np.allclose(picture[6, 6], 0)  # empty board is black
    ball_y, ball_x = cells(obs[1])[0]
    assert np.allclose(picture[ball_y, ball_x], colours[1])  # the ball shows over its brick
    assert len({tuple(c) for c in colours}) == len(colours)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_render_accepts_batches_arrays_games_and_channel_names(name):
    game = make_game(name, 3, seed=0)
    obs = game.reset()
    batch = render_rgb(game, obs)
    assert batch.shape == (3, 10, 10, 3) and batch.max() > 0
    assert np.array_equal(batch[1], render_rgb(type(game), obs[1].numpy()))
    by_names = render_rgb(list(game.channels), obs[0])  # a bare list of names still gets colours
    assert by_names.shape == (10, 10, 3) and by_names.max() > 0
    with pytest.raises(ValueError, match="channels"):
        render_rgb(game, obs[:, :2])

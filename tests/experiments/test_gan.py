"""The digit GAN follows the course's algorithm: its losses are the slide's, each button moves
one player only, the history strip keeps its saved steps, and a discriminator that wins
completely stops the run with a message."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.loop import RunControl, RunFailed, run
from unsuplab.core.stepping import restore, train_by_hand, train_steps
from unsuplab.experiments.gan import Config, Gan
from unsuplab.models.gan import discriminator_loss, frechet_distance, generator_loss

SMALL = Config(batch_size=16, hidden="32,64", noise_size=8)


def built(**changes) -> Gan:
    experiment = Gan(dataclasses.replace(SMALL, **changes))
    experiment.build("cpu", 0)
    return experiment


def parameters(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()]).clone()


def test_losses_are_the_slides_formulas():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    torch.testing.assert_close(discriminator_loss(real, fake), expected_d)
    torch.testing.assert_close(generator_loss(fake, "minimax"), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(generator_loss(fake, "non-saturating"), -torch.log(d_fake).mean())
    with pytest.raises(ValueError, match="minimax"):
        generator_loss(fake, "wasserstein")


def test_frechet_distance_matches_the_closed_form():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 3, generator=gen)
    assert float(frechet_distance(a, a)) == pytest.approx(0, abs=1e-6)
    shifted = a + torch.tensor([1.0, 2.0, 0.0])
    assert float(frechet_distance(a, shifted)) == pytest.approx(5.0, rel=1e-6)
    # N(0, I) against N(0, 4 I) in 3-D: tr(I + 4I − 2·2I) = 3.
    assert float(frechet_distance(a, 2 * torch.randn(4000, 3, generator=gen))) == pytest.approx(3, rel=0.1)


def test_d_and_g_buttons_move_one_player_each():
    experiment = built()
    g0, d0 = parameters(experiment.trainer.generator), parameters(experiment.trainer.discriminator)
    assert set(train_by_hand(experiment, "train_d")) >= {"d_loss"}
    assert experiment.step == 1  # counted like any step
    g1, d1 = parameters(experiment.trainer.generator), parameters(experiment.trainer.discriminator)
    assert torch.equal(g0, g1) and not torch.equal(d0, d1)
    assert set(train_by_hand(experiment, "train_g")) == {"g_loss"}
    assert not torch.equal(parameters(experiment.trainer.generator), g1)
    assert torch.equal(parameters(experiment.trainer.discriminator), d1)
    assert set(Gan.actions) == {"train_d", "train_g"}


def test_discriminator_steps_alone_teach_d_to_reject_the_fakes():
    experiment = built()
    before = experiment.evaluate()["heldout_d_fake"]
    for _ in range(20):
        train_by_hand(experiment, "train_d")
    assert experiment.evaluate()["heldout_d_fake"] < 0.5 * before


def test_k_discriminator_steps_per_generator_step_and_live_change():
    experiment = built(d_steps=3)
    train_steps(experiment)
    steps = [s["step"] for s in experiment.trainer.d_optimizer.state.values()]
    assert float(steps[0]) == 3
    experiment.set_live("d_steps", 1)
    train_steps(experiment)
    assert float(next(iter(experiment.trainer.d_optimizer.state.values()))["step"]) == 4
    assert float(next(iter(experiment.trainer.g_optimizer.state.values()))["step"]) == 2


def test_history_strip_keeps_samples_at_the_saved_steps_and_reloads():
    experiment = built(saved_steps="2,4")
    train_steps(experiment, 5)
    rows = experiment.snapshot()["history"].rows
    assert list(rows) == ["step 2", "step 4", "now (step 5)"]
    assert all(images.shape == (10, 28, 28) for images in rows.values())
    assert not np.array_equal(rows["step 2"], rows["step 4"])  # G moved between them
    fresh = built(saved_steps="2,4")
    restore(fresh, experiment.state_dict(), experiment.step)
    assert list(fresh.snapshot()["history"].rows) == list(rows)


def test_doubling_schedule_saves_at_100_times_powers_of_two():
    experiment = built(saved_steps="doubling")
    assert [s for s in range(1, 2000) if experiment.is_saved_step(s)] == [100, 200, 400, 800, 1600]


def test_sample_grid_shows_64_images_in_unit_range():
    samples = built().snapshot()["samples"]
    assert samples.images.shape == (64, 28, 28) and samples.columns == 8
    assert samples.images.min() >= 0 and samples.images.max() <= 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"saved_steps": "1000,x"}, "saved_steps"),
        ({"hidden": "0"}, "hidden"),
        ({"architecture": "dcgan", "dataset": "digits"}, "architecture"),
    ],
)
def test_bad_settings_are_refused_by_name(changes, field):
    with pytest.raises(ConfigError, match=field):
        with_overrides(Config(), changes)


def test_dcgan_makes_28x28_images():
    experiment = built(architecture="dcgan")
    losses = train_steps(experiment)
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(losses)
    images = experiment.snapshot()["samples"].images
    assert images.shape == (64, 28, 28) and images.min() >= 0 and images.max() <= 1


def _make_d_win(experiment: Gan) -> None:
    with torch.no_grad():
        experiment.trainer.discriminator.net[-1].bias.fill_(-30.0)  # D(x) ≈ e⁻³⁰ for every x


def test_a_discriminator_that_wins_completely_stops_training_with_a_message():
    experiment = built(generator_loss="minimax")
    _make_d_win(experiment)
    experiment.evaluate()
    experiment.step += 250  # ... and D still rejects everything 250 steps later
    experiment.evaluate()
    with pytest.raises(RuntimeError, match="discriminator won completely"):
        train_steps(experiment)
    # A reload (the run loop restores the last good weights) clears the verdict.
    restore(experiment, experiment.state_dict(), experiment.step)
    train_steps(experiment)


def test_the_run_loop_reports_the_win_and_restores_good_weights():
    experiment = Gan(dataclasses.replace(SMALL, generator_loss="minimax"))
    control = RunControl()
    events = run(experiment, control, good_state_interval=1e9, eval_interval=0.0, snapshot_interval=0.0)
    next(events), next(events)  # building, the first snapshot
    good = parameters(experiment.trainer.discriminator)
    _make_d_win(experiment)
    # Frozen, so D cannot climb back out of its win however fast this machine trains.
    experiment.trainer.set_learning_rate(0.0)
    failure = None
    for _, event in zip(range(1000), events, strict=False):  # bounded: a miss fails, never hangs
        if isinstance(event, RunFailed):
            failure = event
            break
    control.stop()
    assert failure is not None and "won completely" in failure.message
    assert failure.restored_step == 0 and experiment.step == 0  # the step count goes back too
    assert torch.equal(parameters(experiment.trainer.discriminator), good)


# -- conditional: G(z, y), D(x, y) -------------------------------------------------------------------
@pytest.mark.parametrize("architecture", ["mlp", "dcgan"])
def test_conditional_players_read_the_label_and_the_samples_come_in_a_row_per_digit(architecture):
    experiment = built(conditional=True, architecture=architecture)
    train_steps(experiment, 3)
    samples = experiment.snapshot()["samples"]
    assert samples.images.shape == (80, 28, 28) and samples.columns == 8  # 10 rows of 8
    assert "a row per digit" in samples.title and "top row 0, bottom row 9" in samples.caption
    z = experiment.fixed_noise[:8]
    three, seven = (experiment.trainer.sample(z, torch.full((8,), k)) for k in (3, 7))
    np.testing.assert_allclose(samples.images[24:32], three.numpy().reshape(8, 28, 28), atol=1e-6)
    assert (three - seven).abs().max() > 1e-4  # same z, another digit asked: another picture
    judged = experiment.trainer.discriminator
    assert not torch.equal(judged(three, torch.full((8,), 3)), judged(three, torch.full((8,), 7)))
    # The history strip asks for 0 … 9 in turn; the measures add the asked digit hit rate.
    assert "digits 0 … 9" in experiment.snapshot()["history"].title
    assert set(experiment.evaluate()) >= {"samples_hit_rate", "real_digits_hit_rate"}
    asked = experiment.generate(20, seed=1, labels=torch.full((20,), 5))
    assert asked.shape == (20, 784)


def test_a_gan_run_saved_before_the_conditional_setting_loads_as_unconditional(saved_before_setting):
    from unsuplab.core.checkpoint import load_run

    experiment = built()
    saved = load_run(saved_before_setting(experiment, "conditional"), "gan")
    assert saved.config.conditional is False and "samples_hit_rate" not in experiment.evaluate()
    again = Gan(saved.config)
    again.build("cpu", 0)
    again.load_state_dict(saved.state)
    np.testing.assert_array_equal(again.snapshot()["samples"].images, experiment.snapshot()["samples"].images)

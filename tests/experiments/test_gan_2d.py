"""The 2-D GAN shows D(x) over the plane with real and generated points, arrows that are G's
own gradient, counts the ring's modes, and trains on a drawing once it has enough points."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from unsuplab.core.payloads import Field
from unsuplab.core.stepping import restore, train_by_hand, train_steps
from unsuplab.experiments.gan_2d import ARROW_POINTS, LATTICE, Config, Gan2D


def built(**changes) -> Gan2D:
    experiment = Gan2D(dataclasses.replace(Config(batch_size=64), **changes))
    experiment.build("cpu", 0)
    return experiment


def test_field_shows_d_over_the_plane_with_both_point_sets_and_arrows():
    experiment = built()
    train_steps(experiment)
    field = experiment.snapshot()["field"]
    assert isinstance(field, Field) and field.draw_command == "draw"
    assert field.heat.shape == (LATTICE, LATTICE)
    assert field.heat.min() >= 0 and field.heat.max() <= 1
    x_min, x_max, y_min, y_max = field.extent
    assert x_max - x_min == pytest.approx(y_max - y_min)  # square: the ring stays round
    for name in ("real", "generated"):
        points = field.points[name]
        assert points.shape == (500, 2)
    real = field.points["real"]
    assert (real[:, 0] > x_min).all() and (real[:, 0] < x_max).all()
    origins, vectors = field.arrows
    assert origins.shape == vectors.shape == (ARROW_POINTS, 2)
    np.testing.assert_array_equal(origins, field.points["generated"][:ARROW_POINTS])


def test_heat_row_zero_is_the_lowest_y():
    experiment = built()
    field = experiment.field()
    x_min, x_max, y_min, y_max = field.extent
    corners = torch.tensor([[x_min, y_min], [x_max, y_max]])
    with torch.no_grad():
        d = torch.sigmoid(experiment.trainer.discriminator(corners)).numpy()
    np.testing.assert_allclose([field.heat[0, 0], field.heat[-1, -1]], d, rtol=1e-5)


def test_arrows_are_minus_the_generator_loss_gradient():
    experiment = built()
    train_steps(experiment, 30)
    fake = experiment.trainer.sample(experiment.fixed_noise[:50])
    logits = experiment.trainer.discriminator(fake).detach()
    push = experiment.generator_push(fake)
    # Non-saturating: −∂softplus(−l)/∂x = σ(−l)∇l; minimax: −∂(−softplus(l))/∂x = σ(l)∇l. Both
    # point up D's slope and differ by σ(l)/σ(−l) = e^l per point: tiny where D rejects x.
    experiment.config.generator_loss = "minimax"
    minimax = experiment.generator_push(fake)
    np.testing.assert_allclose(minimax.numpy(), (push * logits.exp()[:, None]).numpy(), rtol=1e-4, atol=1e-7)
    with torch.no_grad():
        before = experiment.trainer.discriminator(fake)
        after = experiment.trainer.discriminator(fake + 1e-3 * push / push.norm(dim=1, keepdim=True))
    assert (after > before).float().mean() > 0.9


def test_ring_modes_are_counted_and_other_data_have_none():
    ring = built()
    metrics = ring.evaluate()
    assert 0 <= metrics["modes_covered"] <= 8 and 0 <= metrics["high_quality"] <= 1
    assert "Modes covered" in ring.curves
    moons = built(distribution="moons")
    assert "modes_covered" not in moons.evaluate()
    # No chart that would stay empty all run long.
    charted = {name for names in moons.curves.values() for name in names}
    assert charted.isdisjoint({"modes_covered", "high_quality"}) and "Losses of D and G" in moons.curves


def test_drawing_switches_the_data_and_survives_a_reload():
    experiment = built()
    with pytest.raises(ValueError, match="draw at least 50 points; got 12"):
        experiment.probe("draw", points=[[0.0, 0.0]] * 12)
    stroke = [[x, 0.5 * x] for x in np.linspace(-1, 1, 80)]
    field = experiment.probe("draw", points=stroke)["field"]
    assert "your drawing" in field.title
    real = field.points["real"]
    assert np.abs(real[:, 1] - 0.5 * real[:, 0]).max() < 0.2
    assert "modes_covered" not in experiment.evaluate()
    assert "Modes covered" not in experiment.curves
    train_steps(experiment)
    fresh = built()
    restore(fresh, experiment.state_dict(), experiment.step)
    np.testing.assert_array_equal(fresh.field().points["real"], real)


def test_d_step_button_lowers_d_on_the_fakes():
    experiment = built()
    before = experiment.evaluate()["heldout_d_fake"]
    for _ in range(10):
        train_by_hand(experiment, "train_d")
    assert experiment.evaluate()["heldout_d_fake"] < before

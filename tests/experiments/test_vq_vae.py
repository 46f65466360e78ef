"""The VQ-VAE lesson: the loss terms of the slide, the usage panel with its dead codes, the codes'
decodings, and the action that revives dead codes."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.payloads import Bars
from unsuplab.core.registry import lesson
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.vq_vae import CODE_TILES, VQVAELesson, perplexity


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def built(**overrides) -> VQVAELesson:
    config = with_overrides(VQVAELesson.Config(), {"channels": 8, "batch_size": 16, **overrides})
    experiment = VQVAELesson(config)
    experiment.build("cpu", 0)
    return experiment


def test_registered_with_an_action_to_revive_codes():
    assert lesson("vq-vae") is VQVAELesson
    assert "revive" in VQVAELesson.actions


def test_perplexity_counts_codes_in_effective_use():
    assert float(perplexity(torch.tensor([5.0, 5.0, 5.0, 5.0]))) == pytest.approx(4.0)
    assert float(perplexity(torch.tensor([9.0, 0.0, 0.0]))) == pytest.approx(1.0)


def test_loss_is_reconstruction_plus_codebook_plus_beta_commitment():
    experiment = built(commitment_beta=0.5)
    terms = train_steps(experiment)
    expected = terms["reconstruction"] + terms["codebook"] + 0.5 * terms["commitment"]
    assert float(terms["loss"]) == pytest.approx(float(expected), rel=1e-5)
    # The two terms are one distance seen from two sides: equal in value, not in gradient.
    assert float(terms["codebook"]) == pytest.approx(float(terms["commitment"]), rel=1e-5)


def test_ema_codebook_leaves_the_codebook_term_out_of_the_loss():
    experiment = built(codebook_update="ema")
    before = experiment.model.quantiser.codebook.clone()
    terms = train_steps(experiment)
    expected = terms["reconstruction"] + 0.25 * terms["commitment"]
    assert float(terms["loss"]) == pytest.approx(float(expected), rel=1e-5)
    assert not torch.equal(before, experiment.model.quantiser.codebook)  # moved by the averages


def test_usage_panel_sorts_codes_and_shows_the_dead_ones():
    experiment = built()
    train_steps(experiment)
    panels = experiment.snapshot()
    usage = panels["usage"]
    assert isinstance(usage, Bars) and len(usage.categories) == 64
    counts = usage.values["grid cells"]
    assert list(counts) == sorted(counts, reverse=True)
    assert counts.sum() == 500 * 7 * 7  # every held-out grid cell chose one code
    dead = int((counts == 0).sum())
    assert f"{dead} dead" in usage.title
    assert panels["code_images"].images.shape == (CODE_TILES, 28, 28)
    assert experiment.evaluate()["heldout_dead_codes"] == dead


def test_code_images_decode_a_grid_of_one_code():
    experiment = built()
    panels = experiment.snapshot()
    top = int(panels["usage"].categories[0].removeprefix("#"))
    grid = torch.full((1, 7, 7), top)
    expected = experiment.model.decode_indices(grid).detach().reshape(28, 28).numpy()
    torch.testing.assert_close(torch.as_tensor(panels["code_images"].images[0]), torch.as_tensor(expected))


def test_codes_start_on_spread_out_encoder_outputs_so_most_are_in_use():
    experiment = built()
    codebook = experiment.model.quantiser.codebook
    assert torch.unique(codebook, dim=0).shape[0] == 64  # 64 distinct vectors, not 64 blank cells
    assert int((experiment.usage_counts() > 0).sum()) > 32
    small = built(codebook_init="small random")
    assert int((small.usage_counts() > 0).sum()) < 8  # near the origin: a few codes win every cell


def test_revive_moves_dead_codes_onto_encoder_outputs():
    experiment = built(codebook_init="small random")
    dead_before = int((experiment.usage_counts() == 0).sum())
    assert dead_before > 0  # codes start near the origin: most are nobody's nearest
    answer = experiment.probe("revive")
    assert isinstance(answer["usage"], Bars)
    assert int((experiment.usage_counts() == 0).sum()) < dead_before
    # Training goes on from the revived codebook.
    assert torch.isfinite(train_steps(experiment)["loss"])


def test_reconstruction_is_bce_of_the_straight_through_decoding():
    experiment = built()
    x = experiment.test_x[:4]
    x_hat = experiment.reconstruct(x)
    q = experiment.model.quantise(x)
    torch.testing.assert_close(x_hat, experiment.model.decode(q.z_q))
    assert float(F.binary_cross_entropy(x_hat, x)) > 0


def test_image_sides_must_halve_twice(monkeypatch):
    experiment = VQVAELesson(VQVAELesson.Config())
    data = experiment.load_data()
    odd = dataclasses.replace(
        data, train_images=data.train_images[:, :26, :26], test_images=data.test_images[:, :26, :26]
    )
    monkeypatch.setattr(experiment, "load_data", lambda: odd)
    with pytest.raises(ValueError, match="26x26 is not divisible by 4"):
        experiment.build("cpu", 0)


def test_nonsense_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match="codebook_update"):
        with_overrides(VQVAELesson.Config(), {"codebook_update": "kmeans"})
    with pytest.raises(ConfigError, match="codes"):
        with_overrides(VQVAELesson.Config(), {"codes": 1})


def test_dead_codes_are_restarted_every_n_steps():
    def used_after_five_steps(every: int) -> int:
        experiment = built(codebook_init="small random", restart_dead_codes=every)
        train_steps(experiment, 5)
        return int((experiment.usage_counts() > 0).sum())

    never, restarted = used_after_five_steps(0), used_after_five_steps(5)
    assert never < 8 and restarted > 32

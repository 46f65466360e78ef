"""The VAE lesson: its loss is the negative ELBO in nats, its panels and probes answer what the
window asks (decode a point of the plane, pick two digits), and other lessons can use it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.payloads import ImageGrid, Scatter
from unsuplab.core.registry import lesson
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.vae import MANIFOLD_SIDE, PRIOR_SAMPLES, VariationalAutoencoder, binarised


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def built(**overrides) -> VariationalAutoencoder:
    config = with_overrides(VariationalAutoencoder.Config(), {"hidden": "64", "batch_size": 32, **overrides})
    experiment = VariationalAutoencoder(config)
    experiment.build("cpu", 0)
    return experiment


def test_registered_with_a_2d_latent_by_default():
    assert lesson("vae") is VariationalAutoencoder
    assert VariationalAutoencoder.Config().code_size == 2
    assert VariationalAutoencoder.progress_metric == ("heldout_loss", "down")


def test_untrained_loss_is_log_2_nats_per_pixel_plus_a_small_kl():
    experiment = built()
    metrics = experiment.evaluate()
    # Near-zero output weights give x̂ ≈ ½: about 784·log 2 = 543 nats per image.
    assert metrics["heldout_reconstruction"] == pytest.approx(784 * math.log(2), rel=0.1)
    assert metrics["heldout_negative_elbo"] == pytest.approx(
        metrics["heldout_reconstruction"] + metrics["heldout_kl"], rel=1e-5
    )
    assert metrics["heldout_loss"] == metrics["heldout_negative_elbo"]  # β = 1


def test_beta_weighs_the_kl_term_and_changes_live():
    experiment = built(beta=4.0)
    terms = train_steps(experiment)
    assert float(terms["loss"]) == pytest.approx(float(terms["reconstruction"] + 4 * terms["kl"]), rel=1e-5)
    experiment.set_live("beta", 0.5)
    metrics = experiment.evaluate()
    assert metrics["heldout_loss"] == pytest.approx(
        metrics["heldout_reconstruction"] + 0.5 * metrics["heldout_kl"], rel=1e-5
    )


def test_binarisation_modes_give_0_1_pixels_where_they_should():
    data = built(binarise="none").load_data()
    for mode in ("fixed", "threshold", "dynamic"):
        made = binarised(data, mode)
        assert set(np.unique(made.test_images)) <= {0.0, 1.0}
        assert (set(np.unique(made.train_images)) <= {0.0, 1.0}) == (mode != "dynamic")
    # Dynamic binarisation draws a fresh 0/1 minibatch at every step.
    experiment = built(binarise="dynamic")
    first, second = experiment.minibatch(), experiment.minibatch()
    assert set(torch.unique(first).tolist()) <= {0.0, 1.0} and not torch.equal(first, second)
    # The fixed held-out digits are the same for every seed, so figures compare across runs.
    other = VariationalAutoencoder(experiment.config)
    other.build("cpu", 5)
    assert torch.equal(other.test_x, experiment.test_x)


def test_panels_show_the_plane_the_manifold_and_the_samples():
    experiment = built()
    train_steps(experiment)
    panels = experiment.snapshot()
    latent = panels["latent"]
    assert isinstance(latent, Scatter) and latent.plane_command == "decode"
    assert latent.points.shape == (500, 2)
    manifold = panels["manifold"]
    assert manifold.images.shape == (MANIFOLD_SIDE**2, 28, 28)
    assert manifold.columns == MANIFOLD_SIDE
    assert panels["samples"].images.shape == (PRIOR_SAMPLES, 28, 28)
    assert panels["pick"].click_command == "pick"
    assert panels["interpolation"].images.shape == (10, 28, 28)


def test_manifold_corners_are_the_decodings_of_the_inverse_cdf_lattice():
    experiment = built()
    train_steps(experiment, 20)
    grid = experiment.snapshot()["manifold"].images
    corner = torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(0.95))
    # Top-left is the smallest z₁ and the largest z₂, as on the latent map.
    top_left = experiment.decode(torch.tensor([[-corner, corner]]))
    np.testing.assert_allclose(grid[0], top_left.numpy().reshape(28, 28), atol=1e-6)


def test_decode_probe_decodes_the_clicked_point():
    experiment = built()
    answer = experiment.probe("decode", x=0.5, y=-1.0)["decoded"]
    expected = experiment.decode(torch.tensor([[0.5, -1.0]])).numpy().reshape(1, 28, 28)
    assert isinstance(answer, ImageGrid)
    np.testing.assert_allclose(answer.images, expected, atol=1e-6)


def test_decode_probe_on_a_wide_code_walks_the_principal_plane():
    experiment = built(code_size=8)
    scatter = experiment.snapshot()["latent"]
    assert scatter.points.shape == (500, 2) and scatter.x_label == "PC 1"
    origin, axes = experiment._plane
    torch.testing.assert_close(axes @ axes.T, torch.eye(2), atol=1e-5, rtol=0)
    # A held-out μ is drawn at its projection; clicking there decodes the nearest point of the
    # plane, origin + x·axis₁ + y·axis₂.
    mu = experiment.encode(experiment.test_x[:1])
    x, y = ((mu - origin) @ axes.T)[0].tolist()
    np.testing.assert_allclose(scatter.points[0], [x, y], atol=1e-5)
    decoded = experiment.probe("decode", x=x, y=y)["decoded"].images
    on_plane = origin + x * axes[0] + y * axes[1]
    np.testing.assert_allclose(
        decoded[0], experiment.decode(on_plane[None]).numpy().reshape(28, 28), atol=1e-6
    )
    assert experiment.snapshot()["manifold"].images.shape == (MANIFOLD_SIDE**2, 28, 28)


def test_two_picks_interpolate_between_their_codes():
    experiment = built()
    train_steps(experiment, 10)
    experiment.probe("pick", index=3)
    answer = experiment.probe("pick", index=7)
    row = answer["interpolation"]
    assert answer["pick"].marked == (3, 7)  # the picker frames the chosen ends at once
    a, b = (int(experiment.pick_index[i]) for i in (3, 7))
    ends = experiment.encode(experiment.test_x[[a, b]])
    np.testing.assert_allclose(row.images[0], experiment.decode(ends[:1]).numpy().reshape(28, 28), atol=1e-6)
    np.testing.assert_allclose(row.images[-1], experiment.decode(ends[1:]).numpy().reshape(28, 28), atol=1e-6)
    assert f"digit {experiment.test_labels[a]}" in row.title
    with pytest.raises(ValueError, match="no digit 99"):
        experiment.probe("pick", index=99)


def test_other_lessons_can_encode_reconstruct_decode_and_sample():
    experiment = built(code_size=3)
    x = experiment.test_x[:5]
    assert experiment.encode(x).shape == (5, 3)
    assert experiment.reconstruct(x).shape == (5, 784)
    assert experiment.decode(torch.zeros(2, 3)).shape == (2, 784)
    samples = experiment.sample(4)
    assert samples.shape == (4, 784) and samples.min() >= 0 and samples.max() <= 1
    assert experiment.test_labels.shape == (500,) and experiment.image_shape == (28, 28)


def test_nonsense_settings_are_refused_by_name():
    config = VariationalAutoencoder.Config()
    with pytest.raises(ConfigError, match="hidden"):
        with_overrides(config, {"hidden": "512,,"})
    with pytest.raises(ConfigError, match="code_size"):
        with_overrides(config, {"dataset": "digits", "code_size": 64})
    with pytest.raises(ConfigError, match="beta"):
        with_overrides(config, {"beta": -1})
    with pytest.raises(ConfigError, match="binarise"):
        with_overrides(config, {"binarise": "sometimes"})


def test_asked_for_input_noise_the_encoder_reads_it_and_the_decoder_must_give_back_the_clean_digit():
    plain, noisy = built(code_size=4), VariationalAutoencoder(built(code_size=4).config)
    noisy.input_corruption = ("jitter", 0.5)  # as the semi-supervised lesson asks
    noisy.build("cpu", 0)
    assert not torch.equal(noisy.test_input, noisy.test_x)
    assert torch.equal(plain.test_input, plain.test_x)
    read = []
    posterior = noisy.model.posterior
    noisy.model.posterior = lambda x, y=None: (read.append(x), posterior(x, y))[1]
    # Held out: the encoder reads the jittered digits, the loss is measured against the clean ones.
    with torch.no_grad():
        expected = noisy.elbo_terms(noisy.test_x, noisy.heldout_noise, noisy.test_input)
    assert torch.equal(read[-1], noisy.test_input)
    assert noisy.evaluate()["heldout_reconstruction"] == pytest.approx(
        float(expected["reconstruction"]), rel=1e-6
    )
    # Training: minibatches are binarised to 0/1, so grey pixels show the encoder read a
    # resampled (moved, turned) copy.
    train_steps(noisy)
    assert bool(((read[-1] > 0.01) & (read[-1] < 0.99)).any())


# -- conditional: q(z|x, y), p(x|z, y) ----------------------------------------------------------------
def test_conditional_samples_come_in_a_row_per_digit_with_each_rows_label():
    experiment = built(conditional=True)
    train_steps(experiment, 5)
    samples = experiment.snapshot()["samples"]
    assert samples.images.shape == (100, 28, 28) and samples.columns == 10  # 10 rows of 10
    assert "a row per digit" in samples.title and "top row 0, bottom row 9" in samples.caption
    # Row k decodes the same ten z's as every other row, with y = k.
    z = experiment.prior_noise[:10]
    for k in (0, 7):
        expected = experiment.decode(z, torch.full((10,), k)).numpy().reshape(10, 28, 28)
        np.testing.assert_allclose(samples.images[10 * k : 10 * k + 10], expected, atol=1e-6)


def test_the_conditional_decoder_reads_the_label_and_the_plane_offers_a_digit_chooser():
    experiment = built(conditional=True)
    train_steps(experiment, 20)
    z = torch.zeros(1, 2)
    three, seven = (experiment.decode(z, torch.tensor([k])) for k in (3, 7))
    assert (three - seven).abs().max() > 1e-3  # same z, another label: another picture
    latent = experiment.snapshot()["latent"]
    assert latent.plane_choices == [str(k) for k in range(10)] and latent.plane_choice == 0
    answer = experiment.probe("decode", x=0.0, y=0.0, choice=7)
    np.testing.assert_allclose(answer["decoded"].images[0], seven.numpy().reshape(28, 28), atol=1e-6)
    assert "y = 7" in answer["decoded"].title and "y = 7" in answer["manifold"].title  # redrawn as 7s
    assert experiment.snapshot()["latent"].plane_choice == 7
    with pytest.raises(ValueError, match="no digit 12"):
        experiment.probe("decode", x=0.0, y=0.0, choice=12)


def test_the_conditional_model_reads_labels_everywhere_and_the_unconditional_one_offers_no_chooser():
    experiment = built(conditional=True)
    panels = experiment.snapshot()
    assert panels["reconstructions"].rows["reconstruction"].shape == (10, 28, 28)
    assert "y = 0" in experiment.probe("reconstruct", image=np.zeros((28, 28), np.float32))["drawing"].title
    assert experiment.probe("inspect", index=2)["inspected"].rows["reconstruction"].shape == (1, 28, 28)
    assert experiment.model.filters.shape == (64, 784)  # the pixels' weights, not the label's
    assert set(experiment.evaluate()) >= {"samples_hit_rate", "real_digits_hit_rate"}
    plain = built()
    assert plain.snapshot()["latent"].plane_choices is None and "samples_hit_rate" not in plain.evaluate()


def test_a_run_saved_before_the_conditional_setting_loads_as_unconditional(saved_before_setting):
    from unsuplab.core.checkpoint import load_run

    experiment = built()
    saved = load_run(saved_before_setting(experiment, "conditional"), "vae")
    assert saved.config.conditional is False
    again = VariationalAutoencoder(saved.config)
    again.build("cpu", 0)
    again.load_state_dict(saved.state)
    np.testing.assert_array_equal(again.snapshot()["samples"].images, experiment.snapshot()["samples"].images)


def test_a_few_hundred_steps_teach_the_conditional_decoder_to_draw_the_digit_asked_for():
    # Judged by the nearest class mean of the training digits (right on ~80 % of real ones).
    experiment = built(conditional=True, hidden="128", batch_size=64)
    assert experiment.evaluate()["samples_hit_rate"] < 0.2  # untrained: chance is 10 %
    train_steps(experiment, 200)
    assert experiment.evaluate()["samples_hit_rate"] > 0.3

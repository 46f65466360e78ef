"""The denoising autoencoder sees a corrupted digit, is scored on the clean one, and learns to denoise;
compare mode trains ν = 0, 25 and 50 % side by side from one start."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.payloads import ImageGrid
from unsuplab.core.stepping import restore, train_steps
from unsuplab.data.corruption import corrupt
from unsuplab.experiments.denoising_autoencoder import Config, DenoisingAutoencoder


def built(**changes) -> DenoisingAutoencoder:
    experiment = DenoisingAutoencoder(with_overrides(Config(batch_size=64), changes))
    experiment.build("cpu", 0)
    return experiment


@pytest.mark.parametrize("level", ["-0.1", "1.5"])
def test_config_refuses_levels_outside_the_unit_interval(level):
    with pytest.raises(ConfigError, match="corruption_level") as caught:
        with_overrides(Config(), {"corruption_level": level})
    assert caught.value.field == "corruption_level"


def test_the_network_sees_the_corrupted_digit_and_is_scored_on_the_clean_one():
    experiment = built(corruption="salt-and-pepper", corruption_level=0.4, weight_decay=0.0)
    train_steps(experiment, 20)  # away from the start, where every output is 0.5 whatever the target
    before = copy.deepcopy(experiment.model)
    state = experiment.generator.get_state()
    losses = train_steps(experiment)
    # Replay the step's draws: the same minibatch and the same noise.
    replay = torch.Generator().set_state(state)
    x = experiment.train_x[torch.randint(len(experiment.train_x), (64,), generator=replay)]
    noisy = corrupt(x, "salt-and-pepper", 0.4, replay)

    def cross_entropy(network_input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            x_hat, _ = before(network_input)
        return F.binary_cross_entropy(x_hat, target, reduction="sum") / 64

    torch.testing.assert_close(losses["reconstruction"], cross_entropy(noisy, x))
    assert abs(float(losses["reconstruction"] - cross_entropy(noisy, noisy))) > 10
    # Early on the output hardly depends on the input, but far more than rounding (1e-4) does.
    assert abs(float(losses["reconstruction"] - cross_entropy(x, x))) > 0.1


def test_training_denoises_held_out_digits():
    experiment = built(corruption_level=0.4)
    train_steps(experiment, 300)
    with torch.no_grad():
        repaired, _ = experiment.model(experiment.test_input)
    noisy_error = (experiment.test_input - experiment.test_x).pow(2).mean()
    repaired_error = (repaired - experiment.test_x).pow(2).mean()
    assert repaired_error < 0.6 * noisy_error  # about 0.41 at seeds 0, 1, 2
    rows = experiment.snapshot()["reconstructions"].rows
    assert list(rows) == ["noisy input", "reconstruction", "clean"]
    index = experiment.probe_index
    np.testing.assert_array_equal(rows["noisy input"], experiment.test_input[index].reshape(-1, 28, 28))
    np.testing.assert_array_equal(rows["clean"], experiment.test_x[index].reshape(-1, 28, 28))


def test_held_out_inputs_are_drawn_once_and_redrawn_when_the_level_changes():
    experiment = built(corruption_level=0.2)
    first = experiment.test_input.clone()
    train_steps(experiment)
    assert torch.equal(experiment.test_input, first)
    masked = experiment.test_x > 0

    def hidden(x: torch.Tensor) -> float:
        return float((x[masked] == 0).float().mean())

    assert hidden(first) == pytest.approx(0.2, abs=0.01)
    experiment.set_live("corruption_level", 0.5)
    assert hidden(experiment.test_input) == pytest.approx(0.5, abs=0.01)


def test_compare_mode_trains_three_networks_from_one_start():
    experiment = built(compare=True)
    grids = {k: p for k, p in experiment.snapshot().items() if isinstance(p, ImageGrid)}
    assert list(grids) == ["filters_0pct", "filters_25pct", "filters_50pct"]
    assert [g.title for g in grids.values()] == [
        "Filters, 0 % masked",
        "Filters, 25 % masked",
        "Filters, 50 % masked",
    ]
    start = [g.images for g in grids.values()]
    assert all(np.array_equal(start[0], images) for images in start)  # same initial weights

    train_steps(experiment, 20)
    trained = [p.images for k, p in experiment.snapshot().items() if k.startswith("filters_")]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(trained[i] - trained[j]).max() > 1e-3

    (curve_names,) = experiment.curves.values()
    metrics = experiment.evaluate()
    held_out = [metrics[name] for name in curve_names]
    assert len(held_out) == 3 and len(set(held_out)) == 3
    assert metrics["heldout_loss"] == pytest.approx(
        np.mean([metrics[f"heldout_loss_at_{p}%"] for p in (0, 25, 50)]), rel=1e-6
    )
    # The more is destroyed, the harder the job: held-out error rises with ν.
    assert held_out[0] < held_out[1] < held_out[2]


def test_compare_mode_reloads_every_network():
    trained = built(compare=True)
    train_steps(trained, 3)
    fresh = built(compare=True)
    restore(fresh, trained.state_dict(), trained.step)
    assert fresh.evaluate() == trained.evaluate()

"""The denoising autoencoder sees a corrupted digit, is scored on the clean one, and learns to denoise
(its preset comparison of ν = 0, 25 and 50 % is tested with the others in test_comparisons)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.stepping import train_steps
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


def test_a_run_saved_with_the_old_compare_mode_layout_still_loads():
    """Runs saved while the lesson had its own compare mode keep the network under "networks.0"."""
    trained = built()
    train_steps(trained, 3)
    state = trained.state_dict()
    old = {"networks": {f"0.{k}": v for k, v in state["model"].items()}, "optimizer": state["optimizer"]}
    fresh = built()
    fresh.load_state_dict(old)
    assert fresh.evaluate() == trained.evaluate()

"""Wake–sleep lesson: the Helmholtz machine's two phases, its bound, dreams and both weight sets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from unsuplab.core.payloads import ImageGrid
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.wake_sleep import Config, WakeSleep
from unsuplab.models.helmholtz import HelmholtzMachine

SETTINGS = {"hidden_sizes": "100,20", "batch_size": 50, "learning_rate": 3e-3}


@pytest.fixture(scope="module")
def trained() -> WakeSleep:
    experiment = WakeSleep(Config(**SETTINGS))
    experiment.build("cpu", 0)
    train_steps(experiment, 300)
    return experiment


def test_the_bound_is_exact_for_a_machine_small_enough_to_enumerate():
    torch.manual_seed(0)
    machine = HelmholtzMachine(3, (2,))
    x = torch.tensor([[1.0, 0.0, 1.0]])
    # log p(x) = log Σ_s p(s) p(x | s) over the four states s of the two hidden units.
    states = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with torch.no_grad():
        joint = torch.stack([machine.generative_log_prob([x, s[None]]) for s in states]).squeeze(1)
    log_p = float(torch.logsumexp(joint, dim=0))
    bound = float(machine.bound(x, torch.Generator().manual_seed(0), samples=4000))
    assert bound <= log_p + 0.02  # a lower bound (up to the sampling error)
    # The gap is KL(q(s | x) ‖ p(s | x)), finite and small for untrained near-uniform networks.
    assert log_p - bound < 0.5


def test_wake_moves_only_p_and_sleep_only_q():
    machine = HelmholtzMachine(6, (4, 2))
    x = torch.bernoulli(torch.full((8, 6), 0.5))
    machine.wake_loss(x, torch.Generator().manual_seed(0)).backward()
    assert all(layer.weight.grad is None for layer in machine.recognition)
    assert all(layer.weight.grad is not None for layer in machine.generative)
    machine.zero_grad(set_to_none=True)
    machine.sleep_loss(8, torch.Generator().manual_seed(0)).backward()
    assert all(layer.weight.grad is not None for layer in machine.recognition)
    assert all(layer.weight.grad is None for layer in machine.generative) and machine.top_bias.grad is None


def test_training_raises_the_bound_above_independent_pixels(trained):
    metrics = trained.evaluate()
    x = trained.train_x.mean(dim=0).clamp(1e-3, 1 - 1e-3)
    held_out = trained.test_x
    independent = float((held_out * x.log() + (1 - held_out) * (1 - x).log()).sum(dim=1).mean())
    assert metrics["heldout_bound"] > independent + 15
    assert math.isfinite(metrics["bound"])
    assert set(np.unique(trained.test_x.numpy())) <= {0.0, 1.0}  # binarised digits


def test_dreams_and_both_weight_sets_are_shown(trained):
    panels = trained.snapshot()
    dreams = panels["dreams"]
    assert isinstance(dreams, ImageGrid) and dreams.images.shape == (36, 28, 28)
    np.testing.assert_array_equal(dreams.images, trained.snapshot()["dreams"].images)  # same noise
    assert dreams.images.std() > 0.05
    recognition, generative = panels["filters"], panels["generative_filters"]
    assert recognition.images.shape == generative.images.shape == (100, 28, 28)
    assert "R₀" in recognition.title and "G₀" in generative.title

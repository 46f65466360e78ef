"""The stacked autoencoder's greedy schedule: stages at their step counts, frozen layers, reloads."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from unsuplab.core.config import ConfigError, with_overrides
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import Restore, RunControl, Snapshot, StateChanged, run
from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments.stacked_autoencoder import Config, StackedAutoencoder

TINY = Config(layer_sizes="16,8,4", pretrain_steps=3, finetune_steps=2, batch_size=8)


def built(config: Config = TINY, seed: int = 0) -> StackedAutoencoder:
    experiment = StackedAutoencoder(config)
    experiment.build("cpu", seed)
    return experiment


def weights(experiment: StackedAutoencoder, layer: int) -> list[torch.Tensor]:
    return [p.detach().clone() for p in experiment.model.layers[layer].parameters()]


def unchanged(before: list[torch.Tensor], experiment: StackedAutoencoder, layer: int) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, weights(experiment, layer), strict=True))


def test_stages_follow_the_configured_step_counts():
    experiment = built()
    seen = []
    for _ in range(13):
        seen.append(experiment.stage.name)
        train_steps(experiment)
    assert seen == ["layer 1"] * 3 + ["layer 2"] * 3 + ["layer 3"] * 3 + ["fine-tune"] * 4
    table = experiment.snapshot()["stages"]
    assert table.title == "Training stage: 4. fine-tune"
    assert table.columns == ["stage", "steps", "status"]
    assert table.rows == [
        ["1. layer 1: 784→16", "3 / 3", "done"],
        ["2. layer 2: 16→8", "3 / 3", "done"],
        ["3. layer 3: 8→4", "3 / 3", "done"],
        ["4. fine-tune: all layers", "4 / 2", "▶ training"],
    ]  # goes on past plan


def test_each_pretraining_stage_moves_only_its_own_layer():
    experiment = built()
    for stage_layer in range(3):
        before = [weights(experiment, k) for k in range(3)]
        train_steps(experiment, 3)
        for k in range(3):
            assert unchanged(before[k], experiment, k) == (k != stage_layer)
    before = [weights(experiment, k) for k in range(3)]
    train_steps(experiment)  # fine-tuning moves every layer
    assert not any(unchanged(before[k], experiment, k) for k in range(3))


def test_window_shows_the_stage_and_the_stack_so_far():
    experiment = built()
    train_steps(experiment, 4)
    metrics = experiment.evaluate()
    assert metrics["stage"] == 2
    # The objective is layer 2's reconstruction of layer-1 codes plus (λ/2) Σ W² of layer 2 only.
    layer2 = experiment.model.layers[1]
    decay = (
        0.5
        * TINY.weight_decay
        * sum(float(p.detach().pow(2).sum()) for n, p in layer2.named_parameters() if n.endswith("weight"))
    )
    assert metrics["heldout_loss"] == pytest.approx(metrics["heldout_layer2"] + decay, rel=1e-5)
    with torch.no_grad():
        codes = experiment.model.encode(experiment.test_x, depth=1)
        rebuilt = layer2(codes)[0]
    assert metrics["heldout_layer2"] == pytest.approx(
        float(0.5 * (rebuilt - codes).pow(2).sum(dim=1).mean()), rel=1e-5
    )
    panels = experiment.snapshot()
    assert [row[1:] for row in panels["stages"].rows] == [
        ["3 / 3", "frozen"],
        ["1 / 3", "▶ training"],
        ["0 / 3", "waiting"],
        ["0 / 2", "waiting"],
    ]
    assert panels["filters"].images.shape == (16, 28, 28)
    assert panels["filters_layer2"].images.shape == (8, 28, 28)
    assert panels["filters_layer3"].images.shape == (4, 28, 28)
    assert "layers 1–2" in panels["reconstructions"].title
    assert "8-D" in panels["latent"].title  # the codes of layer 2, the top of the stack so far


def test_a_reloaded_run_continues_in_the_same_stage():
    trained = built()
    train_steps(trained, 4)
    fresh = built(seed=1)
    restore(fresh, trained.state_dict(), trained.step)
    assert fresh.snapshot()["stages"].rows == trained.snapshot()["stages"].rows
    assert fresh.stage.name == "layer 2" and fresh.model.depth == 2
    fresh.generator.set_state(trained.generator.get_state())
    for _ in range(3):
        train_steps(trained)
        train_steps(fresh)
    assert fresh.stage.name == trained.stage.name == "layer 3"
    for a, b in zip(trained.model.parameters(), fresh.model.parameters(), strict=True):
        assert torch.equal(a, b)


def last_stage_table(experiment: StackedAutoencoder, step_limit: int, restore_from: Restore | None = None):
    """The stage table of the run loop's last snapshot once it reaches `step_limit`."""
    control = RunControl(step_limit=step_limit)
    tables = []
    for event in run(experiment, control, restore=restore_from, snapshot_interval=0.0):
        if isinstance(event, Snapshot):
            tables.append(event.payloads["stages"])
        if isinstance(event, StateChanged) and event.state == "finished":
            control.stop()
    return tables[-1]


def test_the_run_loop_moves_the_stages_on_and_a_restored_run_goes_on_from_its_step():
    trained = StackedAutoencoder(TINY)
    table = last_stage_table(trained, 10)
    assert table.title == "Training stage: 4. fine-tune"
    assert [row[1] for row in table.rows] == ["3 / 3", "3 / 3", "3 / 3", "1 / 2"]
    resumed = StackedAutoencoder(TINY)
    table = last_stage_table(resumed, 11, Restore(trained.state_dict(), 10, MetricHistory()))
    assert [row[1] for row in table.rows] == ["3 / 3", "3 / 3", "3 / 3", "2 / 2"]


def test_no_pretraining_means_end_to_end_training_from_the_start():
    experiment = built(dataclasses.replace(TINY, pretrain_steps=0))
    assert experiment.stage.name == "fine-tune" and experiment.model.depth == 3
    statuses = [row[2] for row in experiment.snapshot()["stages"].rows]
    assert statuses == ["skipped", "skipped", "skipped", "▶ training"]


def test_live_learning_rate_reaches_every_stage():
    experiment = built()
    experiment.set_live("learning_rate", 0.02)
    assert all(o.param_groups[0]["lr"] == 0.02 for o in experiment.optimizers)


@pytest.mark.parametrize("text", ["256,,64", "256 64", "x", "0"])
def test_bad_layer_sizes_are_refused_by_name(text):
    with pytest.raises(ConfigError, match="layer_sizes: .* positive whole numbers"):
        with_overrides(Config(), {"layer_sizes": text})


def test_at_most_four_layers():
    with pytest.raises(ConfigError, match="layer_sizes: 5 layers"):
        with_overrides(Config(), {"layer_sizes": "256,128,64,32,16"})

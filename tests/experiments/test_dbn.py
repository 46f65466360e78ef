"""The deep belief net goes through its stages and compares pretrained and random classifiers."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments.dbn import Config, DeepBeliefNetwork


def built(**changes) -> DeepBeliefNetwork:
    config = Config(layer_sizes="32,16", pretrain_steps=20, batch_size=50, labels=50, classifier_steps=10)
    experiment = DeepBeliefNetwork(dataclasses.replace(config, **changes))
    experiment.build("cpu", 0)
    return experiment


def test_stages_stack_layers_then_train_both_classifiers():
    experiment = built()
    assert experiment.model.depth == 1
    train_steps(experiment, 20)
    assert experiment.enter_stage().index == 1 and experiment.model.depth == 2
    train_steps(experiment, 20)
    stage = experiment.enter_stage()
    assert stage.last and stage.name == "classifiers"
    # The pretrained classifier starts from the stack; the other does not.
    first = experiment.classifiers["pretrained"][0].weight
    torch.testing.assert_close(first, experiment.model.layers[0].weight.T)
    assert not torch.equal(experiment.classifiers["random"][0].weight, first)
    losses = train_steps(experiment)
    assert {"xent_pretrained", "xent_random"} == set(losses)
    metrics = experiment.evaluate()
    assert 0 <= metrics["heldout_accuracy_pretrained"] <= 1
    assert 0 <= metrics["heldout_accuracy_random"] <= 1
    table = experiment.snapshot()["stages"]
    assert [row[2] for row in table.rows] == ["frozen", "frozen", "▶ training"]


def test_the_labelled_few_are_balanced_and_fixed():
    a, b = built(), built()
    _, labels = a.labelled
    assert len(labels) == 50 and set(np.bincount(labels.numpy())) == {5}
    torch.testing.assert_close(a.labelled[0], b.labelled[0])


def test_dreams_come_down_to_pixels():
    experiment = built()
    train_steps(experiment, 25)
    dreams = experiment.snapshot()["dreams"].images
    assert dreams.shape == (36, 28, 28) and dreams.min() >= 0 and dreams.max() <= 1


def test_a_run_saved_with_its_own_step_count_still_loads():
    """Runs saved before the lesson read the loop's step count carry theirs in the state."""
    trained = built()
    train_steps(trained, 45)
    old_format = {**trained.state_dict(), "stack_copied": True, "steps_done": trained.step}
    fresh = built()
    restore(fresh, old_format, 45)
    assert fresh.snapshot()["stages"].rows == trained.snapshot()["stages"].rows
    for name, net in trained.classifiers.items():
        torch.testing.assert_close(fresh.classifiers[name][0].weight, net[0].weight)

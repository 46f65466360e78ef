"""Shared fixtures of the lesson tests."""

import pytest
import torch

from unsuplab.core.checkpoint import save_run
from unsuplab.core.history import MetricHistory
from unsuplab.core.stepping import train_steps


@pytest.fixture
def saved_before_setting(tmp_path):
    """`save(experiment, name)`: the path of `experiment`'s run after 3 steps, written as before its
    setting `name` existed (the key missing from the saved config)."""

    def save(experiment, name: str):
        train_steps(experiment, 3)
        path = tmp_path / "old.pt"
        save_run(path, experiment, 3, MetricHistory())
        record = torch.load(path, weights_only=True)
        del record["config"][name]
        torch.save(record, path)
        return path

    return save

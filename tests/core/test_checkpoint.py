"""Run files: a saved autoencoder reloads to the same outputs, and anything else is refused by name."""

from __future__ import annotations

import os
import pickle
from typing import Any

import numpy as np
import pytest
import torch

from unsuplab.core.checkpoint import FORMAT, VERSION, CheckpointError, load_run, save_run
from unsuplab.core.config import with_overrides
from unsuplab.core.history import MetricHistory
from unsuplab.experiments.autoencoder import Autoencoder


def trained_autoencoder(seed: int = 0, steps: int = 5) -> Autoencoder:
    experiment = Autoencoder(with_overrides(Autoencoder.Config(), {"batch_size": 16}))
    experiment.build("cpu", seed)
    for _ in range(steps):
        experiment.train_step()
    return experiment


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A five-step autoencoder run on disk, and the experiment that wrote it."""
    experiment = trained_autoencoder()
    history = MetricHistory()
    history.record(0, {"heldout_loss": 0.7})
    history.record(5, {"loss": 0.6, "heldout_loss": 0.65})
    path = tmp_path_factory.mktemp("run") / "checkpoint.pt"
    save_run(path, experiment, 5, history)
    return path, experiment, history


DRAWING = np.random.default_rng(0).random((28, 28), dtype=np.float32)


def reconstruct(experiment: Autoencoder) -> np.ndarray:
    return experiment.probe("reconstruct", image=DRAWING)["drawing"].rows["reconstruction"]


def assert_same_tree(a: Any, b: Any) -> None:
    """Nested dicts/lists of tensors and plain values, equal leaf by leaf."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_tree(x, y)
    else:
        assert a == b


def test_save_then_load_gives_identical_outputs(saved):
    path, original, history = saved
    assert not path.with_name(path.name + ".partial").exists()
    run = load_run(path, expected_lesson="autoencoder")
    assert (run.lesson, run.step, run.config) == ("autoencoder", 5, original.config)
    assert run.history.to_dict() == history.to_dict()

    again = Autoencoder(run.config)
    again.build("cpu", seed=123)  # a different initialisation, replaced by the saved weights
    assert not np.array_equal(reconstruct(again), reconstruct(original))
    again.load_state_dict(run.state)
    assert np.array_equal(reconstruct(again), reconstruct(original))
    assert_same_tree(again.state_dict(), original.state_dict())  # optimiser moments included


def test_a_run_from_another_lesson_is_refused_naming_both(saved):
    path = saved[0]
    with pytest.raises(CheckpointError) as info:
        load_run(path, expected_lesson="sparse-autoencoder")
    message = str(info.value)
    assert str(path) in message and "'autoencoder'" in message and "'sparse-autoencoder'" in message


def test_a_truncated_file_is_refused_naming_the_file(saved, tmp_path):
    cut = tmp_path / "cut.pt"
    data = saved[0].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_run(cut)
    assert str(cut) in str(info.value)


class RunsCode:
    """Unpickling this calls os.system: what a hostile "checkpoint" would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_a_file_that_would_run_code_is_refused_and_the_code_never_runs(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    record = {"format": FORMAT, "version": VERSION, "lesson": "autoencoder",
              "state": RunsCode(marker)}
    if writer == "torch":
        torch.save(record, path)
    else:
        path.write_bytes(pickle.dumps(record, protocol=2))
    with pytest.raises(CheckpointError) as info:
        load_run(path)
    assert str(path) in str(info.value)
    assert "call Python code" in str(info.value) and "system" in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_are_refused(tmp_path, seed):
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(seed).bytes(4096))
    with pytest.raises(CheckpointError) as info:  # and no other exception, whatever the bytes
        load_run(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("content", "words"), [(b"", "the file is empty"),
                                                 (b"hello, world\n", "truncated or corrupt")])
def test_empty_and_text_files_are_refused(tmp_path, content, words):
    path = tmp_path / "odd.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=words):
        load_run(path)


def test_a_plain_torch_dict_without_the_header_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"encoder.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(CheckpointError, match=f"no '{FORMAT}' header") as info:
        load_run(path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_run(tmp_path / "absent.pt")


@pytest.mark.parametrize(("change", "words"), [
    ({"version": 99}, "version 99 is not supported"),
    ({"lesson": "time-machine"}, "'time-machine', which this unsuplab does not have"),
    ({"config": "not a dict"}, "damaged run file"),
    ({"config": {"code_size": 0}}, "code_size"),
    ({"state": [1, 2]}, "damaged run file"),
])
def test_damaged_records_are_refused_saying_what_is_wrong(saved, tmp_path, change, words):
    record = torch.load(saved[0], weights_only=True)
    record.update(change)
    path = tmp_path / "damaged.pt"
    torch.save(record, path)
    with pytest.raises(CheckpointError, match=words):
        load_run(path)

"""Run files: a saved autoencoder reloads to the same outputs, and anything else is refused by name."""

from __future__ import annotations

import errno
import os
import pickle
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest
import torch

from unsuplab.atomic import OutputError, partial_path
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
    record = {"format": FORMAT, "version": VERSION, "lesson": "autoencoder", "state": RunsCode(marker)}
    if writer == "torch":
        torch.save(record, path)
    else:
        path.write_bytes(pickle.dumps(record, protocol=2))
    with pytest.raises(CheckpointError) as info:
        load_run(path)
    message = str(info.value)
    assert str(path) in message
    assert "tries to run code" in message and "not loaded" in message and "system" in message
    assert "weights_only" not in message and "trust" not in message  # never the unsafe path
    assert not marker.exists()


class Plain:
    """An ordinary object: no payload, but still not a tensor or a plain value."""


def test_a_file_holding_other_objects_is_refused_without_torchs_unsafe_advice(tmp_path):
    path = tmp_path / "objects.pt"
    torch.save({"format": FORMAT, "version": VERSION, "state": {"w": Plain()}}, path)
    with pytest.raises(CheckpointError) as info:
        load_run(path)
    message = str(info.value)
    assert str(path) in message and "not loaded" in message and "Plain" in message
    assert "other than tensors" in message
    assert "weights_only" not in message and "PyTorch" not in message and "trust" not in message


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_are_refused(tmp_path, seed):
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(seed).bytes(4096))
    with pytest.raises(CheckpointError) as info:  # and no other exception, whatever the bytes
        load_run(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "words"), [(b"", "the file is empty"), (b"hello, world\n", "truncated or corrupt")]
)
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


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"version": 99}, "version 99 is not supported"),
        ({"lesson": "time-machine"}, "'time-machine', which this unsuplab does not have"),
        ({"config": "not a dict"}, "damaged run file"),
        ({"config": {"code_size": 0}}, "code_size"),
        ({"state": [1, 2]}, "damaged run file"),
    ],
)
def test_damaged_records_are_refused_saying_what_is_wrong(saved, tmp_path, change, words):
    record = torch.load(saved[0], weights_only=True)
    record.update(change)
    path = tmp_path / "damaged.pt"
    torch.save(record, path)
    with pytest.raises(CheckpointError, match=words):
        load_run(path)


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")])
def test_weights_that_are_not_finite_are_refused_naming_the_tensor(saved, tmp_path, bad_value):
    record = torch.load(saved[0], weights_only=True)
    name, tensor = next((k, v) for k, v in record["state"]["model"].items() if v.is_floating_point())
    tensor = tensor.clone()
    tensor.view(-1)[3] = bad_value
    record["state"]["model"][name] = tensor
    path = tmp_path / "diverged.pt"
    torch.save(record, path)
    with pytest.raises(CheckpointError, match=rf"diverged\.pt: .*not finite.* in state\.model\.{name}"):
        load_run(path)


# --- writing: whole or not at all ---------------------------------------------------------------


def no_space_after(limit: int):
    """An `open` for the temp file whose writes fail with ENOSPC once `limit` bytes are written."""
    real_open = open

    class FullDisk:
        def __init__(self, f):
            self.f, self.written = f, 0

        def write(self, data):
            self.written += len(data)
            if self.written > limit:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    return lambda *args, **kwargs: FullDisk(real_open(*args, **kwargs))


def test_a_full_disk_keeps_the_earlier_file_and_leaves_no_temp_file(saved, tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(saved[0].read_bytes())
    before = path.read_bytes()
    monkeypatch.setattr("unsuplab.atomic.open", no_space_after(1000), raising=False)
    with pytest.raises(OutputError) as info:
        save_run(path, saved[1], 6, saved[2])
    assert str(info.value) == f"{path}: cannot write (No space left on device)"
    assert path.read_bytes() == before
    assert not partial_path(path).exists()


def test_an_unwritable_folder_is_one_output_error_naming_the_file(saved, tmp_path):
    path = tmp_path / "missing-folder" / "checkpoint.pt"
    with pytest.raises(OutputError, match=r"checkpoint.pt: cannot write \(No such file"):
        save_run(path, saved[1], 5, saved[2])


def test_the_next_save_replaces_a_stale_partial_file(saved, tmp_path):
    path = tmp_path / "checkpoint.pt"
    partial_path(path).write_bytes(b"half a run from a killed save")
    save_run(path, saved[1], 5, saved[2])
    assert not partial_path(path).exists()
    assert load_run(path).step == 5


def test_a_partial_file_is_never_loaded(saved, tmp_path):
    partial = partial_path(tmp_path / "checkpoint.pt")
    partial.write_bytes(saved[0].read_bytes())  # even a complete-looking one
    with pytest.raises(CheckpointError, match="unfinished save") as info:
        load_run(partial)
    assert "open checkpoint.pt instead" in str(info.value)


KILLED_SAVER = """
import sys
from unsuplab.atomic import OutputError, partial_path
from unsuplab.core.checkpoint import save_run
from unsuplab.core.history import MetricHistory
from unsuplab.experiments.deep_autoencoder import DeepAutoencoder
from unsuplab.core.config import with_overrides
experiment = DeepAutoencoder(with_overrides(DeepAutoencoder.Config(), {"hidden_sizes": "1500,1000"}))
experiment.build("cpu", 0)
step = 0
while True:
    save_run(sys.argv[1], experiment, step, MetricHistory())
    step += 1
    print(step, flush=True)
"""


def test_kill_9_while_saving_leaves_a_loadable_run_and_the_next_save_cleans_up(saved, tmp_path):
    """A process killed in the middle of its saves: the file holds a whole earlier save, and the
    temp file the kill left is gone after the next save."""
    path = tmp_path / "checkpoint.pt"
    saver = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert saver.stdout.readline().strip() == "1"  # one whole save exists
        deadline = time.monotonic() + 60
        while not partial_path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.001)  # polling a file another process writes; not waiting on our own
        saver.kill()
    finally:
        saver.kill()
        saver.wait(timeout=60)
    assert partial_path(path).exists(), "the kill did not land during a save"
    assert load_run(path).lesson == "deep-autoencoder"
    with pytest.raises(CheckpointError):
        load_run(partial_path(path))
    save_run(path, saved[1], 5, saved[2])
    assert not partial_path(path).exists() and load_run(path).step == 5

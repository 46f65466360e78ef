"""A saved run keeps its timeline: it reopens the same, branches exactly, and a damaged timeline is
refused by the file's name while the run's weights still open."""

from __future__ import annotations

import pytest
import torch
from test_recording import lesson_run
from test_timeline import assert_same

from unsuplab.core.checkpoint import load_run, save_run
from unsuplab.core.loop import branch_restore


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 12-step autoencoder run saved with its timeline: the file, the lesson, its timeline and
    its history."""
    experiment, _, timeline, history = lesson_run("autoencoder", 12)
    path = tmp_path_factory.mktemp("run") / "run.pt"
    save_run(path, experiment, 12, history, timeline)
    return path, experiment, timeline, history


def tampered(saved, tmp_path, change) -> str:
    """A copy of the saved run with `change` applied to its timeline record."""
    record = torch.load(saved[0], weights_only=True)
    change(record["timeline"])
    path = tmp_path / "tampered.pt"
    torch.save(record, path)
    return str(path)


def test_a_saved_run_reopens_with_the_same_timeline_and_keyframes(saved):
    path, experiment, timeline, history = saved
    run = load_run(path)
    assert run.timeline_problem is None
    assert run.timeline.steps() == timeline.steps() == list(range(13))
    assert run.timeline.keyframe_steps() == timeline.keyframe_steps() == [0, 1, 2, 4, 8]
    for step in timeline.steps():
        again, first = run.timeline.frame_at(step), timeline.frame_at(step)
        assert (again.step, again.metrics) == (first.step, first.metrics)
        assert_same(again.payloads, first.payloads)
    restore = run.restore()
    assert restore.timeline is run.timeline and restore.step == 12
    assert set(restore.random) == {"generator"}


def test_a_branch_from_a_reopened_run_repeats_the_original(saved):
    path, _, timeline, history = saved
    run = load_run(path)
    _, _, branched, again = lesson_run(
        "autoencoder", 12, restore=branch_restore(run.timeline, run.history, 6)
    )
    _, original = history.series("bce")
    assert again.series("bce")[1][-8:].tolist() == original[-8:].tolist()
    assert_same(branched.frame_at(12).payloads, timeline.frame_at(12).payloads)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t["payloads"].pop(), "points at no stored payload"),  # truncated
        (lambda t: t.pop("frames"), "missing field 'frames'"),
        (lambda t: t["frames"][3].update(step=1), "frame 3: step 1 does not come after step 2"),
        (
            lambda t: t["payloads"][0]["fields"].update(images=torch.zeros(3)),
            "images has shape (3,)",
        ),
        (lambda t: t.update(version=99), "version 99 is not supported"),
    ],
)
def test_a_damaged_timeline_is_refused_by_name_and_the_weights_still_open(saved, tmp_path, change, words):
    path = tampered(saved, tmp_path, change)
    run = load_run(path)
    assert run.timeline is None
    assert run.timeline_problem.startswith(f"{path}: damaged timeline")
    assert words in run.timeline_problem
    assert run.step == 12 and run.restore().timeline is None
    for key, tensor in saved[1].state_dict()["model"].items():
        assert torch.equal(run.state["model"][key], tensor)


def test_a_run_saved_without_a_timeline_opens_without_one(saved, tmp_path):
    path = tmp_path / "plain.pt"
    save_run(path, saved[1], 12, saved[3])
    run = load_run(path)
    assert run.timeline is None and run.timeline_problem is None

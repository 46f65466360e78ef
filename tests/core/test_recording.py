"""The run loop records its timeline: a recorded step shows what a run stopped there showed, and
a branch from a keyframe repeats the run that recorded it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from test_loop import Counter, FakeClock, start, state_is, until
from test_timeline import assert_same

from unsuplab.core.config import with_overrides
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import (
    RunControl,
    Snapshot,
    StateChanged,
    branch_restore,
    curve_payloads,
    run,
    shown_at,
)
from unsuplab.core.registry import lesson
from unsuplab.core.timeline import Timeline


def lesson_run(
    name: str, steps: int, settings: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[Any, Snapshot, Timeline, MetricHistory]:
    """Train a lesson with quick settings (and `settings`) to `steps`, a snapshot after every
    step, on a clock that never moves (so held-out evaluations come only at the start and the
    end): the lesson, its final snapshot, its timeline and its history."""
    cls = lesson(name)
    chosen = {**cls.quick_settings, **(settings or {})}
    experiment = cls(with_overrides(cls.Config(), {k: str(v) for k, v in chosen.items()}))
    restore = kwargs.get("restore")
    timeline = restore.timeline if restore is not None else Timeline()
    control = RunControl(step_limit=steps)
    events = run(
        experiment, control, seed=3, snapshot_interval=0.0, clock=lambda: 0.0, timeline=timeline, **kwargs
    )
    shown = None
    for event in events:
        if isinstance(event, Snapshot):
            shown = event
        if isinstance(event, StateChanged) and event.state in ("finished", "failed"):
            assert event.state == "finished", event
            break
    events.close()
    return experiment, shown, timeline, restore.history if restore is not None else _history_of(shown)


def _history_of(snapshot: Snapshot) -> MetricHistory:
    """The history behind a snapshot's curve panels (every series, as recorded)."""
    history = MetricHistory()
    for payload in snapshot.payloads.values():
        if payload.kind == "curves" and payload.x_label == "step":
            for name, (x, values) in payload.series.items():
                for step, value in zip(x.tolist(), values.tolist(), strict=True):
                    history.record(step, {name: value})
    return history


def test_every_snapshot_is_recorded_with_its_step_metrics_and_payloads_but_no_history_curves():
    experiment = Counter(FakeClock())
    timeline = Timeline()
    seen = until(
        start(experiment, RunControl(step_limit=5), snapshot_interval=0.0, timeline=timeline),
        state_is("finished"),
    )
    shots = {e.progress.step: e for e in seen if isinstance(e, Snapshot)}
    assert timeline.steps() == sorted(shots)
    for step, snapshot in shots.items():
        frame = timeline.frame_at(step)
        assert frame.metrics == snapshot.metrics
        assert not any(key.startswith("curves:") for key in frame.payloads)
        assert_same(
            shown_at(frame, curve_payloads(experiment, _history_of(snapshot))).payloads, snapshot.payloads
        )
    # Keyframes at the first snapshot and where the step passes a power of two.
    assert timeline.keyframe_steps() == [0, 1, 2, 4]


def test_a_rollback_forgets_the_recorded_steps_after_the_good_state():
    experiment = Counter(FakeClock(), nan_at=9)
    timeline = Timeline()
    until(
        start(experiment, RunControl(), snapshot_interval=0.0, timeline=timeline, good_state_interval=0.0),
        state_is("failed"),
    )
    assert timeline.steps()[-1] < 9
    assert max(timeline.keyframe_steps()) < 9


@pytest.mark.parametrize("name", ["autoencoder", "rbm"])
def test_scrubbing_to_a_recorded_step_shows_what_a_run_stopped_there_showed(name):
    experiment, last, timeline, _ = lesson_run(name, 14)
    _, stopped, _, _ = lesson_run(name, 9)
    frame = timeline.frame_at(9)
    assert frame.step == 9
    pictures = {k: p for k, p in stopped.payloads.items() if p.kind != "curves"}
    assert list(frame.payloads) == list(pictures)
    assert_same(frame.payloads, pictures)
    # The curves a scrub shows are the history cut at the step (training losses, which both
    # runs recorded at every step; evaluations came at different moments).
    shown = shown_at(frame, curve_payloads(experiment, _history_of(last))).payloads
    for key, panel in stopped.payloads.items():
        if panel.kind == "curves":
            for series, (x, values) in panel.series.items():
                if 1 in x.tolist():
                    assert_same(shown[key].series[series], (x, values))


@pytest.mark.parametrize(
    ("name", "settings"),
    [("autoencoder", {}), ("denoising-autoencoder", {}), ("rbm", {"method": "pcd"})],
)
def test_a_branch_with_the_same_seed_and_settings_repeats_the_run_from_its_keyframe(name, settings):
    cls = lesson(name)
    metric = next(iter(cls.curves.values()))[0]  # a training loss, recorded at every step
    _, _, timeline, history = lesson_run(name, 24, settings)
    restore = branch_restore(timeline, history, 13)
    assert restore.step == 8  # the keyframe at or before step 13
    assert restore.history.series(metric)[0][-1] == 8
    assert restore.timeline.steps()[-1] == 8 and timeline.steps()[-1] == 24  # the original goes on
    _, _, branched, again = lesson_run(name, 24, settings, restore=restore)
    original, again = history.series(metric), again.series(metric)
    assert again[0][-1] == 24
    picked = original[0] > 8
    assert np.array_equal(original[1][picked], again[1][again[0] > 8])
    assert branched.steps() == timeline.steps()  # the shared past, then the same future
    for step in range(25):
        assert_same(branched.frame_at(step).payloads, timeline.frame_at(step).payloads)


def test_a_branch_needs_a_keyframe_at_or_before_its_step():
    timeline = Timeline()
    timeline.record(3, 0.0, {}, {})
    timeline.add_keyframe(5, {"lesson": {}, "random": {}})
    with pytest.raises(ValueError, match="no keyframe at or before step 4"):
        branch_restore(timeline, MetricHistory(), 4)


def test_restored_frames_stay_shared_with_the_timeline_they_came_from():
    timeline = Timeline()
    for step in range(6):
        timeline.record(step, float(step), {"loss": 1.0 / (step + 1)}, {})
        timeline.add_keyframe(step, {"lesson": {"w": np.full(2, step)}, "random": {}})
    past = timeline.until(3)
    assert past.steps() == [0, 1, 2, 3] and past.keyframe_steps() == [0, 1, 2, 3]
    assert past.frame_at(2) is timeline.frame_at(2)
    assert dataclasses.asdict(past.frame_at(3)) == dataclasses.asdict(timeline.frame_at(3))


def test_without_the_keyframes_random_state_a_branch_draws_other_minibatches():
    _, _, timeline, history = lesson_run("autoencoder", 12)
    restore = branch_restore(timeline, history, 12)
    restore.random = None
    _, _, _, again = lesson_run("autoencoder", 12, restore=restore)
    assert not np.array_equal(history.series("bce")[1][-4:], again.series("bce")[1][-4:])

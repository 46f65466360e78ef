"""The run loop driven with next(): a pure-Python experiment and a fake clock, no torch, no Qt."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from unsuplab.core import loop
from unsuplab.core.config import param
from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import (
    Event,
    Notice,
    ProbeResult,
    Restore,
    RunControl,
    RunFailed,
    Snapshot,
    StateChanged,
    run,
)
from unsuplab.core.payloads import ImageGrid, Table


class FakeClock:
    """Time that moves only when the experiment says a step took some."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class CounterConfig:
    rate: float = param(0.5, "Added to every weight each step.", low=0.0, high=10.0, live=True)
    width: int = param(3, "Number of weights.", low=1, high=10)


class Counter(Experiment):
    """Weights that grow by `rate` a step; the loss is 1/step. Knobs make it fail on purpose."""

    name = "counter"
    title = "Counter"
    group = "Classical"
    Config = CounterConfig
    curves = {"Loss": ("loss", "heldout_loss")}

    def __init__(
        self,
        clock: FakeClock,
        *,
        step_time: float = 0.0,
        nan_at: int | None = None,
        fail_at: int | None = None,
        fail_build: bool = False,
    ):
        super().__init__()
        self.clock, self.step_time = clock, step_time
        self.nan_at, self.fail_at, self.fail_build = nan_at, fail_at, fail_build
        self.snapshot_times: list[float] = []
        self.live_changes: list[tuple[str, Any]] = []
        self.steps = 0

    def build(self, device: str, seed: int) -> None:
        if self.fail_build:
            raise RuntimeError("no data here")
        self.w = np.zeros(self.config.width)

    def train_step(self) -> dict[str, float]:
        if self.steps + 1 == self.fail_at:
            raise RuntimeError("boom")
        self.steps += 1
        self.w = self.w + self.config.rate
        self.clock.now += self.step_time
        return {"loss": float("nan") if self.steps == self.nan_at else 1.0 / self.steps}

    def evaluate(self) -> dict[str, float]:
        return {"heldout_loss": float(self.w.sum())}

    def snapshot(self) -> dict[str, Any]:
        self.snapshot_times.append(self.clock())
        return {"weights": ImageGrid("Weights", self.w.reshape(1, 1, -1).copy())}

    def state_dict(self) -> dict[str, Any]:
        return {"w": self.w.copy(), "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.w, self.steps = state["w"].copy(), state["steps"]

    def on_live_change(self, name: str, value: Any) -> None:
        self.live_changes.append((name, value))

    def probe(self, command: str, **kwargs: Any) -> dict[str, Any]:
        if command == "double":
            return {"answer": Table("Doubled", ["value"], [[2 * kwargs["x"]]])}
        if command == "explode":
            raise ValueError("probe went wrong")
        return super().probe(command, **kwargs)


def start(experiment: Counter, control: RunControl, **kwargs: Any) -> Iterator[Event]:
    kwargs.setdefault("snapshot_interval", 0.1)
    return run(experiment, control, clock=experiment.clock, **kwargs)


def until(events: Iterator[Event], done: Callable[[Event], bool], limit: int = 500) -> list[Event]:
    """Events up to and including the first for which `done` is true."""
    seen = []
    for event in events:
        seen.append(event)
        if done(event):
            return seen
        assert len(seen) < limit, f"no matching event in {limit}: {seen[-5:]}"
    raise AssertionError(f"the loop ended first: {seen[-5:]}")


def state_is(name: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, StateChanged) and e.state == name


def of_type(kind: type) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, kind)


def stop_soon(control: RunControl, seconds: float = 0.3) -> threading.Timer:
    """Stop the loop from another thread, as the window's Stop button does, so a paused loop
    (which yields nothing while it waits) lets next() return."""
    timer = threading.Timer(seconds, control.stop)
    timer.start()
    return timer


def snapshots(events: list[Event]) -> list[Snapshot]:
    return [e for e in events if isinstance(e, Snapshot)]


def test_the_first_snapshot_comes_at_once_with_held_out_metrics_and_curves():
    experiment = Counter(FakeClock())
    events = start(experiment, RunControl(step_limit=1))
    first, second = next(events), next(events)
    assert first == StateChanged("building", "Building Counter on cpu")
    assert isinstance(second, Snapshot) and second.progress.step == 0
    assert second.metrics == {"heldout_loss": 0.0}
    assert set(second.payloads) == {"curves:Loss", "weights"}


def test_snapshots_follow_the_clock_at_most_once_per_interval():
    experiment = Counter(FakeClock(), step_time=0.03)
    events = list(until(start(experiment, RunControl(step_limit=60)), state_is("finished")))
    shots = snapshots(events)
    times = experiment.snapshot_times
    # Every snapshot but the one forced at the step limit waited a full interval of clock time.
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(times[:-2], times[1:-1], strict=True))
    assert 10 <= len(shots) <= 20  # 60 steps of 0.03 s = 1.8 s, one snapshot per ~0.12 s
    assert shots[-1].progress.step == 60
    steps = [s.progress.step for s in shots]
    assert steps == sorted(steps)
    assert "heldout_loss" in shots[-1].metrics  # the finish evaluates the final weights


def test_a_frozen_clock_gives_no_snapshots_between_start_and_step_limit():
    experiment = Counter(FakeClock())
    events = until(start(experiment, RunControl(step_limit=200)), state_is("finished"))
    assert [s.progress.step for s in snapshots(events)] == [0, 200]
    assert experiment.steps == 200
    assert events[-1].message == "Reached the step limit (200)"


def test_a_finished_run_ends_with_held_out_metrics_of_its_final_weights():
    # Regular snapshots land exactly on the limit and held-out evaluation is rare, so only the
    # finish itself can provide the final held-out figure.
    experiment = Counter(FakeClock(), step_time=0.25)
    events = start(experiment, RunControl(step_limit=10), snapshot_interval=0.5, eval_interval=100.0)
    last = snapshots(until(events, state_is("finished")))[-1]
    assert last.progress.step == 10
    assert last.metrics["heldout_loss"] == 10 * 0.5 * 3
    assert last.payloads["curves:Loss"].series["heldout_loss"][0].tolist() == [0, 10]


class SlowSnapshots(Counter):
    """Fast steps (10 ms) and a snapshot that costs a whole second, like a lesson that embeds
    its held-out set for every picture."""

    def snapshot(self) -> dict[str, Any]:
        self.clock.now += 1.0
        return super().snapshot()


def test_the_speed_and_eta_count_the_time_snapshots_take(monkeypatch):
    # Snapshots as often as asked, however slow (spacing slow ones out is test_loop_pacing's).
    monkeypatch.setattr(loop, "PART_SHARE", 2.0)
    experiment = SlowSnapshots(FakeClock(), step_time=0.01)
    events = start(experiment, RunControl(step_limit=400), snapshot_interval=0.5, eval_interval=100.0)
    shots = snapshots(until(events, lambda e: isinstance(e, Snapshot) and e.progress.step >= 200))
    progress = shots[-1].progress
    # Each 1.5 s of clock makes ~50 steps (0.5 s of steps, then a 1 s snapshot): ~33 steps/s,
    # not the 100 steps/s of the steps alone; the ETA follows.
    assert 25 <= progress.steps_per_s <= 40
    left = (400 - progress.step) / 33.3
    assert 0.8 * left <= progress.eta <= 1.25 * left


def test_a_paused_run_takes_no_steps():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    stop_soon(control)
    rest = list(events)  # waits while paused until the other thread stops the loop
    assert experiment.steps == 0
    assert rest[-1].state == "stopped"


def test_pausing_a_running_loop_stops_its_steps():
    experiment = Counter(FakeClock(), step_time=0.05)
    control = RunControl()
    events = start(experiment, control)
    seen = until(events, lambda e: isinstance(e, Snapshot) and e.progress.step >= 6)
    control.pause()
    seen += until(events, state_is("paused"))
    steps_at_pause = experiment.steps
    assert snapshots(seen)[-1].progress.step == steps_at_pause  # views show the paused state
    stop_soon(control)
    list(events)
    assert experiment.steps == steps_at_pause


def test_step_advances_exactly_one_step_then_stays_paused():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    control.step()
    seen = until(events, state_is("paused"))
    assert experiment.steps == 1
    assert [e.state for e in seen if isinstance(e, StateChanged)] == ["running", "paused"]
    assert snapshots(seen)[-1].progress.step == 1
    control.step(3)
    until(events, state_is("paused"))
    assert experiment.steps == 4


def test_stop_ends_the_generator():
    experiment = Counter(FakeClock(), step_time=0.05)
    control = RunControl()
    events = start(experiment, control)
    until(events, lambda e: isinstance(e, Snapshot) and e.progress.step > 0)
    control.stop()
    rest = list(events)
    assert rest[-1].state == "stopped"
    assert "steps this session" in rest[-1].message
    with pytest.raises(StopIteration):
        next(events)


def test_after_the_step_limit_the_loop_still_answers_probes():
    experiment = Counter(FakeClock())
    control = RunControl(step_limit=5)
    events = start(experiment, control)
    until(events, state_is("finished"))
    control.submit("double", x=21)
    answer = until(events, of_type(ProbeResult))[-1]
    assert answer.command == "double" and answer.payloads["answer"].rows == [[42]]
    assert experiment.steps == 5


def test_raising_the_limit_and_resuming_trains_on_to_the_new_limit():
    experiment = Counter(FakeClock())
    control = RunControl(step_limit=5)
    events = start(experiment, control)
    until(events, state_is("finished"))
    control.set_step_limit(8)
    control.resume()
    until(events, state_is("finished"))
    assert experiment.steps == 8


def test_a_live_set_param_reaches_the_experiment():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    control.submit("set_param", name="rate", value="0.25")  # text, as a form field sends it
    notice = until(events, of_type(Notice))[-1]
    assert not notice.error and "rate" in notice.message
    assert experiment.config.rate == 0.25 and experiment.live_changes == [("rate", 0.25)]
    control.step()
    until(events, state_is("paused"))
    assert experiment.w.tolist() == [0.25] * 3


def test_a_metric_reported_by_some_steps_is_averaged_over_those_steps_only():
    class Staged(Counter):
        def train_step(self) -> dict[str, float]:
            losses = super().train_step()
            return {**losses, "stage_two": 4.0} if self.steps > 2 else losses

    experiment = Staged(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    control.step(4)
    snapshot = until(events, lambda e: isinstance(e, Snapshot) and e.progress.step == 4)[-1]
    assert snapshot.metrics["stage_two"] == 4.0  # steps 3 and 4, not divided by all four steps
    assert snapshot.metrics["loss"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)


def test_a_live_change_while_paused_is_shown_without_a_step():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    shown = len(experiment.snapshot_times)
    control.submit("set_param", name="rate", value=2.0)
    snapshot = until(events, of_type(Snapshot))[-1]
    assert snapshot.progress.step == 0 and experiment.steps == 0
    assert len(experiment.snapshot_times) == shown + 1


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("width", 5, "width cannot change while training"),
        ("rate", "fast", "rate"),
        ("rate", 50.0, "above the maximum"),
        ("nonsense", 1, "nonsense"),
    ],
)
def test_a_refused_set_param_gives_an_error_notice_and_changes_nothing(name, value, words):
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    control.submit("set_param", name=name, value=value)
    notice = until(events, of_type(Notice))[-1]
    assert notice.error and words in notice.message
    assert experiment.config == CounterConfig() and experiment.live_changes == []


def test_a_probe_that_raises_gives_an_error_notice_and_training_continues():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    control.submit("explode")
    control.submit("no_such_probe")
    control.step()
    seen = until(events, state_is("paused"))
    errors = [e.message for e in seen if isinstance(e, Notice) and e.error]
    assert errors == [
        "explode failed: probe went wrong",
        "no_such_probe failed: Counter has no probe 'no_such_probe'",
    ]
    assert experiment.steps == 1
    assert not any(isinstance(e, RunFailed) for e in seen)


def test_a_nan_loss_fails_the_run_and_rolls_back_to_the_last_good_state():
    experiment = Counter(FakeClock(), step_time=0.04, nan_at=30)
    control = RunControl()
    events = start(experiment, control, good_state_interval=0.25)
    seen = until(events, of_type(RunFailed))
    failure = seen[-1]
    good = failure.restored_step
    assert good is not None and 0 < good < 30
    assert "loss became nan" in failure.message and f"from step {good}" in failure.message
    # The weights are the ones from the restored step, not from the diverged one.
    assert experiment.steps == good
    assert experiment.w.tolist() == [0.5 * good] * 3
    assert next(events) == StateChanged("failed")
    assert all(np.isfinite(list(s.metrics.values())).all() for s in snapshots(seen))
    # The step count and the curves go back with the weights; the paused run shows them.
    shown = until(events, of_type(Snapshot))[-1]
    assert shown.progress.step == good
    assert shown.payloads["curves:Loss"].series["loss"][0].max() <= good


def test_a_nan_found_by_the_snapshot_at_the_step_limit_fails_rather_than_finishes():
    experiment = Counter(FakeClock(), nan_at=3)
    events = start(experiment, RunControl(step_limit=10))
    seen = until(events, lambda e: isinstance(e, StateChanged) and e.state in ("finished", "failed"))
    assert isinstance(seen[-2], RunFailed) and seen[-2].restored_step == 0
    assert seen[-1] == StateChanged("failed")
    assert experiment.steps == 0


def test_an_exception_in_train_step_fails_the_run_and_the_loop_keeps_serving():
    experiment = Counter(FakeClock(), fail_at=4)
    control = RunControl()
    events = start(experiment, control)
    seen = until(events, of_type(RunFailed))
    failure = seen[-1]
    assert failure.message == "Counter failed at step 4: boom"
    assert "RuntimeError: boom" in failure.detail
    assert failure.restored_step == 0 and experiment.steps == 0
    until(events, state_is("failed"))
    control.submit("double", x=2)
    assert until(events, of_type(ProbeResult))[-1].payloads["answer"].rows == [[4]]
    control.stop()
    assert list(events)[-1].state == "stopped"


def test_an_exception_in_build_is_reported_and_ends_the_generator():
    events = start(Counter(FakeClock(), fail_build=True), RunControl())
    assert next(events).state == "building"
    failure = next(events)
    assert isinstance(failure, RunFailed)
    assert failure.message == "Could not start Counter: no data here"
    assert list(events) == []


def test_a_restored_run_continues_from_its_step_and_history():
    history = MetricHistory()
    history.record(10, {"loss": 0.1})
    state = {"w": np.full(3, 5.0), "steps": 10}
    experiment = Counter(FakeClock())
    events = start(experiment, RunControl(step_limit=12), restore=Restore(state, 10, history))
    seen = until(events, state_is("finished"))
    assert snapshots(seen)[0].progress.step == 10
    assert experiment.w.tolist() == [6.0] * 3 and experiment.steps == 12
    assert history.series("loss")[0].tolist() == [10, 12]


# -- requests carry their id ------------------------------------------------------------------------
def test_every_answer_and_failure_carries_the_id_of_its_request():
    experiment = Counter(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    asked = {
        control.submit("double", x=1): "double",
        control.submit("explode"): "explode",
        control.submit("set_param", name="rate", value=1.0): "set_param",
    }
    assert len(asked) == 3  # three different ids
    seen = until(events, lambda e: isinstance(e, Notice) and e.command == "set_param")
    answers = [e for e in seen if isinstance(e, ProbeResult | Notice)]
    assert [(asked[e.request_id], type(e).__name__) for e in answers] == [
        ("double", "ProbeResult"),
        ("explode", "Notice"),
        ("set_param", "Notice"),
    ]
    failure = answers[1]
    assert failure.error and failure.command == "explode"
    assert not answers[2].error


# -- the step count the lesson reads -----------------------------------------------------------------
def test_the_experiment_reads_its_step_count_before_during_and_after_a_rollback():
    class Watcher(Counter):
        def train_step(self) -> dict[str, float]:
            self.seen.append(self.step)
            return super().train_step()

    experiment = Watcher(FakeClock(), step_time=0.04, nan_at=30)
    experiment.seen = []
    history = MetricHistory()
    events = start(
        experiment,
        RunControl(),
        restore=Restore({"w": np.zeros(3), "steps": 0}, 0, history),
        good_state_interval=0.25,
    )
    failure = until(events, of_type(RunFailed))[-1]
    assert experiment.seen == list(range(30))  # inside step n+1, n steps were done
    assert experiment.step == failure.restored_step == experiment.steps


def test_a_restored_run_starts_counting_at_its_saved_step():
    experiment = Counter(FakeClock())
    state = {"w": np.full(3, 5.0), "steps": 10}
    events = start(experiment, RunControl(step_limit=12), restore=Restore(state, 10, MetricHistory()))
    assert next(events).state == "building"
    next(events)
    assert experiment.step == 10
    until(events, state_is("finished"))
    assert experiment.step == 12


# -- issue 19, fault 5: a rollback never restores weights whose own loss was not seen -------------
class PoisonedUpdate(Counter):
    """The loss is measured before the update (as a real step does); the update of `poison_at`
    writes NaN weights, whose loss only the next step sees."""

    poison_at = 6

    def train_step(self) -> dict[str, float]:
        loss = float(self.w.sum()) if self.steps else 1.0  # on the weights before the update
        self.steps += 1
        self.w = self.w + (np.nan if self.steps == self.poison_at else self.config.rate)
        self.clock.now += self.step_time
        return {"loss": loss}


def test_a_rollback_restores_weights_whose_own_loss_was_seen_finite():
    # A snapshot after every step; a good-state copy is due every third step, so one falls right
    # after the poisoned update (times in binary fractions: exact sums).
    experiment = PoisonedUpdate(FakeClock(), step_time=0.125)
    events = start(experiment, RunControl(), snapshot_interval=0.125, good_state_interval=0.375)
    failure = until(events, of_type(RunFailed))[-1]
    assert "loss became nan" in failure.message
    assert failure.restored_step < PoisonedUpdate.poison_at
    assert np.isfinite(experiment.w).all()
    assert experiment.w.tolist() == [0.5 * failure.restored_step] * 3


# -- issue 19, fault 2: evaluate() and snapshot() are guarded like train_step ----------------------
@pytest.mark.parametrize("part", ["evaluate", "snapshot"])
def test_an_exception_in_evaluate_or_snapshot_fails_the_run_and_keeps_it(part):
    class Broken(Counter):
        failed_at: int | None = None

        def fail_here(self, name: str) -> None:
            if part == name and self.steps >= 5:
                self.failed_at = self.failed_at or self.steps
                raise np.linalg.LinAlgError("eigenvalues did not converge")

        def evaluate(self) -> dict[str, float]:
            self.fail_here("evaluate")
            return super().evaluate()

        def snapshot(self) -> dict[str, Any]:
            self.fail_here("snapshot")
            return super().snapshot()

    experiment = Broken(FakeClock(), step_time=0.04)
    control = RunControl()
    events = start(experiment, control, good_state_interval=0.05)
    seen = until(events, of_type(RunFailed))
    failure = seen[-1]
    doing = "evaluating" if part == "evaluate" else "taking a snapshot"
    assert failure.message == (
        f"Counter failed at step {experiment.failed_at} while {doing}: eigenvalues did not converge"
    )
    assert "LinAlgError" in failure.detail
    assert failure.restored_step is not None and failure.restored_step < experiment.failed_at
    assert experiment.steps == failure.restored_step  # the last good weights, not lost
    assert next(events) == StateChanged("failed")
    # The paused run shows the restored step and keeps serving: it can still be saved.
    shown = until(events, of_type(Snapshot))[-1]
    assert shown.progress.step == failure.restored_step
    control.submit("double", x=3)
    assert until(events, of_type(ProbeResult))[-1].payloads["answer"].rows == [[6]]
    control.stop()
    assert list(events)[-1].state == "stopped"


def test_an_evaluate_that_always_raises_fails_once_and_the_run_stays_usable():
    class NeverEvaluates(Counter):
        def evaluate(self) -> dict[str, float]:
            raise ValueError("1x1 images have no covariance")

    experiment = NeverEvaluates(FakeClock())
    control = RunControl()
    events = start(experiment, control)
    seen = until(events, of_type(Snapshot))  # the restored step 0, without held-out metrics
    failures = [e for e in seen if isinstance(e, RunFailed)]
    assert len(failures) == 1 and failures[0].restored_step == 0
    assert "while evaluating: 1x1 images have no covariance" in failures[0].message
    assert seen[-1].progress.step == 0 and "heldout_loss" not in seen[-1].metrics
    assert "weights" in seen[-1].payloads
    stop_soon(control, 0.05)
    assert list(events)[-1].state == "stopped"

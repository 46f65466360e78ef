"""The run loop keeps slow lesson parts from holding training or the controls: a slow snapshot()
or evaluate() is called less often, and a pause is announced before its held-out evaluation."""

from __future__ import annotations

from typing import Any

from test_loop import Counter, FakeClock, start, state_is, until

from unsuplab.core.loop import PART_SHARE, RunControl, Snapshot


class SlowParts(Counter):
    """A counter whose snapshot() and evaluate() take fake time, and which logs its evaluations."""

    def __init__(self, clock: FakeClock, *, snapshot_time: float = 0.0, evaluate_time: float = 0.0):
        super().__init__(clock, step_time=0.01)
        self.snapshot_time, self.evaluate_time = snapshot_time, evaluate_time
        self.evaluated_at: list[int] = []

    def snapshot(self) -> dict[str, Any]:
        self.clock.now += self.snapshot_time
        return super().snapshot()

    def evaluate(self) -> dict[str, float]:
        self.clock.now += self.evaluate_time
        self.evaluated_at.append(self.steps)
        return super().evaluate()


def test_a_slow_snapshot_is_taken_less_often_so_it_costs_a_bounded_share():
    experiment = SlowParts(FakeClock(), snapshot_time=0.05)
    events = start(experiment, RunControl(step_limit=400), eval_interval=100.0)
    until(events, state_is("finished"))
    times = experiment.snapshot_times[1:-1]  # between the first and the final one
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps and min(gaps) >= 0.05 / PART_SHARE  # not every 0.1 s as the interval asks
    training = 400 * 0.01
    assert len(experiment.snapshot_times) * 0.05 <= 1.5 * PART_SHARE * training


def test_a_slow_evaluation_is_done_less_often():
    experiment = SlowParts(FakeClock(), evaluate_time=0.5)
    events = start(experiment, RunControl(step_limit=1000), eval_interval=1.0)
    until(events, state_is("finished"))
    # 10 s of training: the first evaluation's cost is start-up and not counted, so the second
    # comes after a second; then every 5 s (0.5 s ÷ PART_SHARE) rather than every second; the final.
    assert 2 <= len(experiment.evaluated_at) <= 5
    gaps = [b - a for a, b in zip(experiment.evaluated_at[1:-1], experiment.evaluated_at[2:-1], strict=False)]
    assert all(gap >= 400 for gap in gaps)  # ≥ 4 s of 10-ms steps between the paced ones


def test_a_pause_is_announced_before_the_held_out_evaluation_which_follows():
    experiment = SlowParts(FakeClock(), evaluate_time=0.5)
    control = RunControl()
    train_step = experiment.train_step

    def pause_after_step_7() -> dict[str, float]:
        losses = train_step()
        if experiment.steps == 7:
            control.pause()  # Pause pressed while step 7 trains, which no snapshot has shown yet
        return losses

    experiment.train_step = pause_after_step_7
    events = start(experiment, control, eval_interval=100.0)
    until(events, state_is("paused"))
    steps = experiment.steps
    assert steps == 7 and steps not in experiment.evaluated_at  # the window shows the pause first
    after = next(events)
    assert isinstance(after, Snapshot) and after.progress.step == steps
    assert experiment.evaluated_at[-1] == steps
    assert after.metrics["heldout_loss"] == experiment.w.sum()
    control.stop()
    list(events)


class ColdFirstSnapshot(Counter):
    """A snapshot that takes a whole second the first time (imports, first allocations) and no
    time after that; it logs when each snapshot was taken."""

    def __init__(self, clock: FakeClock):
        super().__init__(clock, step_time=0.01)
        self.snapshot_times: list[float] = []

    def snapshot(self) -> dict[str, Any]:
        if not self.snapshot_times:
            self.clock.now += 1.0
        self.snapshot_times.append(self.clock.now)
        return super().snapshot()


def test_a_slow_first_snapshot_does_not_space_out_the_ones_after_it():
    experiment = ColdFirstSnapshot(FakeClock())
    events = start(experiment, RunControl(step_limit=300), eval_interval=100.0)
    until(events, state_is("finished"))
    times = experiment.snapshot_times
    gaps = [b - a for a, b in zip(times[1:], times[2:], strict=False)]
    # 3 s of steps at the asked 0.1 s: about 30 snapshots, not one every 10 s (1 s ÷ PART_SHARE).
    assert len(times) >= 25 and max(gaps) <= 0.1 + 0.01 + 1e-6  # the interval, or one step more

"""The run loop, written once: a plain generator that trains an experiment and yields events.

Whoever drives it (the window's worker thread, the CLI, a test calling `next()`) steers it through a
`RunControl`: pause, resume, single steps, slow motion, stop, and commands that run between two
training steps (probes from views, live parameter changes, saving). Snapshots are taken at most
every `snapshot_interval` seconds of wall clock, so views stay live without slowing training.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.payloads import Curves, Payload


@dataclass(frozen=True)
class Progress:
    """Where a run stands: counts, speeds and the estimated time left."""

    step: int
    samples: int
    elapsed: float  # seconds spent training in this session, pauses excluded
    steps_per_s: float
    samples_per_s: float
    step_limit: int | None = None

    @property
    def eta(self) -> float | None:
        """Seconds left until the step limit, or None without a limit or a speed yet."""
        if self.step_limit is None or self.steps_per_s <= 0:
            return None
        return max(self.step_limit - self.step, 0) / self.steps_per_s


@dataclass
class Snapshot:
    """What the views show at one moment of a run."""

    progress: Progress
    payloads: dict[str, Payload]
    metrics: dict[str, float]  # newest value of every metric


@dataclass
class StateChanged:
    """The run entered a state: "building", "running", "paused", "finished" or "failed"."""

    state: str
    message: str = ""


@dataclass
class ProbeResult:
    """The answer to a command sent by a view."""

    command: str
    payloads: dict[str, Payload]


@dataclass
class Notice:
    """A message for the status line or log; `error=True` when a command failed."""

    message: str
    error: bool = False


@dataclass
class RunFailed:
    """Training stopped: a non-finite loss or an exception. The last good weights were restored."""

    message: str
    detail: str = ""
    restored_step: int | None = None


Event = Snapshot | StateChanged | ProbeResult | Notice | RunFailed


@dataclass
class Command:
    """A request executed between two training steps."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


class RunControl:
    """Thread-safe steering of a running loop; the GUI thread calls it, the loop reads it."""

    def __init__(self, *, paused: bool = False, step_limit: int | None = None):
        self._cond = threading.Condition()
        self._paused = paused
        self._stop = False
        self._single_steps = 0
        self._delay = 0.0
        self._step_limit = step_limit
        self._commands: deque[Command] = deque()

    def _update(self, **changes: Any) -> None:
        with self._cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def pause(self) -> None:
        self._update(_paused=True)

    def resume(self) -> None:
        self._update(_paused=False)

    def stop(self) -> None:
        self._update(_stop=True)

    def step(self, count: int = 1) -> None:
        """Train `count` more steps, then stay paused."""
        with self._cond:
            self._paused = True
            self._single_steps += count
            self._cond.notify_all()

    def set_delay(self, seconds: float) -> None:
        """Slow motion: wait this long after every step (0 for full speed)."""
        self._update(_delay=max(0.0, float(seconds)))

    def set_step_limit(self, steps: int | None) -> None:
        self._update(_step_limit=steps)

    def submit(self, name: str, /, **kwargs: Any) -> None:
        """Queue a command (a probe, "set_param", "save", "export_metrics") for the loop.

        `name` is positional-only so that `submit("set_param", name=..., value=...)` works.
        """
        with self._cond:
            self._commands.append(Command(name, kwargs))
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def delay(self) -> float:
        return self._delay

    @property
    def step_limit(self) -> int | None:
        return self._step_limit

    def take_commands(self) -> list[Command]:
        with self._cond:
            commands = list(self._commands)
            self._commands.clear()
            return commands

    def claim_step(self) -> bool:
        """True when the loop may train one step now (running, or a single step is pending)."""
        with self._cond:
            if self._stop:
                return False
            if not self._paused:
                return True
            if self._single_steps > 0:
                self._single_steps -= 1
                return True
            return False

    def wait(self, timeout: float) -> None:
        """Sleep up to `timeout` seconds, waking early when the control changes."""
        with self._cond:
            self._cond.wait(timeout)


@dataclass
class Restore:
    """A saved run to continue: learned state, the step it reached and its metric history."""

    state: dict[str, Any]
    step: int
    history: MetricHistory


class _Speedometer:
    """Steps and samples per second, smoothed across snapshots."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.elapsed = 0.0
        self.rate = 0.0
        self._mark_time: float | None = None
        self._mark_step = 0

    def start(self, step: int) -> None:
        if self._mark_time is None:
            self._mark_time, self._mark_step = self.clock(), step

    def halt(self) -> None:
        self._mark_time = None

    def update(self, step: int) -> None:
        now = self.clock()
        span = now - self._mark_time
        self.elapsed += span
        if span > 0 and step > self._mark_step:
            current = (step - self._mark_step) / span
            self.rate = current if self.rate == 0 else 0.7 * self.rate + 0.3 * current
        self._mark_time, self._mark_step = now, step


def run(
    experiment: Experiment,
    control: RunControl | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    restore: Restore | None = None,
    snapshot_interval: float = 0.1,
    eval_interval: float = 1.0,
    good_state_interval: float = 2.0,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[Event]:
    """Build `experiment` on `device`, then train it until stopped, yielding events.

    Reaching the step limit, or a failure, does not end the generator: it waits paused and keeps
    answering commands (probes, save) until `control.stop()`, so a finished model stays usable.
    """
    control = control or RunControl()
    yield StateChanged("building", f"Building {experiment.title} on {device}")
    try:
        experiment.build(device, seed)
        if restore is not None:
            experiment.load_state_dict(restore.state)
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported, not raised
        yield RunFailed(f"Could not start {experiment.title}: {exc}", traceback.format_exc())
        return

    history = restore.history if restore else MetricHistory()
    step = restore.step if restore else 0
    first_step = step
    speed = _Speedometer(clock)
    sums: dict[str, Any] = {}  # metric -> running total since the last snapshot, on the device
    counts: dict[str, int] = {}  # metric -> steps that reported it (a stage may add or drop one)
    good_step, good_state = step, experiment.state_dict()
    last_good_time = last_eval = last_snapshot = clock()
    evaluated_step = -1  # the step of the newest held-out evaluation
    state = ""

    def progress() -> Progress:
        return Progress(step, step * experiment.samples_per_step, speed.elapsed, speed.rate,
                        speed.rate * experiment.samples_per_step, control.step_limit)

    def take_snapshot(evaluate: bool) -> Snapshot | RunFailed:
        nonlocal sums, counts, good_step, good_state, last_good_time, last_eval, last_snapshot
        nonlocal evaluated_step
        now = clock()
        metrics = {name: float(total) / counts[name] for name, total in sums.items()}
        sums, counts = {}, {}
        bad = [n for n in experiment.guarded_metrics if n in metrics and not math.isfinite(metrics[n])]
        if bad:
            failed_step = step
            roll_back()
            return RunFailed(
                f"The {bad[0]} became {metrics[bad[0]]} near step {failed_step}: training "
                "diverged. "
                f"The weights from step {good_step} were restored; lower the learning rate "
                "and resume, or reset.",
                restored_step=good_step,
            )
        if evaluate or now - last_eval >= eval_interval:
            metrics.update(experiment.evaluate())
            last_eval, evaluated_step = now, step
        history.record(step, metrics)
        if now - last_good_time >= good_state_interval:
            good_step, good_state, last_good_time = step, experiment.state_dict(), now
        payloads = _curve_payloads(experiment, history)
        payloads.update(experiment.snapshot())
        last_snapshot = clock()
        return Snapshot(progress(), payloads, history.latest())

    def roll_back() -> None:
        """Back to the last good weights: the step count and the curves go back with them."""
        nonlocal step, dirty
        experiment.load_state_dict(good_state)
        step = good_step
        history.truncate(good_step)
        dirty = True  # the paused run then shows the restored weights

    def enter(new_state: str, message: str = "") -> Iterator[Event]:
        nonlocal state
        if new_state != state:
            state = new_state
            yield StateChanged(new_state, message)

    def serve_commands() -> Iterator[Event]:
        nonlocal dirty
        for command in control.take_commands():
            try:
                if command.name == "set_param":
                    experiment.set_live(command.kwargs["name"], command.kwargs["value"])
                    dirty = True  # a paused run shows the change at once (PCA's k, say)
                    yield Notice(f"{command.kwargs['name']} = {command.kwargs['value']}")
                elif command.name == "save":
                    from unsuplab.core.checkpoint import save_run

                    save_run(command.kwargs["path"], experiment, step, history)
                    yield Notice(f"Saved the run at step {step} to {command.kwargs['path']}")
                elif command.name == "export_metrics":
                    history.write_csv(command.kwargs["path"])
                    yield Notice(f"Wrote the metric history to {command.kwargs['path']}")
                else:
                    yield ProbeResult(command.name, experiment.probe(command.name, **command.kwargs))
                    # An action changes the model: a paused run shows the result at once.
                    dirty = dirty or command.name in experiment.actions
            except Exception as exc:  # noqa: BLE001 - a failed command must not end the run
                yield Notice(f"{command.name} failed: {exc}", error=True)

    def flush(force: bool = False) -> Iterator[Event]:
        """Show the steps not yet snapshotted; a divergence among them fails the run."""
        nonlocal dirty
        if not (dirty or force):
            return
        dirty = False
        result = take_snapshot(evaluate=True)
        yield result
        if isinstance(result, RunFailed):
            control.pause()
            yield from enter("failed")

    first = take_snapshot(evaluate=True)
    yield first
    dirty = False
    while True:
        yield from serve_commands()
        if control.stop_requested:
            break
        limit = control.step_limit
        if limit is not None and step >= limit and state not in ("finished", "failed"):
            control.pause()
            # A finished run always ends with held-out metrics of its final weights.
            yield from flush(force=evaluated_step != step)
            if state != "failed":
                yield from enter("finished", f"Reached the step limit ({limit})")
        if not control.claim_step():
            speed.halt()
            yield from flush()
            if state not in ("finished", "failed"):
                yield from enter("paused")
            control.wait(0.1)
            continue
        # Read the limit again: the user may have raised it while the loop waited after finishing.
        limit = control.step_limit
        if limit is not None and step >= limit:
            control.set_step_limit(None)  # training on past the limit is the user's choice
        yield from enter("running")
        speed.start(step)
        try:
            losses = experiment.train_step()
        except Exception as exc:  # noqa: BLE001 - reported as an event, the thread lives on
            failed_step = step + 1
            roll_back()
            yield RunFailed(f"{experiment.title} failed at step {failed_step}: {exc}",
                            traceback.format_exc(), good_step)
            control.pause()
            yield from enter("failed")
            continue
        step += 1
        dirty = True
        for name, value in losses.items():
            sums[name] = sums[name] + value if name in sums else value
            counts[name] = counts.get(name, 0) + 1
        speed.update(step)
        delay = max(control.delay, experiment.step_delay)  # the speed slider, or the lesson's pace
        if delay:
            control.wait(delay)
        if delay >= snapshot_interval or clock() - last_snapshot >= snapshot_interval:
            dirty = False
            result = take_snapshot(evaluate=False)
            yield result
            if isinstance(result, RunFailed):
                control.pause()
                yield from enter("failed")
    speed.halt()
    yield from enter("stopped", f"Stopped at step {step} ({step - first_step} steps this session)")


def _curve_payloads(experiment: Experiment, history: MetricHistory) -> dict[str, Payload]:
    panels: dict[str, Payload] = {}
    for title, names in experiment.curves.items():
        series = {n: history.series(n) for n in names if n in history.names}
        panels[f"curves:{title}"] = Curves(title, series)
    return panels

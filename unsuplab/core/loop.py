"""The run loop, written once: a plain generator that trains an experiment and yields events.

Whoever drives it (the window's worker thread, the CLI, a test calling `next()`) steers it through a
`RunControl` (core/commands.py): pause, resume, single steps, slow motion, stop, and commands that
run between two training steps (probes from views, live parameter changes, saving), each answered
with the id `RunControl.submit` gave it. Snapshots are taken at most every `snapshot_interval`
seconds of wall clock, so views stay live without slowing training. `run` builds the experiment;
a `_Run` object holds the state of the run it then trains.

Every snapshot is also recorded in the run's `Timeline` (core/timeline.py), with keyframes of the
learned state and of the lesson's random generators, so `branch_restore` can continue a run from
a recorded step exactly as it went on the first time.
"""

from __future__ import annotations

import functools
import math
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from unsuplab.core.commands import EXPORT_METRICS, SAVE, SET_PARAM, Command, RunControl
from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.payloads import Curves, Payload
from unsuplab.core.timeline import Timeline, TimelineFrame, curves_until

#: Snapshots, and held-out evaluations, may each take at most this share of a run's time: a
#: lesson whose snapshot() or evaluate() is slow gets them less often than the intervals ask.
PART_SHARE = 0.1


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


#: What a run is doing: building its model, training, waiting paused, waiting after reaching the
#: step limit ("finished") or after a failure ("failed", last good weights restored), or ended
#: ("stopped", the generator's last event).
RunState = Literal["building", "running", "paused", "finished", "failed", "stopped"]


@dataclass
class StateChanged:
    """The run entered a state (see `RunState`)."""

    state: RunState
    message: str = ""


@dataclass
class ProbeResult:
    """The answer to a command a view sent; `request_id` is the id `RunControl.submit` gave it."""

    command: str
    payloads: dict[str, Payload]
    request_id: int | None = None


@dataclass
class Notice:
    """A message for the status line or log; `error=True` when a command failed.

    A notice that answers a command (a save, a live change, a failed probe) names it and carries
    its `request_id`; the loop's own news has neither.
    """

    message: str
    error: bool = False
    command: str | None = None
    request_id: int | None = None


@dataclass
class RunFailed:
    """Training stopped: a non-finite loss or an exception. The last good weights were restored."""

    message: str
    detail: str = ""
    restored_step: int | None = None
    cause: type[BaseException] | None = None  # the exception's type, when one stopped it


Event = Snapshot | StateChanged | ProbeResult | Notice | RunFailed


@dataclass
class Restore:
    """A saved run to continue: learned state, the step it reached and its metric history; the
    timeline recorded up to that step, and the states of the lesson's random generators there
    (`random_state`) when known: with them the run draws the same minibatches and noise next."""

    state: dict[str, Any]
    step: int
    history: MetricHistory
    timeline: Timeline | None = None
    random: dict[str, Any] | None = None


def branch_restore(timeline: Timeline, history: MetricHistory, step: int) -> Restore:
    """Where a branch from the recorded `step` starts: the newest keyframe at or before it, with
    the history and the timeline up to the keyframe's step (copies; the run they came from goes
    on unchanged). With the same seed and settings the branch repeats the run from there."""
    keyframe = timeline.keyframe_at_or_before(step)
    if keyframe is None:
        raise ValueError(f"no keyframe at or before step {step}: the run cannot branch there")
    kept = MetricHistory.from_dict(history.to_dict())
    kept.truncate(keyframe.step)
    lesson, random = keyframe.state.get("lesson"), keyframe.state.get("random")
    if not isinstance(lesson, dict) or not isinstance(random, (dict, type(None))):
        raise ValueError(f"the keyframe at step {keyframe.step} holds no learned state to branch from")
    return Restore(lesson, keyframe.step, kept, timeline.until(keyframe.step), random)


def random_state(experiment: Experiment) -> dict[str, Any]:
    """The state of every random generator the lesson draws from, by attribute path: the
    generators (objects with get_state, set_state and manual_seed, like a torch.Generator) it
    holds as attributes, its own or those of the lessons it holds (a feature extractor, the
    variants of a comparison)."""
    return {name: generator.get_state() for name, generator in _generators(experiment)}


def set_random_state(experiment: Experiment, states: dict[str, Any]) -> None:
    """Put the lesson's generators back in the states `random_state` gave."""
    for name, generator in _generators(experiment):
        if name in states:
            generator.set_state(states[name])


def _generators(owner: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in vars(owner).items():
        if all(callable(getattr(value, m, None)) for m in ("get_state", "set_state", "manual_seed")):
            yield prefix + name, value
        elif isinstance(value, Experiment):
            yield from _generators(value, f"{prefix}{name}.")
        elif isinstance(value, (list, tuple)):  # a comparison's variants
            for i, item in enumerate(value):
                if isinstance(item, Experiment):
                    yield from _generators(item, f"{prefix}{name}.{i}.")


def curve_payloads(lesson: Experiment | type[Experiment], history: MetricHistory) -> dict[str, Payload]:
    """The curve panels of a lesson (its `curves`) drawn from a metric history."""
    panels: dict[str, Payload] = {}
    for title, names in lesson.curves.items():
        series = {n: history.series(n) for n in names if n in history.names}
        panels[f"curves:{title}"] = Curves(title, series)
    return panels


def shown_at(frame: TimelineFrame, curves: dict[str, Payload]) -> TimelineFrame:
    """`frame` with the payloads the views showed at its step: the curve panels (`curve_payloads`
    of the run's history) cut at the step, then the recorded payloads."""
    cut = {key: curves_until(panel, frame.step) for key, panel in curves.items()}
    return replace(frame, payloads={**cut, **frame.payloads})


class _Speedometer:
    """Steps and samples per second over the last `WINDOW` seconds of training, pauses excluded.

    Measured by the clock across everything the loop does between steps (snapshots, held-out
    evaluations, the slider's delay), not step by step: a lesson whose snapshots cost more than
    its steps would otherwise show the speed of its steps alone (95 steps/s while it made 4) and
    an ETA far too short.
    """

    WINDOW = 5.0

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._elapsed = 0.0  # up to the newest mark
        self._mark_time: float | None = None  # None while halted
        self._marks: deque[tuple[float, int]] = deque()  # (elapsed, step), oldest first

    def start(self, step: int) -> None:
        if self._mark_time is None:
            self._mark_time = self.clock()
            if not self._marks or self._marks[-1][1] != step:
                self._marks.append((self._elapsed, step))

    def halt(self) -> None:
        if self._mark_time is not None:
            self._elapsed = self.elapsed
        self._mark_time = None

    def update(self, step: int) -> None:
        self._elapsed, self._mark_time = self.elapsed, self.clock()
        marks = self._marks
        if len(marks) > 1 and self._elapsed - marks[-2][0] < self.WINDOW / 20:
            marks[-1] = (self._elapsed, step)  # a few marks per window are enough
        else:
            marks.append((self._elapsed, step))
        while len(marks) > 2 and self._elapsed - marks[1][0] >= self.WINDOW:
            marks.popleft()

    @property
    def elapsed(self) -> float:
        """Seconds of training so far, up to now (the time since the last step included)."""
        running = 0.0 if self._mark_time is None else self.clock() - self._mark_time
        return self._elapsed + running

    @property
    def rate(self) -> float:
        """Steps per second from the oldest mark in the window to now; 0 before a step."""
        if len(self._marks) < 2:
            return 0.0
        (then, first), (_, last) = self._marks[0], self._marks[-1]
        span = self.elapsed - then
        return (last - first) / span if span > 0 else 0.0


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
    timeline: Timeline | None = None,
) -> Iterator[Event]:
    """Build `experiment` on `device`, then train it until stopped, yielding events.

    Reaching the step limit, or a failure, does not end the generator: it waits paused and keeps
    answering commands (probes, save) until `control.stop()`, so a finished model stays usable.
    Every snapshot is recorded in `timeline` (by default the restore's, else a new one).
    """
    control = control or RunControl()
    if timeline is None:
        timeline = restore.timeline if restore is not None and restore.timeline is not None else Timeline()
    yield StateChanged("building", f"Building {experiment.title} on {device}")
    try:
        experiment.step = restore.step if restore else 0
        experiment.build(device, seed)
        if restore is not None:
            experiment.load_state_dict(restore.state)
            set_random_state(experiment, restore.random or {})
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported, not raised
        yield RunFailed(f"Could not start {experiment.title}: {exc}", traceback.format_exc(), cause=type(exc))
        return
    yield from _Run(
        experiment,
        control,
        restore=restore,
        snapshot_interval=snapshot_interval,
        eval_interval=eval_interval,
        good_state_interval=good_state_interval,
        clock=clock,
        timeline=timeline,
    ).events()


class _Run:
    """One built run between its first snapshot and its stop: the state `run` steers."""

    def __init__(
        self,
        experiment: Experiment,
        control: RunControl,
        *,
        restore: Restore | None,
        snapshot_interval: float,
        eval_interval: float,
        good_state_interval: float,
        clock: Callable[[], float],
        timeline: Timeline,
    ):
        self.experiment, self.control, self.clock = experiment, control, clock
        self.timeline = timeline
        # A comparison of k variants snapshots and evaluates k times less often (Experiment.pace).
        self.snapshot_interval = snapshot_interval * experiment.pace
        self.eval_interval = eval_interval * experiment.pace
        self.good_state_interval = good_state_interval
        self.history = restore.history if restore else MetricHistory()
        self.step = restore.step if restore else 0
        self.first_step = self.step
        self.timeline = timeline
        timeline.truncate(self.step)  # a restored timeline goes on from the restored step
        frame = timeline.frame_at(self.step)
        self.elapsed_before = frame.elapsed if frame is not None else 0.0  # training time of earlier sessions
        self.speed = _Speedometer(clock)
        self.sums: dict[str, Any] = {}  # metric -> running total since the last snapshot, on device
        self.counts: dict[str, int] = {}  # metric -> steps that reported it (a stage may add one)
        # The last good state, and a newer copy waiting for its own loss to be seen finite (the
        # loss of step n+1 is measured on the weights after step n, so a copy taken after step n
        # is only known good once a later step's loss was finite).
        self.good_step, self.good_state = self.step, experiment.state_dict()
        self.candidate: tuple[int, dict[str, Any]] | None = None
        self.last_good_time = self.last_eval = self.last_snapshot = clock()
        self.evaluated_step = -1  # the step of the newest held-out evaluation
        # Seconds a call of each typically takes: the least of its last three calls, leaving out
        # its first, which pays one-off start-up costs (a cold first snapshot must not hold the
        # next ones back for ten times as long while a class watches the run start).
        self.costs = {"evaluate": 0.0, "snapshot": 0.0}
        self._recent_costs: dict[str, deque[float] | None] = {"evaluate": None, "snapshot": None}
        self.state: RunState | None = None
        self.dirty = False  # steps or changes the views have not seen yet

    @property
    def step(self) -> int:
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        self._step = self.experiment.step = value  # the lesson reads its step count there

    def events(self) -> Iterator[Event]:
        yield from self._snapshot(evaluate=True)
        while True:
            yield from self._serve_commands()
            if self.control.stop_requested:
                break
            limit = self.control.step_limit
            if limit is not None and self.step >= limit and self.state not in ("finished", "failed"):
                self.control.pause()
                # A finished run always ends with held-out metrics of its final weights.
                yield from self._flush(force=self.evaluated_step != self.step)
                if self.state != "failed":
                    yield from self._enter("finished", f"Reached the step limit ({limit})")
            if not self.control.claim_step():
                self.speed.halt()
                # The window shows the pause at once; the held-out evaluation, which may take
                # seconds, follows in a second snapshot.
                unseen = self.dirty
                yield from self._flush(evaluate=False)
                if self.state not in ("finished", "failed"):
                    yield from self._enter("paused")
                if unseen and self.state == "paused":
                    yield from self._snapshot(evaluate=True)
                self.control.wait(0.1)
                continue
            yield from self._train_step()
        self.speed.halt()
        yield from self._enter(
            "stopped", f"Stopped at step {self.step} ({self.step - self.first_step} steps this session)"
        )

    # -- one step ----------------------------------------------------------------------------------
    def _train_step(self, train: Callable[[], dict[str, Any]] | None = None) -> Generator[Event, None, bool]:
        """One step: `train`, the lesson's `train_step` unless a training action stands in for
        it; counted, its losses summed for the curves, snapshotted when one is due. False when
        the step failed (the run then rolled back)."""
        # Read the limit again: the user may have raised it while the loop waited after finishing.
        limit = self.control.step_limit
        if limit is not None and self.step >= limit:
            self.control.set_step_limit(None)  # training on past the limit is the user's choice
        yield from self._enter("running")
        self.speed.start(self.step)
        try:
            losses = (train or self.experiment.train_step)()
        except Exception as exc:  # noqa: BLE001 - reported as an event, the thread lives on
            yield from self._fail(
                f"{self.experiment.title} failed at step {self.step + 1}: {exc}",
                traceback.format_exc(),
                type(exc),
            )
            return False
        self.step += 1
        self.dirty = True
        for name, value in losses.items():
            self.sums[name] = self.sums[name] + value if name in self.sums else value
            self.counts[name] = self.counts.get(name, 0) + 1
        self.speed.update(self.step)
        delay = max(self.control.delay, self.experiment.step_delay)  # the slider, or the lesson's pace
        if delay:
            self.control.wait(delay)
        interval = max(self.snapshot_interval, self.costs["snapshot"] / PART_SHARE)
        if delay >= self.snapshot_interval or self.clock() - self.last_snapshot >= interval:
            self.dirty = False
            yield from self._snapshot(evaluate=False)
        return True

    def _snapshot(self, evaluate: bool) -> Iterator[Event]:
        """A Snapshot of the steps since the last one; a divergence among them, or a failing
        evaluate() or snapshot(), fails the run instead."""
        self.dirty = False
        now = self.clock()
        metrics = {name: float(total) / self.counts[name] for name, total in self.sums.items()}
        self.sums, self.counts = {}, {}
        guarded = self.experiment.guarded_metrics
        bad = [n for n in guarded if n in metrics and not math.isfinite(metrics[n])]
        if bad:
            yield from self._fail(
                f"The {bad[0]} became {metrics[bad[0]]} near step {self.step}: training "
                f"diverged. The weights from step {self.good_step} were restored; lower the "
                "learning rate and resume, or reset."
            )
            return
        self._keep_good_state(now)
        if evaluate or now - self.last_eval >= max(self.eval_interval, self.costs["evaluate"] / PART_SHARE):
            self.last_eval, self.evaluated_step = now, self.step
            try:
                metrics.update(self._timed("evaluate"))
            except Exception as exc:  # noqa: BLE001 - a lesson's bug must not end the run
                if (yield from self._part_failed("evaluating", exc)):
                    return
        self.history.record(self.step, metrics)
        payloads = curve_payloads(self.experiment, self.history)
        try:
            shown = self._timed("snapshot")
        except Exception as exc:  # noqa: BLE001 - a lesson's bug must not end the run
            if (yield from self._part_failed("taking a snapshot", exc)):
                return
        else:
            payloads.update(shown)
            self._record(now, shown)
        self.last_snapshot = self.clock()
        yield Snapshot(self._progress(), payloads, self.history.latest())

    def _record(self, now: float, shown: dict[str, Payload]) -> None:
        """Keep what the views show now in the timeline (the curves are cut from the history
        when needed), and a keyframe when one is due."""
        self.timeline.record(
            self.step, self.elapsed_before + self.speed.elapsed, self.history.latest(), shown
        )
        if self.timeline.should_keyframe(self.step, now):
            candidate = self.candidate  # the good-state copy, when it was taken at this step
            state = candidate[1] if candidate and candidate[0] == self.step else self.experiment.state_dict()
            keyframe = {"lesson": state, "random": random_state(self.experiment)}
            self.timeline.add_keyframe(self.step, keyframe, now)

    def _timed(self, part: Literal["evaluate", "snapshot"]) -> dict[str, Any]:
        """The lesson's evaluate() or snapshot(), its cost kept in `costs`."""
        start = self.clock()
        answer = getattr(self.experiment, part)()
        recent = self._recent_costs[part]
        if recent is None:
            self._recent_costs[part] = deque(maxlen=3)  # the first call is not typical
        else:
            recent.append(self.clock() - start)
            self.costs[part] = min(recent)
        return answer

    def _progress(self) -> Progress:
        per_step = self.experiment.samples_per_step
        rate = self.speed.rate
        return Progress(
            self.step,
            self.step * per_step,
            self.speed.elapsed,
            rate,
            rate * per_step,
            self.control.step_limit,
        )

    # -- good states and failures ----------------------------------------------------------------
    def _keep_good_state(self, now: float) -> None:
        """Every loss since the last snapshot was finite: the waiting copy is good (a step after
        it measured its loss), and every `good_state_interval` a new copy starts waiting."""
        if self.candidate is not None and self.step > self.candidate[0]:
            (self.good_step, self.good_state), self.candidate = self.candidate, None
        if now - self.last_good_time >= self.good_state_interval:
            self.candidate, self.last_good_time = (self.step, self.experiment.state_dict()), now

    def _part_failed(self, doing: str, exc: Exception) -> Generator[Event, None, bool]:
        """evaluate() or snapshot() raised: fail the run (True). Showing the restored weights
        of a run that already failed, report it and go on without that part (False)."""
        message = f"{self.experiment.title} failed at step {self.step} while {doing}: {exc}"
        if self.state == "failed" and self.step == self.good_step:
            yield Notice(message, error=True)
            return False
        yield from self._fail(message, traceback.format_exc(), type(exc))
        return True

    def _fail(
        self, message: str, detail: str = "", cause: type[BaseException] | None = None
    ) -> Iterator[Event]:
        """Back to the last good weights, say why, and wait paused in the "failed" state."""
        self._roll_back()
        yield RunFailed(message, detail, self.good_step, cause)
        self.control.pause()
        yield from self._enter("failed")

    def _roll_back(self) -> None:
        """The step count, the curves and the unseen losses go back with the weights."""
        self.experiment.step = self.good_step  # already current while the state loads
        self.experiment.load_state_dict(self.good_state)
        self.step = self.good_step
        self.history.truncate(self.good_step)
        self.timeline.truncate(self.good_step)
        self.candidate = None
        self.sums, self.counts = {}, {}
        self.dirty = True  # the paused run then shows the restored weights

    # -- states and commands -----------------------------------------------------------------------
    def _enter(self, state: RunState, message: str = "") -> Iterator[Event]:
        if state != self.state:
            self.state = state
            yield StateChanged(state, message)

    def _flush(self, force: bool = False, evaluate: bool = True) -> Iterator[Event]:
        """Show the steps not yet snapshotted; a divergence among them fails the run."""
        if self.dirty or force:
            yield from self._snapshot(evaluate=evaluate)

    def _serve_commands(self) -> Iterator[Event]:
        for command in self.control.take_commands():
            if command.name in self.experiment.training_actions:
                yield from self._train_by_hand(command)
                continue
            try:
                yield self._serve(command)
            except Exception as exc:  # noqa: BLE001 - a failed command must not end the run
                yield Notice(f"{command.name} failed: {exc}", True, command.name, command.request_id)

    def _train_by_hand(self, command: Command) -> Iterator[Event]:
        """A training action (a lone D step): a step like any other, by the lesson's
        `train_action`; the asker hears it done, or that it failed (the run says why)."""
        name = command.name
        if (yield from self._train_step(functools.partial(self.experiment.train_action, name))):
            yield ProbeResult(name, {}, command.request_id)
        else:
            yield Notice(
                f"{name} failed; the run went back to step {self.step}", True, name, command.request_id
            )

    def _serve(self, command: Command) -> Event:
        name, kwargs, experiment = command.name, command.kwargs, self.experiment
        if name == SET_PARAM:
            experiment.set_live(**kwargs)  # a comparison also takes variant= (core/compare.py)
            self.dirty = True  # a paused run shows the change at once (PCA's k, say)
            message = f"{kwargs['name']} = {kwargs['value']}"
            if kwargs.get("variant") is not None:
                message += f" in {kwargs['variant']}"
        elif name == SAVE:
            from unsuplab.core.checkpoint import save_run

            save_run(kwargs["path"], experiment, self.step, self.history, self.timeline)
            message = f"Saved the run at step {self.step} to {kwargs['path']}"
        elif name == EXPORT_METRICS:
            self.history.write_csv(kwargs["path"])
            message = f"Wrote the metric history to {kwargs['path']}"
        else:
            answer = experiment.probe(name, **kwargs)
            # An action changes the model: a paused run shows the result at once.
            self.dirty = self.dirty or name in experiment.actions
            return ProbeResult(name, answer, command.request_id)
        return Notice(message, command=name, request_id=command.request_id)

"""A sweep: one lesson trained over a grid of settings and seeds, one run (a trial) per combination.

This module is the part that needs no Ray (and no torch): the plan (the grid checked against the
lesson's settings and expanded into trials), the folder a sweep writes, and reading it back as a
table of trials with their final held-out figures, a figure's mean ± spread over seeds against a
swept setting, and 2 to 4 trials as one saved comparison for the window. `unsuplab.sweep` runs
the trials on Ray Tune.

A sweep's folder::

    sweep.json               the plan: lesson, grid, seeds, steps, fixed settings
    trials.csv               the table: trial, settings, seed, status, step, final figures
    trials/<trial>/          one `unsuplab train` run: config.json, metrics.csv, checkpoint.pt,
                             pictures, log.txt (what train printed), trial.json (its record)
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from unsuplab.atomic import atomic_write
from unsuplab.core.compare import (
    MAX_VARIANTS,
    MIN_VARIANTS,
    SEPARATOR,
    parse_value_lists,
    value_text,
    variant_names,
)
from unsuplab.core.config import ConfigError, coerce, spec_for, validate
from unsuplab.core.history import MetricHistory

FORMAT = "unsuplab-sweep"
VERSION = 1
PLAN_FILE, TABLE_FILE, TRIALS_FOLDER, RECORD_FILE, LOG_FILE = (
    "sweep.json",
    "trials.csv",
    "trials",
    "trial.json",
    "log.txt",
)
#: More trials than this is a typo (a grid of 10 values in 5 settings), not a sweep.
MAX_TRIALS = 10_000
#: What became of a trial: trained to the end, cut short by the early-stopping scheduler, failed
#: (diverged, crashed, or a combination of settings the lesson refuses), or not finished yet.
DONE, STOPPED, FAILED, PENDING = "done", "stopped early", "failed", "pending"


class SweepError(ValueError):
    """A sweep folder that cannot be read, or trials that cannot be compared; names the file."""


@dataclass(frozen=True)
class Trial:
    """One combination of the grid with one seed; `problem` says why the lesson refuses it."""

    name: str
    settings: dict[str, Any]
    seed: int
    problem: str = ""


@dataclass
class SweepPlan:
    """What a sweep trains: `grid` maps each swept setting to its values (typed, in order);
    `sets` are the settings fixed for every trial (as typed on the command line)."""

    lesson: str
    grid: dict[str, list[Any]]
    seeds: list[int]
    steps: int
    sets: dict[str, str] = field(default_factory=dict)
    device: str = "auto"

    def trials(self, config_type: type) -> list[Trial]:
        """Every combination of the grid, each with every seed, in grid order (the last setting
        varies fastest, the seed fastest of all)."""
        base = config_type()
        names, trials, taken = list(self.grid), [], set()
        for values in itertools.product(*self.grid.values()):
            settings = dict(zip(names, values, strict=True))
            problem = ""
            try:
                # The fixed --set values were checked with the lesson's defaults; each combination
                # is checked whole, with them, by the lesson's own cross-field check.
                overrides = {n: coerce(spec_for(config_type, n), v) for n, v in self.sets.items()}
                validate(dataclasses.replace(base, **overrides, **settings))
            except ConfigError as exc:
                problem = f"the lesson refuses this combination: {exc}"
            for seed in self.seeds:
                stem = ",".join([*(f"{n}={value_text(v)}" for n, v in settings.items()), f"seed={seed}"])
                name = _unique(_safe(stem), taken)
                trials.append(Trial(name, settings, seed, problem))
        return trials

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **dataclasses.asdict(self)}


def make_plan(
    lesson: str,
    config_type: type,
    grid: dict[str, list[str]],
    seeds: list[int],
    steps: int,
    sets: dict[str, str] | None = None,
    device: str = "auto",
) -> SweepPlan:
    """A checked plan; a ConfigError names the setting: unknown, no values, a value out of range
    or given twice, or more than MAX_TRIALS trials in all. A combination the lesson's cross-field
    check refuses is no error here: that trial is reported as failed and the others run."""
    if not grid:
        raise ConfigError("grid", "name a setting and its values, e.g. --grid learning_rate=0.01,0.1")
    typed: dict[str, list[Any]] = {}
    for name, values in grid.items():
        spec = spec_for(config_type, name)
        if not values or any(not str(v).strip() for v in values):
            raise ConfigError(name, "an empty value; give the values to sweep, e.g. 0,0.25,0.5")
        coerced = [coerce(spec, v) for v in values]
        repeated = next((v for i, v in enumerate(coerced) if v in coerced[:i]), None)
        if repeated is not None:
            raise ConfigError(name, f"{repeated!r} is given twice")
        typed[name] = coerced
    count = math.prod(len(v) for v in typed.values()) * len(seeds)
    if count > MAX_TRIALS:
        raise ConfigError(", ".join(typed), f"{count:,} trials; a sweep runs at most {MAX_TRIALS:,}")
    return SweepPlan(lesson, typed, list(seeds), steps, dict(sets or {}), device)


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    """--grid KEY=V1,V2 ... as setting -> values as typed (';' separates values holding commas);
    a ConfigError names a malformed item or a setting given twice."""
    return parse_value_lists(items, "--grid", "learning_rate=0.01,0.1")


def trial_argv(plan: SweepPlan, trial: Trial, folder: Path) -> list[str]:
    """The `unsuplab train` command line of a trial: the fixed settings, the trial's, its seed."""
    settings = {**plan.sets, **{n: _exact(v) for n, v in trial.settings.items()}}
    sets = [arg for name, value in settings.items() for arg in ("--set", f"{name}={value}")]
    return [
        "train",
        plan.lesson,
        *sets,
        *("--seed", str(trial.seed), "--steps", str(plan.steps), "--device", plan.device),
        *("--out", str(folder)),
    ]


def _exact(value: Any) -> str:
    """A value as text that reads back as the same value (repr keeps every digit of a float)."""
    return repr(value) if isinstance(value, float) else str(value)


def _safe(text: str) -> str:
    """A trial name usable as a folder name: "beta=0.5,seed=1" stays; "/" and spaces become "_"."""
    return "".join(ch if ch.isalnum() or ch in "=,.-_+" else "_" for ch in text)[:200]


def _unique(name: str, taken: set[str]) -> str:
    unique = name
    for n in itertools.count(2):
        if unique not in taken:
            break
        unique = f"{name}-{n}"
    taken.add(unique)
    return unique


# -- the folder ------------------------------------------------------------------------------------
@dataclass
class TrialRecord:
    """How a trial ended: its status, the step it reached, its final figures (the held-out ones,
    or every metric for a lesson that holds nothing out) and, when it failed, why."""

    trial: str
    settings: dict[str, Any]
    seed: int
    status: str = PENDING
    step: int = 0
    figures: dict[str, float] = field(default_factory=dict)
    message: str = ""


def trial_folder(out: Path, trial: Trial | TrialRecord) -> Path:
    return Path(out) / TRIALS_FOLDER / (trial.name if isinstance(trial, Trial) else trial.trial)


def write_plan(out: Path, plan: SweepPlan) -> Path:
    path = Path(out) / PLAN_FILE
    _write_json(path, plan.to_dict())
    return path


def write_record(folder: Path, record: TrialRecord) -> Path:
    path = Path(folder) / RECORD_FILE
    _write_json(path, dataclasses.asdict(record))
    return path


def _write_json(path: Path, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2)
        f.write("\n")


def final_figures(metrics: dict[str, float]) -> dict[str, float]:
    """The figures a trial is judged by: its held-out metrics, or all of them when none is held out."""
    held_out = {n: v for n, v in metrics.items() if n.startswith("heldout_")}
    return dict(held_out or metrics)


@dataclass
class Sweep:
    """A sweep read back from its folder: the plan and one record per trial, in grid order."""

    folder: Path
    plan: SweepPlan
    records: list[TrialRecord]

    @property
    def figures(self) -> list[str]:
        """Every figure some trial reported, in the order they first appear."""
        return list(dict.fromkeys(n for r in self.records for n in r.figures))

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The trials table: columns and rows (a figure a trial lacks is None)."""
        settings, figures = list(self.plan.grid), self.figures
        columns = ["trial", *settings, "seed", "status", "step", *figures, "message"]
        rows = [
            [r.trial, *(r.settings.get(s) for s in settings), r.seed, r.status, r.step]
            + [r.figures.get(f) for f in figures]
            + [r.message]
            for r in self.records
        ]
        return columns, rows

    def write_table(self) -> Path:
        columns, rows = self.table()
        path = self.folder / TABLE_FILE
        with atomic_write(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows([["" if cell is None else _cell(cell) for cell in row] for row in rows])
        return path

    def text_table(self) -> str:
        """The table as aligned text for a terminal (figures to 5 significant digits)."""
        columns, rows = self.table()
        columns = columns[:-1]  # messages are printed after the table, one line each
        cells = [columns] + [[_shown(cell) for cell in row[:-1]] for row in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in cells
        ]
        lines += [f"{r.trial}: {r.message}" for r in self.records if r.message]
        return "\n".join(lines)

    def series(self, figure: str, setting: str) -> list[Series]:
        """`figure` against the values of `setting`: one series per combination of the other
        swept settings, each point the mean ± standard deviation over the seeds of the trials
        that reached an end (done or stopped early) and reported the figure."""
        others = [s for s in self.plan.grid if s != setting]
        groups: dict[tuple, dict[Any, list[float]]] = {}
        for combo in itertools.product(*(self.plan.grid[s] for s in others)):
            groups[combo] = {value: [] for value in self.plan.grid[setting]}
        for r in self.records:
            value = r.figures.get(figure)
            if r.status in (DONE, STOPPED) and value is not None and math.isfinite(value):
                groups[tuple(r.settings[s] for s in others)][r.settings[setting]].append(value)
        series = []
        for combo, by_value in groups.items():
            points = [(x, np.asarray(v)) for x, v in by_value.items() if v]
            if not points:
                continue
            label = ", ".join(f"{s} = {value_text(v)}" for s, v in zip(others, combo, strict=True))
            series.append(
                Series(
                    label,
                    [x for x, _ in points],
                    np.array([v.mean() for _, v in points]),
                    np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for _, v in points]),
                    [len(v) for _, v in points],
                )
            )
        return series

    def axis(self, setting: str) -> Axis:
        """Where a setting's values go along a plot's x axis (see `Axis`)."""
        return Axis.of(self.plan.grid[setting])


@dataclass
class Series:
    """A figure's mean and spread (standard deviation over seeds; 0 for one seed) at each value
    `x` of a swept setting, the other swept settings fixed as `label` says ("" when none)."""

    label: str
    x: list[Any]
    mean: np.ndarray
    spread: np.ndarray
    count: list[int]


@dataclass
class Axis:
    """A swept setting's values along x: numbers at their value (log-spaced when they are all
    positive and span two decades or more), anything else (words, true/false, lists) evenly, in
    grid order, named by tick labels."""

    values: list[Any]
    numeric: bool
    log: bool

    @classmethod
    def of(cls, values: list[Any]) -> Axis:
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        log = numeric and min(values) > 0 and max(values) / min(values) >= 100
        return cls(list(values), numeric, log)

    def position(self, value: Any) -> float:
        if not self.numeric:
            return float(self.values.index(value))
        return math.log10(value) if self.log else float(value)

    def ticks(self) -> list[tuple[float, str]]:
        return [(self.position(v), value_text(v)) for v in self.values]


def read_sweep(out: str | Path) -> Sweep:
    """The sweep in folder `out`: its plan and every trial's record (a trial without one yet is
    pending); a SweepError names what is missing or damaged."""
    out = Path(out)
    path = out / PLAN_FILE
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        if values.pop("format", None) != FORMAT or values.pop("version", None) != VERSION:
            raise SweepError(f"{path}: not an unsuplab sweep plan (version {VERSION})")
        plan = SweepPlan(**values)
    except FileNotFoundError:
        raise SweepError(f"{out}: not a sweep folder (it has no {PLAN_FILE})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise SweepError(f"{path}: damaged sweep plan: {exc}") from None
    from unsuplab.core.registry import lesson

    try:
        trials = plan.trials(lesson(plan.lesson).Config)
    except KeyError:
        raise SweepError(
            f"{path}: a sweep of the lesson {plan.lesson!r}, which this unsuplab lacks"
        ) from None
    return Sweep(out, plan, [read_record(out, trial) for trial in trials])


def read_record(out: Path, trial: Trial) -> TrialRecord:
    """The record of `trial` in the sweep folder `out`; pending while it has none."""
    path = trial_folder(out, trial) / RECORD_FILE
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        return TrialRecord(**values)
    except FileNotFoundError:
        return TrialRecord(trial.name, trial.settings, trial.seed)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        return TrialRecord(trial.name, trial.settings, trial.seed, FAILED, message=f"{path}: damaged: {exc}")


def _cell(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.5g}" if isinstance(value, float) else str(value)


# -- trials side by side ---------------------------------------------------------------------------
def comparison_of(sweep: Sweep, names: list[str]) -> Any:
    """2 to 4 trials as one saved comparison (a `SavedRun` with their configs as variants), read
    from their checkpoints, to open in the window as a saved comparison opens: every panel shows
    them all, paused at the furthest step any of them reached."""
    from unsuplab.core.checkpoint import CheckpointError, SavedRun, load_run

    if not MIN_VARIANTS <= len(names) <= MAX_VARIANTS:
        raise SweepError(f"{len(names)} trials chosen; compare {MIN_VARIANTS} to {MAX_VARIANTS}")
    runs = []
    for name in names:
        path = Path(sweep.folder) / TRIALS_FOLDER / name / "checkpoint.pt"
        try:
            runs.append(load_run(path, expected_lesson=sweep.plan.lesson))
        except CheckpointError as exc:
            raise SweepError(f"trial {name}: {exc}") from None
    configs = [run.config for run in runs]
    labels, keys = zip(*variant_names(configs), strict=True)
    history = MetricHistory()
    for label, run in zip(labels, runs, strict=True):
        for metric in run.history.names:
            for step, value in zip(*run.history.series(metric), strict=True):
                history.record(int(step), {f"{metric}{SEPARATOR}{label}": float(value)})
    random = {
        f"variants.{i}.{name}": state
        for i, run in enumerate(runs)
        for name, state in (run.random or {}).items()
    }
    return SavedRun(
        sweep.plan.lesson,
        configs[0],
        max(run.step for run in runs),
        history,
        {key: run.state for key, run in zip(keys, runs, strict=True)},
        variants=configs,
        random=random,
    )

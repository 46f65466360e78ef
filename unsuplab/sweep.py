"""Running a sweep's trials on Ray Tune (the optional extra `unsuplab[sweep]`).

Each trial is `unsuplab train` itself, called in the trial's process with the trial's settings,
seed and folder (`run_trial`): the same checks, run loop and outputs as on the command line, so a
trial's weights and held-out figures are those of the same `train` command. A `TrialWatch` takes
the progress bar's place: it hands every snapshot's figures to Tune (for the ASHA scheduler of
`--early-stop`) and asks the run to stop early when Tune says so; the run then writes its outputs
as after Ctrl+C.

Ray is imported only in `connect` and `run_sweep`: `run_trial` and the rest of unsuplab work
without it. A local sweep starts Ray listening on 127.0.0.1 only, with its dashboard off (on, on
127.0.0.1, when asked).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import queue
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from unsuplab.core.sweep import (
    DONE,
    FAILED,
    LOG_FILE,
    PENDING,
    STOPPED,
    Sweep,
    SweepPlan,
    Trial,
    TrialRecord,
    final_figures,
    read_record,
    read_sweep,
    trial_argv,
    trial_folder,
    write_record,
)

INSTALL_HINT = 'the sweep command needs Ray Tune: pip install "unsuplab[sweep]" (or pip install "ray[tune]")'
#: Seconds to wait for a cluster's address to answer before calling it unreachable.
CONNECT_TIMEOUT = 3.0
RAY_CLIENT_PORT, RAY_GCS_PORT = 10001, 6379
ERROR = "unsuplab: error:"  # how `unsuplab train` starts the line that says why it failed
#: Ray's switch for clusters spanning machines; off, a local Ray listens on 127.0.0.1 only.
LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


class ConnectError(Exception):
    """A Ray cluster that cannot be reached, or Ray missing; the message says which and why."""


def require_ray() -> None:
    """Raise ConnectError with the install hint when Ray is not installed (without importing it:
    `connect` must set up Ray's environment first)."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # ValueError: an import of it blocked (sys.modules["ray"] = None)
        found = False
    if not found:
        raise ConnectError(INSTALL_HINT)


def check_address(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Refuse a cluster address ("ray://host:port" or "host:port") that does not answer within
    `timeout` seconds, before Ray tries (and retries for a minute). "auto" is left to Ray."""
    if address == "auto":
        return
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "ray"):
        raise ConnectError(f"--address {address}: expected ray://HOST:PORT, HOST:PORT or auto")
    host, colon, port = rest.rpartition(":")
    if not colon:
        host, port = rest, str(RAY_CLIENT_PORT if scheme else RAY_GCS_PORT)
    if not host or not port.isdigit():
        raise ConnectError(f"--address {address}: expected ray://HOST:PORT, HOST:PORT or auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ConnectError(f"--address {address}: cannot reach the Ray cluster ({reason})") from None


# -- one trial ---------------------------------------------------------------------------------------
class TrialWatch:
    """Follows a trial's run in place of the progress bar (see `unsuplab.cli.Watch`): keeps its
    newest figures, passes each snapshot's to `report` (step, metrics), and asks the run to stop
    once `stop()` was called."""

    def __init__(self, report: Callable[[int, dict[str, float]], None] | None = None):
        self.report = report
        self.step, self.metrics = 0, {}
        self._stop = threading.Event()

    def update(self, progress: Any, metrics: dict[str, float]) -> None:
        self.step, self.metrics = progress.step, dict(metrics)
        if self.report is not None:
            self.report(progress.step, self.metrics)

    def note(self, message: str) -> None:
        pass  # "stopping after this step": the trial's record says it was stopped early

    def close(self) -> None:
        pass

    def stop(self) -> None:
        self._stop.set()

    def stop_requested(self) -> bool:
        return self._stop.is_set()


def run_trial(plan: SweepPlan, trial: Trial, out: Path, watch: TrialWatch | None = None) -> TrialRecord:
    """Train one trial into its folder under `out` exactly as `unsuplab train` would (what train
    prints goes to the folder's log.txt) and write its record; returns the record."""
    from unsuplab.cli import EXIT_INTERRUPTED, EXIT_OK, main

    folder = trial_folder(out, trial)
    folder.mkdir(parents=True, exist_ok=True)
    record = TrialRecord(trial.name, trial.settings, trial.seed, FAILED, message=trial.problem)
    if not trial.problem:
        watch = watch or TrialWatch()
        log = folder / LOG_FILE
        with (
            open(log, "w", encoding="utf-8") as f,
            contextlib.redirect_stdout(f),
            contextlib.redirect_stderr(f),
        ):
            code = main(trial_argv(plan, trial, folder), watch=watch)
        record.step, record.figures = watch.step, final_figures(watch.metrics)
        if code == EXIT_OK or (code == EXIT_INTERRUPTED and watch.step >= plan.steps):
            record.status = DONE  # a stop asked for as the run reached its last step comes too late
        elif code == EXIT_INTERRUPTED and watch.stop_requested():
            record.status = STOPPED
        else:
            said = [line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith(ERROR)]
            record.message = said[-1].removeprefix(ERROR).strip() if said else f"exit status {code}"
    write_record(folder, record)
    return record


# -- the sweep on Ray Tune ---------------------------------------------------------------------------
def connect(address: str | None = None, *, cpus: int | None = None, dashboard: bool = False) -> None:
    """Join the Ray cluster at `address`, or start Ray on this machine (`cpus` CPUs, or all) with
    its dashboard off unless asked for (then on 127.0.0.1 only)."""
    if address is None:
        # Ray then takes this machine's address to be 127.0.0.1 (as it does on macOS and Windows),
        # and its services listen there only. Read when Ray is imported, and by its workers.
        os.environ[LOCAL_ONLY] = "0"
    import ray

    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None:
        options.update(num_cpus=cpus, include_dashboard=dashboard, dashboard_host="127.0.0.1")
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError) as exc:
        where = f"--address {address}" if address else "starting Ray on this machine"
        raise ConnectError(f"{where}: {' '.join(str(exc).split())[:300]}") from None


def disconnect() -> None:
    import ray

    ray.shutdown()


def run_sweep(
    plan: SweepPlan,
    config_type: type,
    out: Path,
    *,
    early_stop: tuple[str, str] | None = None,
    on_trial: Callable[[TrialRecord], None] = lambda record: None,
) -> Sweep:
    """Run every trial of `plan` as a Ray Tune trial (Ray connected by `connect`); Ray's
    resources decide how many run at once: a CPU each, and a GPU each for a CUDA device.
    `early_stop` = (held-out metric, "down" or "up") cuts trials short with Tune's ASHA scheduler.
    A trial that fails is recorded and the others go on. Returns the sweep as its folder holds it."""
    import ray
    from ray import tune

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's console tables off: one line a trial
    out = Path(out).absolute()
    trials = plan.trials(config_type)
    for trial in trials:
        if trial.problem:  # refused by the lesson's own check: reported, never started
            on_trial(run_trial(plan, trial, out))
    runnable = [trial for trial in trials if not trial.problem]
    if runnable:
        gpu = plan.device == "cuda" or (plan.device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
        scheduler = None
        if early_stop is not None:
            metric, direction = early_stop
            scheduler = tune.schedulers.ASHAScheduler(
                time_attr="step",
                metric=metric,
                mode="min" if direction == "down" else "max",
                max_t=plan.steps,
                grace_period=max(1, plan.steps // 10),
                reduction_factor=3,
            )
        tuner = tune.Tuner(
            tune.with_resources(_trainable(), {"cpu": 1, "gpu": int(gpu)}),
            param_space={
                "plan": plan.to_dict(),
                "out": str(out),
                "trial": tune.grid_search([asdict(trial) for trial in runnable]),
            },
            tune_config=tune.TuneConfig(
                scheduler=scheduler,
                reuse_actors=True,  # a trial after the first in a process skips importing torch
                trial_dirname_creator=lambda t: t.config["trial"]["name"],
                trial_name_creator=lambda t: t.config["trial"]["name"],
            ),
            run_config=tune.RunConfig(
                storage_path=str(out),
                name="tune",
                verbose=0,
                callbacks=[_announcer(out, on_trial)],
                checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
            ),
        )
        tuner.fit()
    return read_sweep(out)


def _record_crash(out: Path, trial: Trial) -> None:
    """Record a trial whose process died before it could write its record."""
    if read_record(out, trial).status == PENDING:
        message = f"its process failed; Ray's report is in {out / 'tune' / trial.name / 'error.txt'}"
        write_record(
            trial_folder(out, trial),
            TrialRecord(trial.name, trial.settings, trial.seed, FAILED, message=message),
        )


def _trainable() -> type:
    """The Tune trainable of a trial (made here: tune is imported only when a sweep runs).

    `unsuplab train` runs in a thread of the trial's process; `step` hands Tune the newest
    figures each time a snapshot comes, and the final ones with done=True. Tune stopping the
    trial (ASHA), or giving its process to the next trial, stops the run after its step and
    waits for its outputs to be written.
    """
    from ray import tune

    class SweepTrial(tune.Trainable):
        def setup(self, config: dict[str, Any]) -> None:
            self._begin(config)

        def reset_config(self, new_config: dict[str, Any]) -> bool:
            self._end()
            self._begin(new_config)
            return True

        def cleanup(self) -> None:
            self._end()

        def _begin(self, config: dict[str, Any]) -> None:
            plan = {k: v for k, v in config["plan"].items() if k not in ("format", "version")}
            self.plan, self.trial = SweepPlan(**plan), Trial(**config["trial"])
            self.reports: queue.Queue[tuple[int, dict[str, float]] | TrialRecord] = queue.Queue()
            self.watch = TrialWatch(lambda step, metrics: self.reports.put((step, metrics)))
            self.thread = threading.Thread(target=self._run, args=(Path(config["out"]),), daemon=True)
            self.thread.start()

        def _run(self, out: Path) -> None:
            try:
                record = run_trial(self.plan, self.trial, out, self.watch)
            except Exception as exc:  # noqa: BLE001 - recorded as the trial's failure, never lost
                record = TrialRecord(self.trial.name, self.trial.settings, self.trial.seed, FAILED)
                record.message = f"{type(exc).__name__}: {exc}"
                write_record(trial_folder(out, self.trial), record)
            self.reports.put(record)

        def _end(self) -> None:
            if self.thread.is_alive():
                self.watch.stop()
            self.thread.join()

        def step(self) -> dict[str, Any]:
            report = self.reports.get()
            if isinstance(report, TrialRecord):
                figures = report.figures or final_figures(self.watch.metrics)
                return {"step": report.step, **_finite(figures), "status": report.status, "done": True}
            step, metrics = report
            return {"step": step, **_finite(metrics)}

    return SweepTrial


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """Figures for Tune, a non-finite one (a diverged run's) as NaN."""
    return {name: value if math.isfinite(value) else math.nan for name, value in metrics.items()}


def _announcer(out: Path, on_trial: Callable[[TrialRecord], None]) -> Any:
    """A Tune callback that passes each ended trial's record to `on_trial` once the trial has
    written it (Tune learns of the end first: a trial it stops writes its outputs after)."""
    from ray.tune import Callback

    class Announcer(Callback):
        def __init__(self):
            self.ending: list[Trial] = []

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.ending.append(Trial(**trial.config["trial"]))

        def on_trial_error(self, iteration, trials, trial, **info):
            _record_crash(out, Trial(**trial.config["trial"]))
            self.on_trial_complete(iteration, trials, trial)

        def on_step_end(self, iteration, trials, **info):
            self._announce(final=False)

        def on_experiment_end(self, trials, **info):
            self._announce(final=True)

        def _announce(self, final: bool) -> None:
            for trial in list(self.ending):
                record = read_record(out, trial)
                if final or record.status != PENDING:
                    self.ending.remove(trial)
                    on_trial(record)

    return Announcer()


def print_record(record: TrialRecord) -> None:
    """One line on stderr per finished trial: its name, status, step and figures."""
    figures = " ".join(f"{n}={v:.5g}" for n, v in record.figures.items())
    why = f": {record.message}" if record.message else ""
    print(f"trial {record.trial}: {record.status} at step {record.step} {figures}{why}", file=sys.stderr)

"""What comparing costs: k variants trained in turns against one run, and the window with 4 variants.

For the autoencoder and rbm lessons, samples per second (all variants' samples together) of one
run through the lab's run loop and of a comparison of k variants (learning rates a little apart);
the target is a ratio of at least 0.9, i.e. each variant trains at ≥ 0.9 × (one run's speed / k).
Then the window trains one autoencoder run and a 4-variant comparison, and the worst event-loop
stall of each is printed (a 10 ms timer; the largest gap between its ticks from the press of
Train or Compare to the end, the building of the first snapshot's panels included), with the
most CPU time the GUI thread spent in one gap: on a busy machine the wall-clock stall mostly
measures the other processes, the CPU time what the window itself did. Prints figures; never
fails.

    python benchmarks/compare.py [--steps 400] [--k 2] [--gui-steps 300] [--device cpu]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from unsuplab.core.compare import Comparison, vary_configs
from unsuplab.core.experiment import Experiment
from unsuplab.core.loop import RunControl, StateChanged, run
from unsuplab.core.registry import lesson
from unsuplab.models.devices import device_label, resolve_device

LESSONS = ("autoencoder", "rbm")
TICK_MS = 10


def variants(name: str, k: int) -> tuple[type[Experiment], list]:
    """The lesson and k configs whose learning rates differ by 10 % steps."""
    cls = lesson(name)
    base = cls.Config()
    rates = [str(base.learning_rate * (1 + i / 10)) for i in range(k)]
    return cls, vary_configs(base, {"learning_rate": rates})


def loop_rate(experiment: Experiment, steps: int, device: str) -> float:
    """Samples per second from "running" to "finished" through the run loop."""
    control = RunControl(step_limit=steps)
    start = end = None
    for event in run(experiment, control, device=device):
        if isinstance(event, StateChanged) and event.state == "running" and start is None:
            start = time.perf_counter()
        elif isinstance(event, StateChanged) and event.state == "finished":
            end = time.perf_counter()
            control.stop()
    return steps * experiment.samples_per_step / (end - start)


def window_stall(name: str, k: int, steps: int, device: str) -> tuple[float, float, float]:
    """(samples/s, worst event-loop stall in ms, most GUI-thread CPU ms in one gap) of the window
    training a k-variant comparison (k = 1: one run, for reference)."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from unsuplab.ui.app import application
    from unsuplab.ui.main_window import MainWindow

    app = application()
    window = MainWindow(lesson=name, dark=True)
    window.show()
    window.controls.device.setCurrentIndex(max(0, window.controls.device.findData(device)))
    window.controls.step_limit.setValue(steps)
    marks: dict[str, float] = {}
    worst = worst_cpu = 0.0
    last = [time.perf_counter(), time.thread_time()]
    loop = QEventLoop()

    def on_tick() -> None:
        nonlocal worst, worst_cpu
        now, cpu = time.perf_counter(), time.thread_time()
        if "pressed" in marks:
            worst = max(worst, now - last[0])
            worst_cpu = max(worst_cpu, cpu - last[1])
        last[:] = [now, cpu]

    def on_event(event: object) -> None:
        if isinstance(event, StateChanged) and event.state in ("running", "finished", "failed"):
            marks.setdefault(event.state, time.perf_counter())
            if event.state != "running":
                loop.quit()

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(on_tick)
    ticker.start()
    try:
        settle = QEventLoop()  # the window drawn once before the press, as a user sees it
        QTimer.singleShot(500, settle.quit)
        settle.exec()
        on_tick()
        marks["pressed"] = time.perf_counter()
        if k == 1:
            window.train()
        else:
            window.start_comparison(variants(name, k)[1])
        window.worker.event.connect(on_event)
        samples = window.worker.experiment.samples_per_step
        loop.exec()
        if "finished" not in marks:
            raise RuntimeError(f"the {k}-variant comparison did not finish: {window.run_state}")
        return steps * samples / (marks["finished"] - marks["running"]), worst * 1000.0, worst_cpu * 1000.0
    finally:
        ticker.stop()
        window.shutdown()
        window.close()
        app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps of each run (default 400)")
    parser.add_argument("--k", type=int, default=2, help="variants compared (2 to 4; default 2)")
    parser.add_argument("--gui-steps", type=int, default=300, help="steps of the window's comparison")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    device = resolve_device(args.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"device: {device_label(device)}; load average {load:.1f}; {args.steps} steps per run, k = {args.k}"
    )
    for name in LESSONS:
        cls, configs = variants(name, args.k)
        single = loop_rate(cls(dataclasses.replace(configs[0])), args.steps, device)
        together = loop_rate(Comparison(cls, configs), args.steps, device)
        print(
            f"{name:12s} one run {single:10,.0f} samples/s   {args.k} variants {together:10,.0f} samples/s "
            f"in all   ratio {together / single:.3f} (target ≥ 0.9)"
        )
    for k in (1, 4):
        rate, stall, cpu = window_stall("autoencoder", k, args.gui_steps, device)
        what = "one autoencoder run" if k == 1 else f"{k} autoencoder variants"
        print(
            f"window, {what}: {rate:,.0f} samples/s in all; worst event-loop stall {stall:.1f} ms "
            f"(GUI thread CPU in one gap at most {cpu:.1f} ms)"
        )


if __name__ == "__main__":
    main()

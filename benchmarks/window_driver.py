"""Drive the real window through one run for benchmarks/overhead.py: speed, stalls, first paint."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEventLoop, Qt, QTimer

from unsuplab.core.loop import RunFailed, StateChanged
from unsuplab.ui.app import application

TICK_MS = 10  # the probe timer: an idle event loop fires it every 10 ms
#: Seconds the window is shown before Train is pressed, as a person would read it first.
SETTLE_S = 2.0
#: Give up when the run shows no newer snapshot for this long (a stuck run must not hang a script).
STALL_TIMEOUT_S = 300.0


def measure_window_run(
    lesson: str, steps: int, device: str, overrides: dict[str, str]
) -> tuple[float, float, float]:
    """Train `lesson` for `steps` steps in the real window, as a user pressing Train would.

    Returns (samples per second from the "running" state to "finished", by wall clock; the
    largest gap in ms between two ticks of a 10 ms timer while training, i.e. the worst
    event-loop stall; seconds from pressing Train to the first snapshot drawn by the views).
    Train is pressed `SETTLE_S` seconds after the window is shown.
    `overrides` are setting values as text, validated by the form (ConfigError when bad).
    """
    from unsuplab.ui.main_window import MainWindow

    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    app = application()
    window = MainWindow(lesson=lesson, dark=True)
    ticker = QTimer()
    try:
        window.show()
        # A person looks at the window before pressing Train; the window's background warm-up
        # (torch's first-optimiser imports) runs meanwhile, as it does for them.
        settle = QEventLoop()
        QTimer.singleShot(int(SETTLE_S * 1000), settle.quit)
        settle.exec()
        if overrides:
            window.form.apply_overrides(overrides)  # raises ConfigError like the CLI's shot
        error = window.form.check()
        if error is not None:
            raise error
        index = window.controls.device.findData(device)
        if index < 0:
            raise ValueError(f"device {device!r} is not offered by the window")
        window.controls.device.setCurrentIndex(index)
        window.controls.step_limit.setValue(steps)

        marks: dict[str, float] = {}
        worst_gap = 0.0
        last_tick = [time.perf_counter()]
        loop = QEventLoop()
        failure: list[str] = []
        watchdog = QTimer()
        watchdog.setSingleShot(True)
        watchdog.setInterval(int(STALL_TIMEOUT_S * 1000))
        watchdog.timeout.connect(loop.quit)

        def on_tick() -> None:
            nonlocal worst_gap
            now = time.perf_counter()
            if "running" in marks and "finished" not in marks:
                worst_gap = max(worst_gap, now - last_tick[0])
            last_tick[0] = now

        def on_event(event: object) -> None:
            nonlocal worst_gap
            if isinstance(event, StateChanged) and event.state in ("running", "finished"):
                marks.setdefault(event.state, time.perf_counter())
                if event.state == "finished":
                    # The time since the last tick counts too: a run shorter than one tick has
                    # still kept the loop from ticking that long.
                    since = max(last_tick[0], marks.get("running", last_tick[0]))
                    worst_gap = max(worst_gap, marks["finished"] - since)
                    loop.quit()
            elif isinstance(event, RunFailed):
                marks["failed"] = time.perf_counter()
                failure.append(event.message)
                loop.quit()

        def on_snapshot(_snapshot: object) -> None:
            # Connected after the window's own slot, so the views have drawn it by now.
            marks.setdefault("first_snapshot", time.perf_counter())
            watchdog.start()  # progress: reset the stall deadline

        ticker.setTimerType(Qt.TimerType.PreciseTimer)
        ticker.setInterval(TICK_MS)
        ticker.timeout.connect(on_tick)
        ticker.start()

        pressed = time.perf_counter()
        window.controls.train.trigger()  # the Train button's own action
        if window.worker is None:
            raise RuntimeError(f"the run could not start: {window.banner.message.text()}")
        window.worker.event.connect(on_event)
        window.worker.snapshot.connect(on_snapshot)
        batch = window.worker.experiment.samples_per_step
        watchdog.start()
        loop.exec()

        if failure:
            raise RuntimeError(f"{lesson} failed: {failure[0]}")
        if "finished" not in marks or "running" not in marks:
            raise RuntimeError(f"{lesson}: no progress for {STALL_TIMEOUT_S:.0f} s; gave up")
        seconds = marks["finished"] - marks["running"]
        rate = steps * batch / seconds if seconds > 0 else math.inf
        first = marks.get("first_snapshot", math.nan) - pressed
        return rate, worst_gap * 1000.0, first
    finally:
        ticker.stop()
        window.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()

"""Does the window stay live while each lesson trains, and at what cost to training speed?

For every lesson (or those named by `--only`), in fresh processes:

- window: the real main window (offscreen; also under Xvfb's xcb platform with `--xcb`) trains
  the lesson at its defaults for `--seconds`, while a 10 ms timer measures how late the GUI event
  loop answers (worst and 99th percentile; the first second, which builds every panel, apart);
  meanwhile the lesson's interaction is timed from the user's act to its answer on screen (a
  drawing-pad stroke to its reconstruction, a latent-plane click to its picture, an action button
  such as GAN's D-step to its answer); then Pause, Stop and a lesson switch are each timed until
  the window shows them; last, every panel of the final snapshot is drawn again and timed
  (show_payload plus a repaint), per panel kind, and one full garbage collection is timed (what
  the GUI thread's periodic collector costs the window at that point);
- core: the same lesson through the run loop without a window, for the same time, timing the
  lesson's own evaluate() and snapshot().

Prints one row per lesson and a table of drawing costs per panel kind; the last line is
`worst stall ms: N; worst ratio: R` (ratio: window ÷ core training samples/s, the lowest).
Figures only; nothing passes or fails on time.

    python benchmarks/responsiveness.py [--seconds 10] [--only autoencoder gan ...] [--xcb] [--threads N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tables import print_table  # beside this script

TICK_MS = 10  # the probe timer; an idle event loop fires it every 10 ms
SETTLE_S = 1.0  # the window is shown this long before Train, as a person would look first
FIRST_S = 1.0  # the stall of the first snapshot's panel building is told apart for this long
WAIT_S = 60.0  # give up on any awaited answer after this long
INTERACTION_TRIES = 3
DRAW_REPEATS = 5
#: The lesson the switch goes to (and, for that lesson itself, the one it goes from).
SWITCH_TO = ("pca", "autoencoder")


# -- the window process ----------------------------------------------------------------------------
class _Ticker:
    """Lateness of a 10 ms precise timer: how long the event loop kept it waiting, per tick."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.lateness: list[tuple[float, float]] = []  # (when the wait began, milliseconds late)
        self.recording = False
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.recording:
            self.lateness.append((self._last, max(0.0, (now - self._last) * 1000.0 - TICK_MS)))
        self._last = now


def _wait_until(app, condition: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> float:
    """Seconds until `condition` holds, the event loop running meanwhile; raises on timeout."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"no {what or 'answer'} within {timeout:.0f} s")
        app.processEvents()
        time.sleep(0.0005)
    return time.perf_counter() - start


def _interaction(app, window) -> tuple[str, Callable[[], float]] | None:
    """The lesson's interaction as (name, a function timing one try), or None when it has none."""
    import numpy as np

    from unsuplab.ui.views.scatter_view import ScatterView

    if window.pad_dock.isVisible() and window.pad.image_shape is not None:
        pad = window.pad

        def stroke() -> float:
            pad.clear()
            sent = pad.requests_sent
            start = time.perf_counter()
            pad.canvas.stroke([(0.3, 0.2), (0.5, 0.5), (0.4, 0.8)])
            _wait_until(app, lambda: pad.requests_sent > sent and not pad._in_flight, what="reconstruction")
            return time.perf_counter() - start

        return "pad stroke", stroke
    planes = [v for v in window.views.views.values() if isinstance(v, ScatterView) and v.plane_command]
    if planes:
        view = planes[0]
        answered = []
        shown = view.show_inspected
        view.show_inspected = lambda payload: (answered.append(1), shown(payload))

        def click() -> float:
            before = len(answered)
            x, y = np.asarray(view.points).mean(axis=0)  # the middle of the cloud
            start = time.perf_counter()
            view._send_plane_point((float(x), float(y)))
            _wait_until(app, lambda: len(answered) > before, what="decoded point")
            return time.perf_counter() - start

        return "plane click", click
    actions = window.lesson_actions
    if actions.buttons:
        name = next(iter(actions.buttons))

        def press() -> float:
            start = time.perf_counter()
            actions.request(name)
            _wait_until(app, lambda: name not in actions._pending, what=f"answer to {name}")
            return time.perf_counter() - start

        return name, press
    return None


def _draw_costs(app, window, payloads: dict) -> dict[str, float]:
    """Milliseconds to draw each panel of a snapshot again (its view's show_payload and a repaint),
    median of a few, the slowest panel per kind."""
    costs: dict[str, float] = {}
    for key, payload in payloads.items():
        view = window.views.views.get(key)
        if view is None:
            continue
        times = []
        for _ in range(DRAW_REPEATS):
            start = time.perf_counter()
            view.show_payload(payload)
            view.repaint()
            times.append((time.perf_counter() - start) * 1000.0)
            app.processEvents()
        costs[payload.kind] = max(costs.get(payload.kind, 0.0), statistics.median(times))
    return costs


def measure_window(lesson: str, seconds: float) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from unsuplab.core.loop import RunFailed
    from unsuplab.ui.app import application
    from unsuplab.ui.main_window import MainWindow

    app = application()
    window = MainWindow(lesson=lesson, dark=True)
    window.show()
    settle = QEventLoop()
    QTimer.singleShot(int(SETTLE_S * 1000), settle.quit)
    settle.exec()
    ticker = _Ticker()
    progress = []
    failures = []
    result: dict = {"lesson": lesson, "platform": app.platformName()}
    try:
        window.controls.train.trigger()
        worker = window.worker
        worker.snapshot.connect(lambda s: progress.append(s.progress))
        worker.event.connect(lambda e: failures.append(e.message) if isinstance(e, RunFailed) else None)
        _wait_until(app, lambda: window.run_state == "running" and bool(progress), what="first snapshot")
        ticker.recording = True  # the first snapshot is drawn: its panels are being built
        start = time.perf_counter()
        _wait_until(app, lambda: time.perf_counter() - start >= seconds or bool(failures), seconds + WAIT_S)
        interaction = _interaction(app, window)
        if interaction is not None:
            name, attempt = interaction
            result["interaction"] = name
            result["interaction_ms"] = 1000.0 * statistics.median(attempt() for _ in range(INTERACTION_TRIES))
        ticker.recording = False
        if failures:
            raise RuntimeError(f"{lesson} failed: {failures[0]}")
        # The first second builds and lays out every panel once: a stall of its own.
        result["first_ms"] = max((ms for when, ms in ticker.lateness if when < start + FIRST_S), default=0.0)
        lateness = sorted(ms for when, ms in ticker.lateness if when >= start + FIRST_S) or [0.0]
        result["stall_max"] = lateness[-1]
        result["stall_p99"] = lateness[min(len(lateness) - 1, int(0.99 * len(lateness)))]

        result["pause_ms"] = _timed(app, window.pause, lambda: window.run_state == "paused")
        # The paused run's snapshot (never held back by the render pacing) counts every step.
        first = next(p for p in progress if p.samples > 0)
        last = progress[-1]
        result["window_rate"] = (last.samples - first.samples) / max(last.elapsed - first.elapsed, 1e-9)
        window.train()
        _wait_until(app, lambda: window.run_state == "running", what="resumed run")
        result["stop_ms"] = _timed(app, window.stop, lambda: window.run_state == "stopped")
        payloads = window.last_snapshot.payloads
        _wait_until(app, lambda: window.worker is None, what="end of the stopped run's thread")
        window.train()
        _wait_until(
            app, lambda: window.run_state == "running" and window.last_snapshot is not None, what="new run"
        )
        other = SWITCH_TO[0] if lesson != SWITCH_TO[0] else SWITCH_TO[1]
        result["switch_ms"] = _timed(app, lambda: window.select_lesson(other), _idle_turn(app))
        window.select_lesson(lesson)
        window.train()
        _wait_until(
            app,
            lambda: window.run_state == "running" and window.last_snapshot is not None,
            what="run after the switch",
        )
        window.pause()
        _wait_until(app, lambda: window.run_state == "paused", what="pause")
        result["draw_ms"] = _draw_costs(app, window, payloads)
        # What the GUI-thread collector's periodic full collection costs the window now.
        start = time.perf_counter()
        gc.collect()
        result["gc_ms"] = 1000.0 * (time.perf_counter() - start)
    finally:
        window.shutdown()
        window.close()
    return result


def _timed(app, act: Callable[[], None], shown: Callable[[], bool]) -> float:
    """Milliseconds from `act` to `shown()` holding."""
    start = time.perf_counter()
    act()
    _wait_until(app, shown, what=f"answer to {getattr(act, '__name__', 'the act')}")
    return 1000.0 * (time.perf_counter() - start)


def _idle_turn(app) -> Callable[[], bool]:
    """A condition that holds once the event loop has come back to a zero timer posted now:
    whatever the act queued for the window has been handled."""
    from PySide6.QtCore import QTimer

    turned = []
    QTimer.singleShot(0, lambda: turned.append(1))
    return lambda: bool(turned)


# -- the core process ------------------------------------------------------------------------------
def measure_core(lesson: str, seconds: float) -> dict:
    """Train `lesson` through the run loop without a window; its rate and its evaluate()/snapshot()
    cost in milliseconds (the slowest call)."""
    from unsuplab.core.loop import RunControl, RunFailed, Snapshot, run
    from unsuplab.core.registry import lesson as lesson_class

    experiment = lesson_class(lesson)(lesson_class(lesson).Config())
    costs: dict[str, list[float]] = {"evaluate": [], "snapshot": []}
    for name, times in costs.items():
        method = getattr(experiment, name)

        def timed(method=method, times=times):
            start = time.perf_counter()
            answer = method()
            times.append((time.perf_counter() - start) * 1000.0)
            return answer

        setattr(experiment, name, timed)
    control = RunControl()
    progress = []
    start = None
    for event in run(experiment, control):
        if isinstance(event, RunFailed):
            raise RuntimeError(f"{lesson} failed: {event.message}")
        if isinstance(event, Snapshot):
            progress.append(event.progress)
            if start is None and event.progress.samples > 0:
                start = time.perf_counter()
            if start is not None and time.perf_counter() - start >= seconds:
                control.stop()
    first = next(p for p in progress if p.samples > 0)
    last = progress[-1]
    return {
        "core_rate": (last.samples - first.samples) / max(last.elapsed - first.elapsed, 1e-9),
        "evaluate_ms": max(costs["evaluate"], default=0.0),
        "snapshot_ms": max(costs["snapshot"], default=0.0),
    }


# -- the driver -------------------------------------------------------------------------------------
def _in_process(way: str, lesson: str, seconds: float, platform: str, threads: int | None) -> dict:
    command = [sys.executable, __file__, "--way", way, "--lesson", lesson, "--seconds", str(seconds)]
    env = dict(os.environ, QT_QPA_PLATFORM=platform)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)  # torch's intra-op threads, in both processes
    if platform == "xcb":
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=Path(__file__).parent)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": tail[0]}
    return json.loads(lines[-1])


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="training seconds per lesson and way")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="lessons to measure (default: all)")
    parser.add_argument("--xcb", action="store_true", help="also under Xvfb's xcb platform")
    parser.add_argument(
        "--threads", type=int, help="torch threads (default: torch's; 1 on a machine shared with others)"
    )
    parser.add_argument("--way", choices=("window", "core"), help=argparse.SUPPRESS)
    parser.add_argument("--lesson", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:
        measure = measure_window if args.way == "window" else measure_core
        print(json.dumps(measure(args.lesson, args.seconds)))
        return

    from unsuplab.core.registry import lessons as all_lessons

    lessons = args.only or [cls.name for cls in all_lessons()]
    platforms = ["offscreen"]
    if args.xcb:
        if shutil.which("xvfb-run") is None:
            print("--xcb: xvfb-run is not installed; measuring offscreen only")
        else:
            platforms.append("xcb")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    threads = "torch's default threads" if args.threads is None else f"{args.threads} torch thread(s)"
    print(
        f"{len(lessons)} lessons, {args.seconds:g} s of training each way, {threads}; load average {load:.1f}"
    )
    rows, draws = [], {}
    worst_stall, worst_ratio = 0.0, float("inf")
    for lesson in lessons:
        core = _in_process("core", lesson, args.seconds, "offscreen", args.threads)
        for platform in platforms:
            win = _in_process("window", lesson, args.seconds, platform, args.threads)
            if "error" in win or "error" in core:
                rows.append([lesson, platform, f"error: {win.get('error') or core.get('error')}"] + [""] * 13)
                continue
            ratio = win["window_rate"] / core["core_rate"]
            worst_stall, worst_ratio = max(worst_stall, win["stall_max"]), min(worst_ratio, ratio)
            for kind, ms in win["draw_ms"].items():
                if ms > draws.get((platform, kind), ("", 0.0))[1]:
                    draws[(platform, kind)] = (lesson, ms)
            rows.append(
                [
                    lesson,
                    platform,
                    _ms(win["first_ms"]),
                    _ms(win["stall_max"]),
                    _ms(win["stall_p99"]),
                    win.get("interaction", "—"),
                    _ms(win.get("interaction_ms")),
                    f"{win['window_rate']:,.0f}",
                    f"{core['core_rate']:,.0f}",
                    f"{ratio:.2f}",
                    _ms(win["pause_ms"]),
                    _ms(win["stop_ms"]),
                    _ms(win["switch_ms"]),
                    _ms(core["evaluate_ms"]),
                    _ms(core["snapshot_ms"]),
                    _ms(win["gc_ms"]),
                ]
            )
    header = [
        "lesson",
        "platform",
        "first panels ms",
        "stall max ms",
        "p99 ms",
        "interaction",
        "answer ms",
        "window samples/s",
        "core samples/s",
        "ratio",
        "pause ms",
        "stop ms",
        "switch ms",
        "evaluate ms",
        "snapshot ms",
        "full gc ms",
    ]
    print_table(header, rows)
    print("drawing one snapshot's panel again (show_payload + repaint, median of 5), slowest per kind:")
    print_table(
        ["panel kind", "platform", "ms", "lesson"],
        [[kind, platform, f"{ms:.1f}", lesson] for (platform, kind), (lesson, ms) in sorted(draws.items())],
    )
    print(f"worst stall ms: {worst_stall:.0f}; worst ratio: {worst_ratio:.2f}")


if __name__ == "__main__":
    main()

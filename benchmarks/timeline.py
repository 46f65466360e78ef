"""What recording a run's timeline costs, and how fast it is read back.

1. memory: each lesson trains for a fixed time with snapshots ~10 times a second (as in the
   window); frames kept, bytes per frame, total bytes and keyframes kept;
2. cost: steps/s of the autoencoder and dqn lessons with and without recording, side by side
   (medians of alternated runs), and the share of run time spent inside the recording itself;
3. scrubbing: 200 random recorded frames shown through an offscreen ViewArea (every panel) the
   way the window shows a moment; then the same in the main window while it trains; the median,
   90th percentile and worst milliseconds per move;
4. film: a 200-frame GIF of the whole view area at 800 px (frames recorded at every step of the
   autoencoder); seconds taken and the file's size.

Prints figures; never fails on time.

    python benchmarks/timeline.py [--seconds 5] [--lessons autoencoder,dqn,...] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is loaded (for parts 3 and 4)

from unsuplab.core.loop import RunControl, Snapshot, StateChanged, _Run, run
from unsuplab.core.registry import lesson, lessons
from unsuplab.core.timeline import Timeline
from unsuplab.models.devices import device_label, resolve_device

COST_LESSONS = ("autoencoder", "dqn")
SCRUB_MOVES = 200
FILM_FRAMES = 200


class Unrecorded(Timeline):
    """A timeline that keeps nothing: the loop as it ran before recording existed."""

    def record(self, step, elapsed, metrics, payloads) -> None:
        pass

    def should_keyframe(self, step, now) -> bool:
        return False


def train_for(name: str, seconds: float, device: str, timeline: Timeline, interval: float = 0.1):
    """Train `name` (its default settings) for `seconds` after it is built; its steps, its last
    snapshot and the time spent training."""
    control = RunControl()
    timer = None
    last, started = None, None
    for event in run(lesson(name)(), control, device=device, snapshot_interval=interval, timeline=timeline):
        if isinstance(event, Snapshot):
            last = event
        if isinstance(event, StateChanged) and event.state == "running" and timer is None:
            started = time.perf_counter()
            timer = threading.Timer(seconds, control.stop)
            timer.start()
        if isinstance(event, StateChanged) and event.state in ("failed", "stopped"):
            break
    return last, time.perf_counter() - started


def memory(names: list[str], seconds: float, device: str) -> dict[str, tuple[Timeline, Snapshot]]:
    print(f"\n1. memory after {seconds:g} s of training each (snapshots ~10/s, budget 256 MB)")
    print(f"{'lesson':26s} {'steps':>8s} {'frames':>7s} {'kB/frame':>9s} {'total MB':>9s} {'keyframes':>9s}")
    kept = {}
    for name in names:
        timeline = Timeline()
        last, _ = train_for(name, seconds, device, timeline)
        frames = len(timeline)
        per = timeline.frame_bytes / max(frames, 1) / 1e3
        step = last.progress.step if last else 0
        print(
            f"{name:26s} {step:8d} {frames:7d} {per:9.1f} {timeline.nbytes / 1e6:9.2f} "
            f"{len(timeline.keyframe_steps()):9d}"
        )
        kept[name] = (timeline, last)
    return kept


def cost(seconds: float, device: str, repeats: int = 4) -> None:
    """Steps/s without and with recording, alternated `repeats` times (medians: one short run
    each swings by several per cent on a laptop), and the share of the run spent inside the
    loop's recording itself (`_Run._record`: frame, keyframe state, thinning), which is steady."""
    print(
        f"\n2. recording cost: steps/s over {seconds:g} s, without and with the timeline "
        f"(median of {repeats} alternated runs), and time inside the recording"
    )
    spent_recording = [0.0]
    original = _Run._record

    def timed_record(run_object, now, shown):
        start = time.perf_counter()
        original(run_object, now, shown)
        spent_recording[0] += time.perf_counter() - start

    _Run._record = timed_record
    try:
        for name in COST_LESSONS:
            rates: dict[str, list[float]] = {"without": [], "with": []}
            shares = []
            for repeat in range(repeats):
                pair = [("without", Unrecorded()), ("with", Timeline())]
                for label, timeline in pair if repeat % 2 == 0 else pair[::-1]:  # neither always first
                    spent_recording[0] = 0.0
                    last, spent = train_for(name, seconds, device, timeline)
                    rates[label].append(last.progress.step / spent)
                    if label == "with":
                        shares.append(100 * spent_recording[0] / spent)
            without, with_ = statistics.median(rates["without"]), statistics.median(rates["with"])
            print(
                f"{name:26s} without {without:9.1f}   with {with_:9.1f}   "
                f"({100 * (with_ / without - 1):+.1f} %; runs {min(rates['without']):.0f}–"
                f"{max(rates['without']):.0f} / {min(rates['with']):.0f}–{max(rates['with']):.0f})   "
                f"recording {statistics.median(shares):.2f} % of the run time"
            )
    finally:
        _Run._record = original


def scrub(timeline: Timeline, last: Snapshot) -> None:
    """Random moves of the timeline slider, each shown the way the window shows a moment
    (`timeline_bar.moment` and `ViewArea.show_moment`: changed panels redrawn, curves cut with a
    cursor), then painted."""
    from unsuplab.ui.app import application
    from unsuplab.ui.timeline_bar import moment, scatter_bounds
    from unsuplab.ui.view_area import ViewArea

    app = application()
    steps = timeline.steps()
    area = ViewArea()
    area.resize(1200, 800)
    area.show()
    area.show_payloads(last.payloads)
    app.processEvents()
    held = scatter_bounds(timeline, last.payloads)  # the window computes it once per recording
    times = []
    for _ in range(SCRUB_MOVES):
        step = random.choice(steps)
        start = time.perf_counter()
        payloads, faded = moment(timeline, None, last.payloads, step)
        area.show_moment(payloads, step, steps[-1], faded, held)
        app.processEvents()
        times.append(1000 * (time.perf_counter() - start))
    area.close()
    print(
        f"\n3. scrubbing {SCRUB_MOVES} random moves over {len(steps)} frames of the autoencoder "
        f"(1200×800, every panel): {_spread(times)}"
    )


def _spread(times: list[float]) -> str:
    """Median, 90th percentile and worst of a scrub's moves; the first move (from the present into
    the past: cursors appear, ranges are held, axes re-render once) also on its own."""
    ordered, rest = sorted(times), sorted(times[1:])
    return (
        f"median {statistics.median(times):.1f} ms, 90th percentile {ordered[int(0.9 * len(times))]:.1f} "
        f"ms, worst {ordered[-1]:.1f} ms; the first move {times[0]:.1f} ms, the worst of the others "
        f"{rest[-1]:.1f} ms"
    )


def scrub_while_training(frames_wanted: int = 40) -> None:
    """The issue's case: the main window trains the autoencoder (its defaults) while the user
    drags the timeline slider; each of SCRUB_MOVES random moves is timed from the slider's new
    value to the painted window."""
    from unsuplab.ui.app import application
    from unsuplab.ui.main_window import MainWindow

    app = application()
    window = MainWindow(lesson="autoencoder", dark=True)
    window.resize(1280, 720)
    window.show()
    window.train()
    start = time.perf_counter()
    while window.timeline is None or len(window.timeline_bar.steps) < frames_wanted:
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > 120:
            print(f"\n3b. scrubbing while training: fewer than {frames_wanted} frames after 2 minutes")
            window.shutdown()
            return
    times = []
    for _ in range(SCRUB_MOVES):
        step = random.choice(window.timeline_bar.steps)
        moved = time.perf_counter()
        window.timeline_bar.slider.setValue(step)
        app.processEvents()
        times.append(1000 * (time.perf_counter() - moved))
        app.processEvents()  # the training's own snapshots (status, marks) between two moves
    trained = window.last_snapshot.progress.step if window.last_snapshot else 0
    window.shutdown()
    print(
        f"\n3b. scrubbing while training (main window 1280×720, autoencoder at step {trained:,}): "
        f"{SCRUB_MOVES} random moves over {len(window.timeline_bar.steps)} frames: {_spread(times)}"
    )


def film(device: str) -> None:
    from unsuplab.ui.film import moments, write_film

    cls = lesson("autoencoder")
    timeline, control = Timeline(), RunControl(step_limit=FILM_FRAMES - 1)
    last = None
    for event in run(cls(), control, device=device, snapshot_interval=0.0, timeline=timeline):
        last = event if isinstance(event, Snapshot) else last
        if isinstance(event, StateChanged) and event.state == "finished":
            break
    curves = {k: p for k, p in last.payloads.items() if k.startswith("curves:")}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run.gif"
        start = time.perf_counter()
        write_film(moments(timeline, curves), out, width=800, frames_wanted=FILM_FRAMES)
        spent = time.perf_counter() - start
        size = out.stat().st_size
    print(
        f"\n4. film: {FILM_FRAMES}-frame GIF of the whole view area at 800 px: {spent:.1f} s, "
        f"{size / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="training time per lesson and run")
    parser.add_argument("--lessons", default="", help="comma-separated lesson names (default: all)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = resolve_device(args.device)
    names = args.lessons.split(",") if args.lessons else [cls.name for cls in lessons()]
    print(f"unsuplab timeline benchmark on {device_label(device)}, {os.cpu_count()} CPU cores")
    kept = memory(names, args.seconds, device)
    cost(args.seconds, device)
    if "autoencoder" not in kept:
        kept.update(memory(["autoencoder"], args.seconds, device))
    scrub(*kept["autoencoder"])
    scrub_while_training()
    film(device)


if __name__ == "__main__":
    main()

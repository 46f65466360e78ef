"""RunWorker: drives the core run loop generator on a QThread and hands its events to the GUI thread."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal

from unsuplab.core.experiment import Experiment
from unsuplab.core.loop import Event, Restore, RunControl, RunFailed, Snapshot, run
from unsuplab.core.timeline import Timeline
from unsuplab.ui.draw_queue import drawing_seconds
from unsuplab.ui.gui_gc import collect_garbage_on_the_gui_thread

# Workers whose thread may still run. Holding them here means Python never garbage-collects a
# QThread that is still running (Qt aborts the process with "QThread: Destroyed while thread is
# still running"); a worker leaves the set once its thread has finished.
_LIVE: set[RunWorker] = set()

#: The share of wall time the views may spend drawing snapshots while a run trains.
RENDER_SHARE = 0.15


class _LoopThread(QThread):
    """The thread itself: iterates the generator and emits each event; never touches a widget."""

    event_ready = Signal(object)
    snapshot_ready = Signal()

    def __init__(self, events: Callable[[], Iterator[Event]], parent: QObject | None = None):
        super().__init__(parent)
        self._events = events
        self._lock = threading.Lock()
        self._pending: Snapshot | None = None

    def run(self) -> None:
        try:
            for event in self._events():
                if isinstance(event, Snapshot):
                    self._offer(event)
                else:
                    self.event_ready.emit(event)
        except BaseException as exc:  # noqa: BLE001 - the loop reports its own errors; this is a bug
            self.event_ready.emit(RunFailed(f"The run loop crashed: {exc}", traceback.format_exc()))

    def _offer(self, snapshot: Snapshot) -> None:
        # Coalescing: keep only the newest undelivered snapshot, so a GUI that falls behind finds
        # one fresh snapshot instead of a queue of stale ones. Every offer signals (cheap, ~10 a
        # second): the GUI's pacing decides whether to draw now, and a paused run's newest
        # snapshot must not wait behind an older one's pacing timer.
        with self._lock:
            self._pending = snapshot
        self.snapshot_ready.emit()

    def take_snapshot(self) -> Snapshot | None:
        with self._lock:
            snapshot, self._pending = self._pending, None
        return snapshot


class RunWorker(QObject):
    """One run of one experiment on its own thread.

    Once started the worker owns the experiment: only its thread calls the model. The GUI steers it
    through `control` (a thread-safe `RunControl`) and listens to `snapshot` (newest only),
    `event` (StateChanged, ProbeResult, Notice, RunFailed, in order) and `finished`. All three
    are emitted on the GUI thread. `timeline` is the run's recording (the restore's when it has
    one): the loop writes it, the GUI thread may read it at any time.
    """

    snapshot = Signal(object)
    event = Signal(object)
    finished = Signal()

    def __init__(
        self,
        experiment: Experiment,
        *,
        device: str = "cpu",
        seed: int = 0,
        restore: Restore | None = None,
        paused: bool = False,
        step_limit: int | None = None,
        delay: float = 0.0,
        snapshot_interval: float = 0.1,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        collect_garbage_on_the_gui_thread()  # the training thread must never destroy widgets
        self.experiment = experiment
        self.device = device
        self.control = RunControl(paused=paused, step_limit=step_limit)
        self.control.set_delay(delay)
        # What the run showed, step by step: the GUI thread reads it (it is locked) to scrub.
        self.timeline = (
            restore.timeline if restore is not None and restore.timeline is not None else Timeline()
        )

        def events() -> Iterator[Event]:
            return run(
                experiment,
                self.control,
                device=device,
                seed=seed,
                restore=restore,
                snapshot_interval=snapshot_interval,
                timeline=self.timeline,
            )

        self._thread = _LoopThread(events, self)
        queued = Qt.ConnectionType.QueuedConnection
        self._thread.event_ready.connect(self._forward_event, queued)
        self._thread.snapshot_ready.connect(self._forward_snapshot, queued)
        # Render pacing: drawing a snapshot costs GUI time that, on a 2-core laptop, training
        # loses. Deliver at most one snapshot per RENDER_SHARE⁻¹ × (its drawing time, the turns
        # the draw queue spreads it over included), so the views take a bounded share of the
        # machine however heavy the panels are.
        self._render_cost = 0.0
        self._last_delivery = -1.0
        self._last_cost = 0.0  # seconds the newest delivery took on this thread
        self._drawn_at_delivery = 0.0  # `drawing_seconds()` just after it
        self._pace_timer = QTimer(self)
        self._pace_timer.setSingleShot(True)
        self._pace_timer.timeout.connect(self._forward_snapshot)
        self._thread.finished.connect(self._on_finished, queued)

    @property
    def loop_thread(self) -> QThread:
        """The thread the loop runs on (QObject.thread() stays the GUI thread this object lives in)."""
        return self._thread

    def start(self) -> None:
        _LIVE.add(self)
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def submit(self, command: str, **kwargs: Any) -> int:
        """Queue a command for the loop (a probe, or one of `commands.LOOP_COMMANDS`); returns
        the request id its answer (a ProbeResult or a Notice, on `event`) will carry."""
        return self.control.submit(command, **kwargs)

    def stop(self) -> None:
        """Ask the loop to end; it finishes the current step and returns promptly."""
        self.control.stop()

    def wait(self, timeout_ms: int = 2000) -> bool:
        """Block until the thread has ended; False when it is still running after the timeout."""
        return self._thread.wait(timeout_ms)

    def stop_and_wait(self, timeout_ms: int = 2000) -> bool:
        self.stop()
        ended = self.wait(timeout_ms)
        if ended:
            _LIVE.discard(self)
        return ended

    # -- GUI-thread side -----------------------------------------------------------------------
    def _forward_snapshot(self, force: bool = False) -> None:
        wait = self._last_delivery + max(self._render_cost / RENDER_SHARE, 0.25) - time.perf_counter()
        # Paced only while training runs: a paused run's snapshot (a single step, a live change)
        # is the one the user is waiting to see.
        if wait > 0 and not force and not self.control.paused:
            if not self._pace_timer.isActive():
                self._pace_timer.start(max(1, int(wait * 1000)))
            return  # the newest snapshot waits in the slot; later ones replace it
        snapshot = self._thread.take_snapshot()
        if snapshot is None:
            return
        if self._last_delivery >= 0:
            # The previous snapshot's cost: its delivery and the panels drawn on later turns. The
            # first one is left out: it builds every panel once, a cost that never recurs.
            cost = self._last_cost + drawing_seconds() - self._drawn_at_delivery
            self._render_cost = cost if self._render_cost == 0 else 0.7 * self._render_cost + 0.3 * cost
        start = time.perf_counter()
        self.snapshot.emit(snapshot)  # the views draw it (a first time slice now, the rest later)
        self._last_delivery = time.perf_counter()
        self._last_cost = self._last_delivery - start
        self._drawn_at_delivery = drawing_seconds()

    def _forward_event(self, event: object) -> None:
        self.event.emit(event)

    def _on_finished(self) -> None:
        # A snapshot offered just before the loop ended may still sit in the slot.
        self._pace_timer.stop()
        self._forward_snapshot(force=True)
        _LIVE.discard(self)
        self.finished.emit()


def wait_for_all(timeout_ms: int = 2000) -> bool:
    """Stop every worker still alive and wait for them (used when the application quits)."""
    workers = list(_LIVE)
    for worker in workers:
        worker.stop()
    return all(worker.wait(timeout_ms) for worker in workers)

"""The worker thread: events cross in order, snapshots are coalesced, stop ends the thread."""

import time

from unsuplab.core.loop import Notice, Progress, Snapshot, StateChanged
from unsuplab.core.registry import lesson
from unsuplab.ui.worker import RunWorker, _LoopThread


def _snapshot(step: int) -> Snapshot:
    return Snapshot(Progress(step, step, 0.0, 0.0, 0.0), {}, {})


def test_a_slow_gui_gets_only_the_newest_snapshot_and_every_other_event(qtbot):
    def events():
        for step in range(50):
            yield _snapshot(step)
            yield Notice(f"n{step}")
        yield StateChanged("finished")

    thread = _LoopThread(events)
    got_snapshots, got_events = [], []

    def deliver():
        snapshot = thread.take_snapshot()
        if snapshot is not None:
            got_snapshots.append(snapshot.progress.step)

    thread.snapshot_ready.connect(deliver)
    thread.event_ready.connect(got_events.append)
    thread.start()
    assert thread.wait(5000)  # the GUI thread is "busy": nothing is delivered while it runs
    qtbot.waitUntil(lambda: len(got_events) == 51, timeout=3000)
    assert got_snapshots == [49]  # one stale-free snapshot, not fifty queued ones
    assert [e.message for e in got_events[:50]] == [f"n{i}" for i in range(50)]
    assert isinstance(got_events[-1], StateChanged)


def test_worker_trains_reports_and_stops_promptly(qtbot):
    cls = lesson("autoencoder")
    experiment = cls(cls.Config(batch_size=16))
    worker = RunWorker(experiment, device="cpu", seed=0)
    states, snapshots = [], []
    worker.event.connect(lambda e: states.append(getattr(e, "state", None)))
    worker.snapshot.connect(snapshots.append)
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(snapshots) and snapshots[-1].progress.step > 5, timeout=10_000)
        assert "building" in states and "running" in states
        with qtbot.waitSignal(worker.finished, timeout=3000):
            started = time.monotonic()
            worker.stop()
    finally:
        worker.stop_and_wait()
    assert time.monotonic() - started < 2.0
    assert worker.loop_thread.isFinished()
    assert states[-1] == "stopped"


def test_a_failing_build_is_reported_and_the_thread_ends(qtbot):
    cls = lesson("autoencoder")
    experiment = cls(cls.Config(data_file="/nonexistent/images.npz"))
    worker = RunWorker(experiment, device="cpu")
    failures = []
    worker.event.connect(lambda e: failures.append(e) if hasattr(e, "detail") else None)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()
    assert failures and "Could not start" in failures[0].message
    assert "nonexistent" in failures[0].message
    assert worker.loop_thread.isFinished()


def test_making_a_worker_moves_garbage_collection_to_the_gui_thread(qtbot, monkeypatch):
    """Automatic collection could run in the training thread and destroy widgets there (a hang
    seen in the suite); once a worker exists, only the GUI-thread timer collects."""
    import gc

    from unsuplab.ui import gui_gc

    monkeypatch.setattr(gui_gc, "_collector", None)  # as in a fresh process
    gc.enable()
    cls = lesson("autoencoder")
    RunWorker(cls(cls.Config()), device="cpu")
    assert not gc.isenabled()
    assert gui_gc._collector is not None and gui_gc._collector.timer.isActive()

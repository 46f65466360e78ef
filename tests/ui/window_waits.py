"""Waiting helpers for the window tests: on what the user would see, never on sleeps alone."""


def wait_for_step(qtbot, win, step: int, timeout: int = 10_000) -> None:
    """Wait until the views have drawn a snapshot of at least `step`."""
    qtbot.waitUntil(lambda: win.rendered_step >= step, timeout=timeout)


def wait_for_state(qtbot, win, state: str, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: win.run_state == state, timeout=timeout)


def wait_for_newest_snapshot_drawn(qtbot, win, timeout: int = 10_000) -> None:
    """Wait until the worker holds back no snapshot: the views show the newest the run offered."""
    worker = win.worker
    qtbot.waitUntil(
        lambda: worker.loop_thread._pending is None and not worker._pace_timer.isActive(), timeout=timeout
    )


def assert_stays(qtbot, condition, ms: int) -> None:
    """Check that `condition` keeps holding for `ms` milliseconds, failing as soon as it stops:
    that something does not happen (a paused run trains no step) can only be watched a while."""
    try:
        qtbot.waitUntil(lambda: not condition(), timeout=ms)
    except qtbot.TimeoutError:
        return
    raise AssertionError(f"it stopped holding within {ms} ms")

"""Waiting helpers for the window tests: on what the user would see, never on sleeps alone."""


def wait_for_step(qtbot, win, step: int, timeout: int = 10_000) -> None:
    """Wait until the views have drawn a snapshot of at least `step`."""
    qtbot.waitUntil(lambda: win.rendered_step >= step, timeout=timeout)


def wait_for_state(qtbot, win, state: str, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: win.run_state == state, timeout=timeout)

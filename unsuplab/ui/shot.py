"""Headless screenshots: build the real window, train a few steps, save the window as a PNG."""

from __future__ import annotations

import time
from pathlib import Path

from unsuplab.ui.app import application

#: Seconds the run may go without drawing a newer snapshot (building included) before giving up.
STALL_TIMEOUT = 300.0


class ShotTimeout(RuntimeError):
    """The run did not reach its step count in time; the message says how far it got."""


def take_shot(
    lesson_name: str,
    *,
    steps: int,
    overrides: dict[str, str] | None = None,
    out: str | Path,
    device: str = "auto",
    seed: int = 0,
    theme: str = "dark",
    size: tuple[int, int] = (1500, 950),
    timeout: float | None = None,
    presenter: float | None = None,
) -> Path:
    """Train `lesson_name` for `steps` steps in the real window and save the window as a PNG.

    `overrides` are setting values as text (as a command line gives them), checked by the same
    validation as the form: a bad one raises ConfigError before anything trains. Works without a
    display (the offscreen platform is chosen when none is present). Never hangs: raises
    ShotTimeout when `timeout` seconds (default STALL_TIMEOUT) pass without a newer snapshot, so
    a slow but progressing run is waited for and a stuck one is not. `presenter` is a presenter
    mode scale (1.25 to 2.5) to take the shot in, None for the normal window.
    """
    from unsuplab.ui.main_window import MainWindow

    if theme not in ("dark", "light"):
        raise ValueError(f"theme must be 'dark' or 'light', not {theme!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    app = application()
    window = MainWindow(lesson=lesson_name, dark=theme == "dark")
    try:
        window.resize(*size)
        window.show()
        if presenter is not None:
            window.presenter.set_factor(presenter)
            window.presenter.enter()
        if overrides:
            window.form.apply_overrides(overrides)
        error = window.form.check()
        if error is not None:
            raise error
        index = window.controls.device.findData(device)
        if index < 0:
            choices = [window.controls.device.itemData(i) for i in range(window.controls.device.count())]
            raise ValueError(f"device {device!r} is not available here; choose from {', '.join(choices)}")
        window.controls.device.setCurrentIndex(index)
        window.controls.seed.setValue(seed)
        window.controls.step_limit.setValue(steps)
        window.train()
        if window.worker is None:
            raise RuntimeError(f"the run could not start: {window.banner.message.text()}")

        limit = timeout if timeout is not None else STALL_TIMEOUT
        deadline = time.monotonic() + limit
        seen = window.rendered_step
        # "finished" comes after the final snapshot, so once both are in it has been drawn.
        while not (
            window.run_state == "failed" or (window.run_state == "finished" and window.rendered_step >= steps)
        ):
            if window.rendered_step != seen:
                seen, deadline = window.rendered_step, time.monotonic() + limit
            elif time.monotonic() > deadline:
                raise ShotTimeout(
                    f"{lesson_name}: stuck at step {max(seen, 0)} of {steps}; no progress for {limit:.0f} s"
                )
            app.processEvents()
            time.sleep(0.005)
        if window.run_state == "failed":
            raise RuntimeError(f"{lesson_name} failed: {window.banner.message.text()}")
        # Let layouts settle and plots finish their deferred range updates before the grab.
        _settle(app, 0.3)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out), "PNG"):
            raise OSError(f"could not write the screenshot to {out}")
        return out
    finally:
        window.close()
        window.deleteLater()
        _settle(app, 0.05)


def _settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)

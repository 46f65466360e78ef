"""Closing the window during a training step longer than the close waits (issue 19, fault 1):
the step finishes, the run is saved, the process exits 0; never "QThread: Destroyed while thread
is still running" (SIGABRT). Run in a subprocess, with a test-only lesson whose step sleeps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Longer than the window's close wait and the application's wait for threads together (2 + 2 s).
LONG_STEP_S = 6.0

SCRIPT = r"""
import sys, threading, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from unsuplab.core.checkpoint import load_run
from unsuplab.core.registry import lesson, register
from unsuplab.ui import app as app_module
from unsuplab.ui.main_window import MainWindow

go, sleeping = threading.Event(), threading.Event()

@register
class SlowStep(lesson("autoencoder")):
    name = "test-slow-step"
    title = "Slow step"

    def train_step(self):
        if go.is_set() and not sleeping.is_set():
            sleeping.set()
            time.sleep(float(sys.argv[1]))
        return super().train_step()

def drive():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.form.apply_overrides({"batch_size": "16"})
    window.controls.step_limit.setValue(0)
    window.train()

    def poll():
        if window.rendered_step >= 1:
            go.set()
        if sleeping.is_set():
            timer.stop()
            window.close()
            print("open after close:", window.isVisible(), flush=True)
            print("status:", window.statusBar().currentMessage(), flush=True)

    timer = QTimer(window)
    timer.timeout.connect(poll)
    timer.start(10)

QTimer.singleShot(0, drive)
code = app_module.run_app(lesson="test-slow-step", theme="dark")
print("saved step:", load_run(app_module.autosave_path()).step, flush=True)
sys.exit(code)
"""


def test_closing_during_a_long_step_finishes_it_saves_the_run_and_exits_0(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(LONG_STEP_S)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "QThread: Destroyed" not in done.stderr
    lines = done.stdout.splitlines()
    assert "open after close: True" in lines  # it waits for the step, saying so
    assert any(
        line.startswith("status: Closing: the current training step is still running") for line in lines
    ), lines
    saved = [line for line in lines if line.startswith("saved step:")]
    assert saved and int(saved[0].split(":")[1]) >= 2, lines  # the long step's result is kept

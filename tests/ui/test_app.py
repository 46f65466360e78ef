"""run_app opens the window on the asked lesson and theme and returns when it closes."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from unsuplab.ui.app import run_app
from unsuplab.ui.main_window import MainWindow


def test_run_app_shows_the_window_and_returns_when_it_closes(qapp, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_app installs its own
    seen = {}

    def look_and_close():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        seen["titles"] = [w.windowTitle() for w in windows]
        seen["dark"] = [w.dark for w in windows]
        for w in windows:
            w.close()

    QTimer.singleShot(300, look_and_close)
    assert run_app(lesson="sparse-autoencoder", theme="light") == 0
    assert seen["titles"] == ["unsuplab — Sparse autoencoder"]
    assert seen["dark"] == [False]
    assert QApplication.organizationName() == "unsuplab"

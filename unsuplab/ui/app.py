"""The desktop application: the QApplication, its settings, the excepthook and the main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

ORGANISATION = "unsuplab"
APPLICATION = "unsuplab"


def default_platform() -> None:
    """Use the offscreen Qt platform on a Linux machine without a display (a server, CI)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def application() -> QApplication:
    """The running QApplication, created (named for QSettings) when there is none."""
    app = QApplication.instance()
    if app is None:
        default_platform()
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("unsuplab")
    return app


def autosave_path() -> Path:
    """Where the last run is kept when it is stopped or the window closes."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / "last-run.pt"


def run_app(lesson: str | None = None, theme: str | None = None) -> int:
    """Open the lab window (on `lesson`, in the "dark" or "light" theme) and run until it closes."""
    from unsuplab.ui.errors import install_excepthook
    from unsuplab.ui.main_window import MainWindow
    from unsuplab.ui.worker import wait_for_all

    if theme not in (None, "dark", "light"):
        raise ValueError(f"theme must be 'dark' or 'light', not {theme!r}")
    app = application()
    install_excepthook()
    settings = QSettings()
    dark = None if theme is None else theme == "dark"
    window = MainWindow(lesson=lesson, dark=dark, settings=settings, autosave=autosave_path())
    window.show()
    code = app.exec()
    wait_for_all()
    return code

"""Qt tests run without a display: the offscreen platform is chosen before Qt is imported."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture
def window(qtbot):
    """The main window on the autoencoder lesson, with a small batch so steps are quick."""
    from unsuplab.ui.main_window import MainWindow

    win = MainWindow(lesson="autoencoder", dark=True)
    qtbot.addWidget(win)
    win.form.apply_overrides({"batch_size": "16"})
    win.show()
    yield win
    win.shutdown()

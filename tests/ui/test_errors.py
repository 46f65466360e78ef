"""Unexpected GUI exceptions become a dialog; the window keeps working."""

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from unsuplab.ui.errors import install_excepthook


def test_excepthook_shows_a_dialog_with_the_traceback(qapp, monkeypatch, capsys):
    monkeypatch.setattr(sys, "excepthook", lambda *args: None)
    install_excepthook()
    try:
        raise ValueError("a slot went wrong")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and "a slot went wrong" in w.text()
    ]
    assert boxes and "ValueError" in boxes[0].detailedText()
    for box in boxes:
        box.close()

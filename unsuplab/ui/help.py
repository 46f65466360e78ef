"""Help texts: the keyboard shortcut table and the About box."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

import unsuplab

#: Keys that are not the shortcut of an action: the menus, focus and the lists.
KEYBOARD = (
    ("Alt+F, Alt+R, Alt+V, Alt+H", "Open the File, Run, View or Help menu; arrows move, Enter chooses"),
    ("Tab, Shift+Tab", "Move the focus: lessons, lesson text, presets, settings, run controls, panels"),
    ("Arrow keys, Enter", "Choose a lesson in the list; press the focused button"),
    ("Esc", "Leave the focused panel (double-click a panel to focus it); with none, leave presenter mode"),
)


ABOUT = (
    f"<h3>unsuplab {unsuplab.__version__}</h3>"
    "<p>A desktop lab for unsupervised deep learning: pick a lesson, press Train, and "
    "watch filters, codes and samples take shape.</p>"
    "<p>Training runs in a background thread (on the GPU when there is one); the window "
    "stays responsive, and a run can be saved and reopened at any time.</p>"
    "<p>The bundled digits are a sample of MNIST (Yann LeCun, Corinna Cortes, "
    "Christopher J.C. Burges; CC BY-SA 3.0).</p>"
)


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) for every action of `window` that has a shortcut, then `KEYBOARD`:
    read from the actions themselves, so the list cannot fall behind the menus."""
    rows: dict[str, str] = {}
    for action in window.findChildren(QAction):
        what = action.text().replace("&", "")
        if action.statusTip():
            what = f"{what} — {action.statusTip()}"
        for key in action.shortcuts():
            rows.setdefault(key.toString(QKeySequence.SequenceFormat.NativeText), what)
    return [*sorted(rows.items()), *KEYBOARD]


def shortcuts_html(window: QWidget) -> str:
    rows = "".join(
        f"<tr><td style='padding:2px 14px 2px 0'><b>{escape(key)}</b></td><td>{escape(what)}</td></tr>"
        for key, what in shortcut_rows(window)
    )
    return f"<table>{rows}</table>"


def shortcuts_dialog(parent: QWidget) -> QDialog:
    """A small non-modal window listing the keyboard shortcuts."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = QLabel(shortcuts_html(parent))
    label.setAccessibleName("Keyboard shortcuts")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(buttons)
    return dialog

"""Help texts: the keyboard shortcut table and the About box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

import unsuplab

SHORTCUTS = (
    ("Space", "Train / Pause"),
    ("Ctrl+Enter", "Train (start or resume)"),
    (".", "Step: train one step, then pause"),
    ("Shift+Esc", "Stop the run (asks first)"),
    ("Esc", "Leave the focused panel (double-click a panel to focus it)"),
    ("Ctrl+R", "Reset: discard the run, settings become editable"),
    ("Ctrl+S", "Save run…"),
    ("Ctrl+O", "Open run…"),
    ("Ctrl+E", "Export a view as PNG…"),
    ("Ctrl+D", "Show / hide the drawing pad"),
    ("Ctrl+L", "Show / hide the log"),
    ("F11", "Full screen"),
    ("Ctrl+Q", "Quit"),
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


def shortcuts_html() -> str:
    rows = "".join(
        f"<tr><td style='padding:2px 14px 2px 0'><b>{key}</b></td><td>{what}</td></tr>"
        for key, what in SHORTCUTS
    )
    return f"<table>{rows}</table>"


def shortcuts_dialog(parent: QWidget) -> QDialog:
    """A small non-modal window listing the keyboard shortcuts."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = QLabel(shortcuts_html())
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(buttons)
    return dialog

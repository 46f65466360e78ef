"""How errors reach the user: a non-blocking banner in the window, and a dialog for GUI bugs."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class ErrorBanner(QFrame):
    """A closable strip above the views with the message; "Details" unfolds the traceback."""

    show_log_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Show the technical details (traceback)")
        self.log_button = QPushButton("Log")
        self.log_button.setToolTip("Show the log panel")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setMaximumHeight(180)
        self.detail.hide()

        row = QHBoxLayout()
        title = QLabel("⚠")
        title.setStyleSheet("font-size: 18px;")
        row.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.message, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.log_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(row)
        layout.addWidget(self.detail)

        self.details_button.toggled.connect(self.detail.setVisible)
        self.close_button.clicked.connect(self.hide)
        self.log_button.clicked.connect(self.show_log_requested)
        self.hide()

    def show_error(self, message: str, detail: str = "") -> None:
        self.message.setText(message)
        self.detail.setPlainText(detail)
        self.details_button.setVisible(bool(detail))
        self.details_button.setChecked(False)
        self.show()


_open_boxes: list[QMessageBox] = []


def install_excepthook() -> None:
    """Turn an unexpected exception in a Qt slot into a dialog instead of a silent, dead window."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        previous(kind, value, tb)  # still print it: a terminal, a log file, a bug report
        if issubclass(kind, KeyboardInterrupt) or QApplication.instance() is None:
            return
        box = QMessageBox(QApplication.activeWindow())
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("unsuplab: unexpected error")
        box.setText(
            f"Something went wrong in the window:\n\n{kind.__name__}: {value}\n\n"
            "The window keeps working; the details below help a bug report."
        )
        box.setDetailedText("".join(traceback.format_exception(kind, value, tb)))
        # Held until answered: a parentless box would otherwise vanish with this function.
        _open_boxes.append(box)
        box.finished.connect(lambda *_: _open_boxes.remove(box) if box in _open_boxes else None)
        box.open()  # non-blocking: the event loop keeps running

    sys.excepthook = hook

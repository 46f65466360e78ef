"""The log: notices, state changes and errors with timestamps, in a read-only text panel."""

from __future__ import annotations

import time

from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_MAX_LINES = 5000


class LogPanel(QPlainTextEdit):
    """Read-only, newest line last, bounded in length."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(_MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(self.font().pointSizeF() - 1, 8))
        self.setFont(font)
        self.setPlaceholderText("Notices, state changes and errors of the runs appear here.")

    def add(self, message: str, level: str = "info", detail: str = "") -> None:
        """Append `message` (and an indented `detail`, a traceback say) with the time of day."""
        stamp = time.strftime("%H:%M:%S")
        tag = {"info": "", "error": "ERROR ", "warning": "WARNING "}.get(level, "")
        lines = [f"{stamp}  {tag}{message}"]
        lines += [f"          {line}" for line in detail.rstrip().splitlines()]
        self.appendPlainText("\n".join(lines))
        self.moveCursor(QTextCursor.MoveOperation.End)

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()

"""The contract every view follows: it shows payloads of one kind and never calls the experiment."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from unsuplab.core.payloads import Payload


class View(QWidget):
    """A panel that renders payloads of `kind`.

    `show_payload` is called on the GUI thread with the newest payload under this view's key;
    a view that wants something from the model emits `command_requested(name, kwargs)`, which the
    window forwards to the worker (the answer comes back as a `ProbeResult` event).
    """

    kind: str = ""
    command_requested = Signal(str, dict)

    def show_payload(self, payload: Payload) -> None:
        raise NotImplementedError

    def export_png(self, path: str | Path) -> None:
        """Save what the view shows now as a PNG."""
        self.grab().save(str(path), "PNG")

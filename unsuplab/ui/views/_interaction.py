"""Mouse helpers the interactive views share: a view box whose left drag a view can take over,
and a throttle that sends a stream of requests at a bounded rate, the latest always last."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer


class DragViewBox(pg.ViewBox):
    """A `pg.ViewBox` that offers each left-button drag to `drag_handler` first.

    The handler gets pyqtgraph's drag event (`isStart()`, `isFinish()`, `scenePos()`, ...) and
    returns True when it used it (drawing a stroke, dragging a probe point); otherwise the box pans
    as usual. Once a handler took a drag's first event it receives the rest of that drag.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.drag_handler: Callable[[Any], bool] | None = None
        self._handling = False

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 - pyqtgraph override
        if ev.button() == Qt.MouseButton.LeftButton and self.drag_handler is not None and axis is None:
            if ev.isStart():
                self._handling = bool(self.drag_handler(ev))
            elif self._handling:
                self.drag_handler(ev)
            if self._handling:
                if ev.isFinish():
                    self._handling = False
                ev.accept()
                return
        super().mouseDragEvent(ev, axis)


class RequestThrottle(QObject):
    """Calls `send(value)` at most once per `interval_ms`; values offered in between replace each
    other, and the newest is sent when the interval ends, so the last position is never lost."""

    def __init__(self, send: Callable[[Any], None], interval_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._send = send
        self._interval = interval_ms / 1000.0
        self._last_sent = -1e9
        self._pending: Any = None
        self._has_pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def offer(self, value: Any) -> None:
        self._pending, self._has_pending = value, True
        wait = self._last_sent + self._interval - time.monotonic()
        if wait <= 0:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait * 1000)))

    def flush(self) -> None:
        """Send the pending value now (the end of a drag)."""
        self._timer.stop()
        if self._has_pending:
            value, self._pending, self._has_pending = self._pending, None, False
            self._last_sent = time.monotonic()
            self._send(value)

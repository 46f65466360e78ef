"""Drawing a snapshot's panels a time slice at a time, so the window answers between them.

A snapshot of eight panels drawn in one go holds the event loop for the sum of their costs; the
`DrawQueue` draws panels until its time slice is spent and leaves the rest for the next
event-loop turns (a click, a key, a repaint are handled in between). A panel whose payload is
unchanged since its last draw is not drawn again; a panel that is hidden or has no visible pixel
is not drawn until it shows again, and then with the newest payload it was given.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QTimer

from unsuplab.core.payloads import Payload
from unsuplab.ui.views import View

#: Seconds of drawing per event-loop turn: well under the 50 ms a person notices as a stutter.
TIME_SLICE_S = 0.012

_spent = [0.0]  # seconds every queue in this process has spent drawing (for the worker's pacing)


def drawing_seconds() -> float:
    """The seconds all draw queues of this process have spent drawing panels so far."""
    return _spent[0]


def unchanged(drawn: Payload | None, payload: Payload) -> bool:
    """Whether `payload` shows nothing new over `drawn`: the same object, or one of the same kind
    whose every field is the same object (or an equal plain value), as a lesson's fixed panel is."""
    if drawn is payload:
        return True
    if drawn is None or type(drawn) is not type(payload):
        return False
    for field in dataclasses.fields(payload):
        old, new = getattr(drawn, field.name), getattr(payload, field.name)
        if old is not new and not (_plain(old) and _plain(new) and old == new):
            return False
    return True


def _plain(value: object) -> bool:
    """A value compared by equality: text, a number, None, or a tuple of those (an extent)."""
    if isinstance(value, tuple):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, (str, int, float, bool))


class DrawQueue(QObject):
    """The panels waiting to be drawn, keyed by panel, each with its newest payload.

    `submit` queues a payload for a view and draws for one time slice at once; the rest is drawn
    on later event-loop turns. `flush` draws given panels now, hidden or not (a probe's answer,
    which the user is waiting for). A panel whose `show_payload` raised is
    reported by `take_failures`.
    """

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._waiting: dict[str, tuple[View, Payload]] = {}
        self._hidden: dict[str, tuple[View, Payload]] = {}  # drawn once the view shows again
        self._drawn: dict[str, Payload] = {}  # key -> the payload its view shows
        self._failures: list[str] = []
        self._turn = QTimer(self)
        self._turn.setSingleShot(True)
        self._turn.setInterval(0)
        self._turn.timeout.connect(self.drain)

    def submit(self, key: str, view: View, payload: Payload) -> None:
        """Queue `payload` for `view` (replacing one still waiting for it)."""
        self._hidden.pop(key, None)
        if unchanged(self._drawn.get(key), payload):
            self._waiting.pop(key, None)
            return
        self._waiting[key] = (view, payload)

    def mark_drawn(self, key: str, payload: Payload) -> None:
        """`payload` was drawn outside the queue (a new view shows it already)."""
        self._drawn[key] = payload
        self._waiting.pop(key, None)
        self._hidden.pop(key, None)

    def pending(self) -> list[str]:
        """The keys of panels still waiting to be drawn (hidden ones included)."""
        return [*self._waiting, *self._hidden]

    def drain(self) -> None:
        """Draw waiting panels, oldest first, until `TIME_SLICE_S` is spent (one at least); a
        hidden panel is set aside until it shows. What is left waits for the next turn."""
        start = time.perf_counter()
        while self._waiting:
            key = next(iter(self._waiting))
            view, payload = self._waiting.pop(key)
            if _out_of_sight(view):
                self._hidden[key] = (view, payload)
                view.installEventFilter(self)
                continue
            self._draw_one(key, view, payload)
            if time.perf_counter() - start >= TIME_SLICE_S:
                break
        _spent[0] += time.perf_counter() - start
        if self._waiting:
            self._turn.start()

    def flush(self, keys: Iterable[str]) -> None:
        """Draw the panels of `keys` that wait, now, hidden or not."""
        start = time.perf_counter()
        for key in keys:
            waiting = self._waiting.pop(key, None) or self._hidden.pop(key, None)
            if waiting is not None:
                waiting[0].removeEventFilter(self)
                self._draw_one(key, *waiting)
        _spent[0] += time.perf_counter() - start

    def take_failures(self) -> list[str]:
        """Keys of panels whose draw raised since the last call."""
        failures, self._failures = self._failures, []
        return failures

    def clear(self) -> None:
        """Forget every panel (their views are going)."""
        for view, _ in self._hidden.values():
            view.removeEventFilter(self)
        self._waiting.clear()
        self._hidden.clear()
        self._drawn.clear()
        self._failures.clear()
        self._turn.stop()

    def _draw_one(self, key: str, view: View, payload: Payload) -> None:
        try:
            view.show_payload(payload)
        except Exception:  # noqa: BLE001 - one broken panel must not stop the others
            self._failures.append(key)
            self._drawn.pop(key, None)
        else:
            self._drawn[key] = payload

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # A set-aside panel shows again (its dock or tab opened, a splitter gave it room): it is
        # drawn on the next turn, with the newest payload it was given.
        if event.type() in (QEvent.Type.Show, QEvent.Type.Paint, QEvent.Type.Resize):
            for key, (view, payload) in list(self._hidden.items()):
                if view is watched:
                    del self._hidden[key]
                    view.removeEventFilter(self)
                    self._waiting[key] = (view, payload)
                    self._turn.start()
        return False


def _out_of_sight(view: View) -> bool:
    """Whether nobody can see `view` now: the window is shown but the panel is hidden, or none
    of its pixels is on screen. A window not shown at all (a test, an export) draws everything."""
    if not view.window().isVisible():
        return False
    return not view.isVisible() or view.visibleRegion().isEmpty()

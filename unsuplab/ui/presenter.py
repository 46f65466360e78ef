"""Presenter mode: every font, line and marker larger by one factor, and the docks the audience
does not need (settings, log) folded away until the mode is left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from unsuplab.ui.views import _style

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow

ENTER_KEY = Qt.Key.Key_F5
LEAVE_KEYS = (Qt.Key.Key_F5, Qt.Key.Key_Escape)


class Presenter:
    """Switches `window` into and out of presenter mode at `factor` (View → Presenter mode, F5;
    F5 or Esc leaves it). While it is on, Esc leaves the mode rather than stopping the run."""

    def __init__(self, window: MainWindow, factor: float = _style.DEFAULT_PRESENTER_FACTOR):
        self.window = window
        self.factor = check_factor(factor)
        self.active = False
        self._folded: list = []  # the docks folded on entering, shown again on leaving
        self._stop_keys: list[QKeySequence] = []

    def folded_docks(self) -> tuple:
        w = self.window
        return (w.settings_dock, w.log_dock)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        self.active = True
        self._folded = [dock for dock in self.folded_docks() if dock.isVisible()]
        for dock in self._folded:
            dock.hide()
        stop = self.window.controls.stop
        self._stop_keys = stop.shortcuts()
        stop.setShortcuts([key for key in self._stop_keys if key != QKeySequence(Qt.Key.Key_Escape)])
        self._action_keys(LEAVE_KEYS)
        self._restyle(self.factor)
        self.window.log.add(f"Presenter mode: everything {self.factor:g}× larger (F5 or Esc leaves it)")

    def leave(self) -> None:
        if not self.active:
            return
        self.active = False
        self._restyle(1.0)
        for dock in self._folded:
            dock.show()
        self._folded = []
        self.window.controls.stop.setShortcuts(self._stop_keys)
        self._action_keys((ENTER_KEY,))
        self.window.log.add("Presenter mode off")

    def set_factor(self, factor: float) -> None:
        """Choose the scale; applied at once while the mode is on."""
        self.factor = check_factor(factor)
        if self.active:
            self._restyle(self.factor)

    def _restyle(self, factor: float) -> None:
        _style.set_scale(factor)
        # Style sheets, palettes and every view's fonts, pens and markers, as a theme switch does.
        self.window.set_theme(self.window.dark, remember=False)

    def _action_keys(self, keys: tuple[Qt.Key, ...]) -> None:
        action = self.window.actions_.get("presenter")
        if action is not None:
            action.setShortcuts([QKeySequence(key) for key in keys])
            action.setChecked(self.active)


def check_factor(factor: float) -> float:
    """`factor` as a float when presenter mode offers it (1.25 to 2.5), else ValueError."""
    low, high = min(_style.PRESENTER_FACTORS), max(_style.PRESENTER_FACTORS)
    value = float(factor)
    if not low <= value <= high:
        raise ValueError(f"presenter scale must be between {low} and {high}, not {factor}")
    return value

"""Presenter mode: every font, line and marker larger by one factor, and the docks the audience
does not need (settings, log) folded away until the mode is left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget

from unsuplab.ui.views import _style

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow

#: F5 (the menu item's key) enters and leaves; this key also leaves, once no panel is focused.
LEAVE_KEY = Qt.Key.Key_Escape
#: The lesson dock (its text and presets) may take up to this share of the window's width.
MAX_LESSON_SHARE = 0.25


class Presenter:
    """Switches `window` into and out of presenter mode at `factor` (View → Presenter mode, F5;
    F5 or Esc leaves it; Esc never stops a run: Stop is Shift+Esc and asks first).

    Esc steps back one level at a time: with a panel focused (double-click) the first Esc
    leaves the panel (the view area's own key), the next leaves presenter mode. Only one of the
    two Esc keys is enabled at any time, so Qt never finds the key ambiguous and drops it."""

    def __init__(self, window: MainWindow, factor: float = _style.DEFAULT_PRESENTER_FACTOR):
        self.window = window
        self.factor = check_factor(factor)
        self.active = False
        self._layout = QByteArray()  # the docks as they were before entering
        self._leave_key = QShortcut(QKeySequence(LEAVE_KEY), window)
        self._leave_key.setContext(Qt.ShortcutContext.WindowShortcut)
        self._leave_key.activated.connect(self.leave)
        window.views.focus_changed.connect(self._sync_leave_key)
        self._sync_leave_key()

    def _sync_leave_key(self, *_focused) -> None:
        self._leave_key.setEnabled(self.active and self.window.views.focused is None)

    def folded_docks(self) -> tuple[QDockWidget, ...]:
        """The docks the audience does not need."""
        w = self.window
        return (w.settings_dock, w.log_dock)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        self.active = True
        window = self.window
        self._layout = window.saveState()
        lesson_width = window.lesson_dock.width()
        for dock in self.folded_docks():
            dock.hide()
        self._sync_action()
        self._restyle(self.factor)
        # The lesson's text and presets grow with the scale, into the room the settings left.
        width = min(round(lesson_width * self.factor), round(window.width() * MAX_LESSON_SHARE))
        window.resizeDocks([window.lesson_dock], [width], Qt.Orientation.Horizontal)
        self.window.log.add(f"Presenter mode: everything {self.factor:g}× larger (F5 or Esc leaves it)")

    def leave(self) -> None:
        if not self.active:
            return
        self.active = False
        self._restyle(1.0)
        self.window.restoreState(self._layout)
        self.window.show_pad_for_lesson()
        self._sync_action()
        self.window.log.add("Presenter mode off")

    def set_factor(self, factor: float) -> None:
        """Choose the scale; applied at once while the mode is on."""
        self.factor = check_factor(factor)
        if self.active:
            self._restyle(self.factor)

    def _restyle(self, factor: float) -> None:
        _style.set_scale(factor)
        for dock in self.window.findChildren(QDockWidget):
            dock.setFont(_dock_font(factor))
        # Style sheets, palettes and every view's fonts, pens and markers, as a theme switch does.
        self.window.set_theme(self.window.dark, remember=False)

    def _sync_action(self) -> None:
        """The menu item's check mark, and which Esc is live."""
        action = self.window.actions_.get("presenter")
        if action is not None:
            action.setChecked(self.active)
        self._sync_leave_key()


def _dock_font(factor: float) -> QFont:
    """The font a dock is given so that its title follows the scale. QDockWidget paints its title
    in the font the application had when the dock was made, unless the dock's own font differs
    from the application's: a scaled dock font is made to differ (in a rendering hint only)."""
    if factor == 1.0:
        return QFont()  # nothing set: the dock inherits the application's font again
    font = _style.font()
    font.setStyleStrategy(QFont.StyleStrategy.PreferQuality)
    return font


def check_factor(factor: float) -> float:
    """`factor` as a float when presenter mode offers it (1.25 to 2.5), else ValueError."""
    low, high = min(_style.PRESENTER_FACTORS), max(_style.PRESENTER_FACTORS)
    value = float(factor)
    if not low <= value <= high:
        raise ValueError(f"presenter scale must be between {low} and {high}, not {factor}")
    return value

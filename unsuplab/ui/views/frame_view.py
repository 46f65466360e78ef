"""A colour picture (a game screen) enlarged with crisp pixels; optionally played with the keyboard."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import QPushButton, QWidget

from unsuplab.core.payloads import Frame
from unsuplab.ui.views.base import View
from unsuplab.viz.panels import frame_pixels

PLAY_TEXT = "Play it yourself"


def key_name(key: int) -> str:
    """Qt's name of a key, as `Frame.key_actions` spells it: "Left", "Space", "A"."""
    return QKeySequence(key).toString()


class FrameView(View):
    """A `Frame` as an RGB `pg.ImageItem` (`image_item`) in an aspect-locked view box that never
    smooths its pixels, its caption beneath (`caption_label`).

    With a `play_command` the "Play it yourself" toggle (`play_button`) hands the keyboard to the
    view: every `tick_ms` a `play_timer` tick emits `command_requested(play_command,
    {"action": a})`, a being the action bound to the held key (the last pressed, when several
    are) or `idle_action`. Esc, the toggle or focus moving elsewhere stop play.
    """

    kind = Frame.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_command: str | None = None
        self.key_actions: dict[str, int] = {}
        self.idle_action = 0
        self.held_keys: list[str] = []  # bound keys held down now, in the order pressed
        self._shape: tuple[int, ...] = ()

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.view_box: pg.ViewBox = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.view_box.setMenuEnabled(False)
        self.image_item = pg.ImageItem()
        self.view_box.addItem(self.image_item)
        # Game pixels are the game's state: enlarged squares, never blurred.
        self.graphics.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._on_tick)
        self.play_button = QPushButton(PLAY_TEXT)
        self.play_button.setCheckable(True)
        # Space must reach the game, not press the button that has the focus.
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.play_button.hide()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.caption_label = self.muted_label()
        self.caption_label.setWordWrap(True)
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.caption_label.hide()
        self.keys_label = self.muted_label()
        self.keys_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.keys_label.hide()
        self.lay_out(self.graphics, corner=self.play_button, below=(self.caption_label, self.keys_label))
        self.apply_theme(self.theme.dark)

    @property
    def playing(self) -> bool:
        return self.play_button.isChecked()

    def show_payload(self, payload: Frame) -> None:
        self.set_title(payload.title)
        if payload.caption != self.caption_label.text():
            self.caption_label.setText(payload.caption)
            self.caption_label.setVisible(bool(payload.caption))
        pixels = frame_pixels(payload)
        self.image_item.setImage(pixels, autoLevels=False, levels=(0, 255))
        if pixels.shape != self._shape:
            self._shape = pixels.shape
            self.view_box.autoRange(padding=0.0)
        self._set_play(payload)

    # -- playing ---------------------------------------------------------------------------------
    def _set_play(self, payload: Frame) -> None:
        self.key_actions = {name.lower(): int(a) for name, a in payload.key_actions.items()}
        self.idle_action = int(payload.idle_action)
        if payload.tick_ms != self.play_timer.interval():
            self.play_timer.setInterval(max(10, int(payload.tick_ms)))
        if payload.play_command != self.play_command:
            self.play_command = payload.play_command
            self.play_button.setVisible(payload.play_command is not None)
            if payload.play_command is None:
                self.play_button.setChecked(False)
        keys = ", ".join(payload.key_actions) or "none"
        tip = (
            f"Take the controls: hold {keys} to act (nothing held: action {self.idle_action}). "
            "Esc or a click elsewhere stops."
        )
        if tip != self.play_button.toolTip():
            self.play_button.setToolTip(tip)
            self.keys_label.setText(f"Playing: hold {keys}  ·  Esc stops")

    def action_now(self) -> int:
        """The action a tick sends: the last pressed bound key still held, else the idle action."""
        for name in reversed(self.held_keys):
            if name in self.key_actions:
                return self.key_actions[name]
        return self.idle_action

    def stop_playing(self) -> None:
        self.play_button.setChecked(False)

    def _on_play_toggled(self, on: bool) -> None:
        self.held_keys = []
        self.keys_label.setVisible(on)
        self.play_button.setText("Stop playing" if on else PLAY_TEXT)
        if on:
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _on_tick(self) -> None:
        if self.playing and self.play_command is not None:
            self.command_requested.emit(self.play_command, {"action": self.action_now()})

    def _bound(self, event: QKeyEvent) -> str | None:
        name = key_name(event.key()).lower()
        return name if name in self.key_actions else None

    def event(self, event: QEvent) -> bool:
        # While playing, a bound key (Space, say) is the game's, not a window shortcut's.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.playing
            and (self._bound(event) or event.key() == Qt.Key.Key_Escape)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.playing:
            if event.key() == Qt.Key.Key_Escape:
                self.stop_playing()
                event.accept()
                return
            name = self._bound(event)
            if name is not None:
                if not event.isAutoRepeat() and name not in self.held_keys:
                    self.held_keys.append(name)
                event.accept()
                return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        name = self._bound(event)
        if name is not None and not event.isAutoRepeat():
            if name in self.held_keys:
                self.held_keys.remove(name)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Keys pressed elsewhere would never be released here: stop rather than act on stale keys.
        if event.reason() not in (Qt.FocusReason.PopupFocusReason,):
            self.stop_playing()
        super().focusOutEvent(event)

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.graphics.setBackground(self.theme.background)

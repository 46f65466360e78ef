"""The lesson's presets as buttons: each sets the settings its "Try this" item names, sending them
to the running model when they may change while training and restarting the run when not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from unsuplab.core.config import field_specs
from unsuplab.core.experiment import Experiment

if TYPE_CHECKING:
    from unsuplab.ui.config_form import ConfigForm
    from unsuplab.ui.main_window import MainWindow


def preset_tooltip(cls: type[Experiment], values: dict[str, Any]) -> str:
    """ "Sets code size = 2, learning rate = 0.1" in the form's own labels."""
    labels = {spec.name: spec.label for spec in field_specs(cls.Config)}
    return "Sets " + ", ".join(f"{labels[name]} = {value}" for name, value in values.items())


class _PresetButton(QPushButton):
    """A preset's button that never widens the lesson dock: in a narrow dock its title ends in
    "…" (the accessible name keeps it whole)."""

    def __init__(self, title: str):
        super().__init__(title)
        self.title = title
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        padding = self.sizeHint().width() - self.fontMetrics().horizontalAdvance(self.text())
        room = max(self.width() - padding, 0)
        self.setText(self.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight, room))


class PresetBar(QWidget):
    """One button per entry of the lesson's `presets`; hidden for a lesson without any.
    `chosen(title, values)` fires when a button is pressed."""

    chosen = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 6)
        self._layout.setSpacing(3)
        heading = QLabel("<b>Try this</b>")
        heading.setObjectName("muted")
        self._layout.addWidget(heading)
        self.setAccessibleName("Lesson presets")
        self.hide()

    def set_lesson(self, cls: type[Experiment]) -> None:
        for button in self.buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for title, values in cls.presets.items():
            button = _PresetButton(title)
            button.setToolTip(preset_tooltip(cls, values))
            button.setAccessibleName(f"Preset: {title}")
            button.setAccessibleDescription(button.toolTip())
            button.clicked.connect(lambda *_, t=title, v=values: self.chosen.emit(t, dict(v)))
            self._layout.addWidget(button)
            self.buttons[title] = button
        self.setVisible(bool(self.buttons))


def set_form(form: ConfigForm, values: dict[str, Any]) -> None:
    """Put `values` into the form's editors (a live one reaches a running model at once)."""
    for name, value in values.items():
        form.set_value(name, value)
    form.check()


def apply_preset(window: MainWindow, title: str, values: dict[str, Any]) -> None:
    """Set the form to a preset. Without a run the next Train uses it; a running model takes
    live settings at once; any other setting needs a fresh model, so the run restarts with it."""
    live = all(window.form.specs[name].param.live for name in values)
    restart = window.has_run() and not live
    if restart:
        window.reset()
    set_form(window.form, values)
    window.log.add(f"Preset: {title}")
    if restart:
        window.train()

"""The lesson's action buttons ("train D only for one step"): a small group under the settings."""

from __future__ import annotations

import functools

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QPushButton, QVBoxLayout, QWidget


class LessonActions(QGroupBox):
    """One button per entry of the lesson's `Experiment.actions` (command -> (label, tooltip)).

    The group is hidden for lessons without actions. Buttons are enabled only while a model exists
    (`set_model_available`); pressing one emits `command_requested(command, {})` and disables it
    until `answered(command)` (its answer or its failure notice) comes back, so an impatient
    double click does not queue the action twice.
    """

    command_requested = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Actions", parent)
        self.setObjectName("lessonActions")
        self.buttons: dict[str, QPushButton] = {}
        self.model_available = False
        self._pending: set[str] = set()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 8)
        self._layout.setSpacing(4)
        self.hide()

    def set_actions(self, actions: dict[str, tuple[str, str]]) -> None:
        """Offer `actions` (a new lesson's); the previous lesson's buttons go."""
        for button in self.buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        self._pending.clear()
        for command, (label, tooltip) in actions.items():
            button = QPushButton(label)
            button.setToolTip(tooltip)
            button.setObjectName(f"action_{command}")
            button.clicked.connect(functools.partial(self.request, command))
            self._layout.addWidget(button)
            self.buttons[command] = button
        self.setVisible(bool(self.buttons))
        self._sync()

    def set_model_available(self, available: bool) -> None:
        """Whether a run has a model to act on (it has shown a snapshot)."""
        self.model_available = available
        if not available:
            self._pending.clear()  # an answer from a discarded run will not come
        self._sync()

    def request(self, command: str) -> None:
        """What pressing the button of `command` does."""
        if not self.model_available or command in self._pending or command not in self.buttons:
            return
        self._pending.add(command)
        self._sync()
        self.command_requested.emit(command, {})

    def answered(self, command: str) -> None:
        """The action's answer (or its failure) arrived: its button works again."""
        self._pending.discard(command)
        self._sync()

    def _sync(self) -> None:
        for command, button in self.buttons.items():
            button.setEnabled(self.model_available and command not in self._pending)

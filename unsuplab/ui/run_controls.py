"""The run toolbar: Train, Pause, Step, Stop, Reset, speed, step limit, seed and device."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSpinBox, QToolBar, QWidget

from unsuplab.models.devices import available_devices
from unsuplab.ui.icons import icon

#: Seconds to wait after each step, slowest first; the last notch is full speed.
SPEEDS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02, 0.005, 0.0)


#: The key that stops a run, after asking.
STOP_KEY = "Shift+Esc"


def speed_text(delay: float) -> str:
    return "Full speed" if delay == 0 else f"{delay:g} s / step"


def _shortcut_text(action: QAction) -> str:
    keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
    return " or ".join(k for k in keys if k)


class RunControls(QToolBar):
    """The actions that steer a run, and the run settings that are not part of a lesson's config."""

    delay_changed = Signal(float)
    step_limit_changed = Signal(object)  # int or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Run", parent)
        self.setObjectName("runToolbar")
        self.setMovable(False)
        self.setIconSize(QSize(20, 20))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

        self.train = self._action(
            "train",
            "Train",
            "Start training, or resume a paused run",
            [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
        )
        self.pause = self._action("pause", "Pause", "Pause training (Space toggles Train / Pause)", [])
        self.step = self._action(
            "step", "Step", "Train exactly one step, then pause", [QKeySequence(Qt.Key.Key_Period)]
        )
        self.stop = self._action("stop", "Stop", "End the run (the views keep its last state)", [])
        # The key asks first (see MainWindow.confirm_stop), and it is not a lone Esc: a stray key
        # must never end a live run, and Esc leaves a focused panel.
        self.stop_key = QAction("Stop (asks first)", self)
        self.stop_key.setObjectName("action_stop_key")
        self.stop_key.setShortcut(QKeySequence(STOP_KEY))
        self.stop_key.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.stop.setToolTip(f"{self.stop.toolTip()} ({STOP_KEY} asks first)")
        self.reset = self._action(
            "reset",
            "Reset",
            "Discard the run and clear the views; settings become editable",
            [QKeySequence("Ctrl+R")],
        )
        # Space toggles; it is an action of its own so the Pause button keeps a plain tooltip.
        self.toggle = QAction("Train / Pause", self)
        self.toggle.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        for action in (self.train, self.pause, self.step, self.stop, self.reset):
            self.addAction(action)
        self.addSeparator()

        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setPageStep(1)
        self.speed.setFixedWidth(120)
        self.speed.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speed.setToolTip(
            "Training speed: full speed on the right, slow motion on the left "
            "(a pause after every step, so a class can follow each update)"
        )
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(86)
        self._label("Speed")
        self.addWidget(self.speed)
        self.addWidget(self.speed_label)

        self.step_limit = QSpinBox()
        self.step_limit.setRange(0, 100_000_000)
        self.step_limit.setSingleStep(100)
        self.step_limit.setSpecialValueText("none")
        self.step_limit.setGroupSeparatorShown(True)
        self.step_limit.setKeyboardTracking(False)
        self.step_limit.setFixedWidth(110)
        self.step_limit.setToolTip(
            "Pause as 'finished' after this many steps (0 = no limit). Train again to go on past it."
        )
        self._label("Stop at")
        self.addWidget(self.step_limit)

        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setFixedWidth(90)
        self.seed.setToolTip(
            "Random seed for weights and minibatches: the same seed and settings give the same run"
        )
        self._label("Seed")
        self.addWidget(self.seed)

        self.device = QComboBox()
        for choice in available_devices():
            self.device.addItem(choice, choice)
        self.device.setToolTip(
            "Where to train: auto picks CUDA, then Apple MPS, then the CPU. Takes effect when a run starts."
        )
        self._label("Device")
        self.addWidget(self.device)

        self.speed.valueChanged.connect(self._on_speed)
        self.step_limit.valueChanged.connect(lambda value: self.step_limit_changed.emit(value or None))
        self._on_speed(self.speed.value())

    def set_compact(self, compact: bool) -> None:
        """A narrow window: icons without text (the names stay in the tooltips) and a shorter
        speed slider, so every control, the Device choice included, stays on the toolbar."""
        style = (
            Qt.ToolButtonStyle.ToolButtonIconOnly if compact else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.setToolButtonStyle(style)
        self.speed.setFixedWidth(80 if compact else 120)
        self.step_limit.setFixedWidth(90 if compact else 110)
        self.seed.setFixedWidth(75 if compact else 90)

    def _action(self, name: str, text: str, tip: str, keys: list[QKeySequence]) -> QAction:
        action = QAction(icon(name), text, self)
        action.setObjectName(f"action_{name}")
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shortcut = _shortcut_text(action)
        if name == "train":
            shortcut = f"{shortcut}; Space toggles Train / Pause"
        elif name == "pause":
            shortcut = "Space"
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        return action

    def _label(self, text: str) -> None:
        self.addWidget(QLabel(text))

    def _on_speed(self, index: int) -> None:
        self.speed_label.setText(speed_text(SPEEDS[index]))
        self.delay_changed.emit(SPEEDS[index])

    @property
    def delay(self) -> float:
        return SPEEDS[self.speed.value()]

    @property
    def limit(self) -> int | None:
        return self.step_limit.value() or None

    def update_state(self, *, state: str, has_run: bool, config_ok: bool) -> None:
        """Enable what makes sense now: Train needs a valid config; Pause needs a running run."""
        running = state in ("building", "running")
        self.train.setEnabled(config_ok and not running if not has_run else not running)
        self.pause.setEnabled(has_run and running)
        self.step.setEnabled((config_ok or has_run) and state != "building")
        self.stop.setEnabled(has_run)
        self.reset.setEnabled(True)
        for widget in (self.seed, self.device):
            widget.setEnabled(not has_run)

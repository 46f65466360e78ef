"""The status bar: run state in colour, device, step, speeds, elapsed time, ETA and progress."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from unsuplab.core.loop import Progress
from unsuplab.ui.theme import state_colour


def format_duration(seconds: float | None) -> str:
    """1:05, 12:30, 1:02:03; "–" when unknown."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


class RunStatus:
    """Owns the permanent widgets of the window's status bar and fills them from events."""

    def __init__(self, bar: QStatusBar, parent: QWidget | None = None):
        self.bar = bar
        self.dark = True
        self.state = "ready"
        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        self.device_label = QLabel()
        self.step_label = QLabel()
        self.speed_label = QLabel()
        self.time_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(170)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.step_label.setToolTip("Training steps (minibatch updates) done in this run")
        self.speed_label.setToolTip("Training speed, smoothed: steps and images per second")
        self.time_label.setToolTip(
            "Training time of this session (pauses excluded) and the estimated time left until the step limit"
        )
        self.device_label.setToolTip("Where the model trains")
        for widget in (
            self.state_label,
            self.device_label,
            self.step_label,
            self.speed_label,
            self.time_label,
            self.progress_bar,
        ):
            bar.addPermanentWidget(widget)
        self.set_state("ready")
        self.clear_progress()

    def set_device(self, text: str) -> None:
        _show(self.device_label, text)

    def set_state(self, state: str, message: str = "") -> None:
        self.state = state
        colour = state_colour(state, self.dark)
        self.state_label.setText(state.capitalize())
        self.state_label.setStyleSheet(f"color: {colour}; border: 1px solid {colour};")
        self.state_label.setToolTip(message or f"The run is {state}")

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        self.set_state(self.state, self.state_label.toolTip())

    def clear_progress(self) -> None:
        for label in (self.step_label, self.speed_label, self.time_label):
            label.setMinimumWidth(0)
        _show(self.step_label, "Step 0")
        _show(self.speed_label, "– steps/s · – samples/s")
        _show(self.time_label, "Elapsed 0:00 · ETA –")
        self.progress_bar.hide()

    def show_progress(self, progress: Progress) -> None:
        _show(self.step_label, f"Step {progress.step:,}")
        _show(
            self.speed_label,
            f"{format_rate(progress.steps_per_s)} steps/s · {format_rate(progress.samples_per_s)} samples/s",
        )
        _show(
            self.time_label,
            f"Elapsed {format_duration(progress.elapsed)} · ETA {format_duration(progress.eta)}",
        )
        limit = progress.step_limit
        if limit:
            self.progress_bar.setRange(0, limit)
            self.progress_bar.setValue(min(progress.step, limit))
            self.progress_bar.setFormat(f"{progress.step:,} / {limit:,}")
            self.progress_bar.show()
        else:
            self.progress_bar.hide()


def _show(label: QLabel, text: str) -> None:
    """Set `text` and keep the label at least as wide as it needs: the status bar gives the
    temporary message less room rather than cut a figure ("samples/"). The width only grows
    during a run, so the figures do not jitter as digits change."""
    label.setText(text)
    margins = label.contentsMargins()
    needed = label.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 4
    if label.minimumWidth() < needed:
        label.setMinimumWidth(needed)

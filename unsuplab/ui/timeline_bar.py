"""The timeline bar under the views: a step slider over the recorded moments of a run, replay,
Live, and Branch from here; and `moment`, what every panel shows at the step the bar chose."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.history import MetricHistory
from unsuplab.core.payloads import Curves, Payload, Scatter
from unsuplab.core.timeline import Timeline, curves_until
from unsuplab.ui.icons import icon

#: Replay speeds, in recorded frames per second.
REPLAY_SPEEDS = (2, 5, 10, 25)
DEFAULT_REPLAY_SPEED = 10
#: At most this many steps are written under the slider.
LABELLED_MARKS = 6


@dataclass(frozen=True)
class Track:
    """The run a branch came from, drawn faded beside it: its recording and its newest curves."""

    timeline: Timeline
    curves: dict[str, Curves]


def history_curves(payloads: dict[str, Payload]) -> dict[str, Curves]:
    """The panels of a snapshot that plot the metric history against the step."""
    return {key: p for key, p in payloads.items() if isinstance(p, Curves) and p.x_label == "step"}


def history_of(payloads: dict[str, Payload]) -> MetricHistory:
    """The metric history as a snapshot's curve panels show it (every plotted metric)."""
    series = {}
    for curves in history_curves(payloads).values():
        for name, (steps, values) in curves.series.items():
            series[name] = {"steps": steps, "values": values}
    return MetricHistory.from_dict(series)


def moment(
    timeline: Timeline, track: Track | None, live: dict[str, Payload], step: int
) -> tuple[dict[str, Payload], dict[str, Curves]]:
    """What every panel shows at `step`: the recorded frame at or before it (the track's, before
    a branch recorded its own), the newest history curves `live` cut at it, and the track's
    curves cut at it."""
    frame = timeline.frame_at(step)
    if frame is None and track is not None:
        frame = track.timeline.frame_at(step)  # the past a branch shares with its original
    payloads = dict(frame.payloads) if frame is not None else {}
    for key, curves in history_curves(live).items():
        if key not in payloads:  # a lesson's own curves against the step were recorded
            payloads[key] = curves_until(curves, step)
    faded = {key: curves_until(c, step) for key, c in track.curves.items()} if track is not None else {}
    return payloads, faded


def scatter_bounds(timeline: Timeline, live: dict[str, Payload]) -> dict[str, tuple[float, ...]]:
    """For each scatter panel, the box (x0, x1, y0, y1) holding its points at every recorded moment
    and now: scrubbing holds a scatter to it, so moving the slider neither rescales the plot nor
    re-renders its axes, and the points are seen to move."""
    boxes: dict[str, list[np.ndarray]] = {}
    frames = [timeline.frame_at(step) for step in timeline.steps()]
    for payloads in [frame.payloads for frame in frames if frame is not None] + [live]:
        for key, payload in payloads.items():
            if isinstance(payload, Scatter) and len(payload.points):
                points = np.asarray(payload.points, dtype=np.float64).reshape(-1, 2)
                points = points[np.isfinite(points).all(axis=1)]
                if len(points):
                    boxes.setdefault(key, []).append(np.concatenate([points.min(0), points.max(0)]))
    result = {}
    for key, corners in boxes.items():
        low, high = np.min(corners, axis=0)[:2], np.max(corners, axis=0)[2:]
        result[key] = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
    return result


def nice_steps(first: int, last: int, count: int = LABELLED_MARKS) -> list[int]:
    """At most `count` round steps between `first` and `last` (1, 2 or 5 times a power of ten
    apart), for labelling the slider."""
    span = last - first
    if span <= 0:
        return [first]
    raw = max(span / max(count - 1, 1), 1)
    power = 10 ** int(np.floor(np.log10(raw)))
    gap = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = -(-first // gap) * gap
    return list(range(start, last + 1, gap))


class _Ruler(QWidget):
    """The recorded steps as marks under the slider, aligned with its handle: this run's frames,
    the faded track's frames beneath them, keyframes as taller marks, and a few step labels."""

    def __init__(self, slider: QSlider, parent: QWidget | None = None):
        super().__init__(parent)
        self.slider = slider
        self.steps: list[int] = []
        self.track_steps: list[int] = []
        self.keyframes: list[int] = []
        self.setFixedHeight(self.fontMetrics().height() + 12)

    def x_of(self, steps: list[int]) -> np.ndarray:
        """Pixel columns of `steps` in this widget, where the slider's handle centre stands at them."""
        option = QStyleOptionSlider()
        self.slider.initStyleOption(option)
        style = self.slider.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle
        )
        low, high = self.slider.minimum(), self.slider.maximum()
        span = max(groove.width() - handle.width(), 1)
        left = self.mapFromGlobal(self.slider.mapToGlobal(QPoint(groove.x() + handle.width() // 2, 0))).x()
        fraction = (np.asarray(steps, dtype=np.float64) - low) / max(high - low, 1)
        return np.round(left + fraction * span).astype(int)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        colour = self.palette().windowText().color()
        faded = QColor(colour)
        faded.setAlpha(80)
        accent = self.palette().highlight().color()
        for steps, pen, top, height in (
            (self.track_steps, faded, 4, 3),
            (self.steps, colour, 0, 4),
            (self.keyframes, accent, 0, 7),
        ):
            painter.setPen(pen)
            for x in np.unique(self.x_of(steps)) if steps else ():  # one mark per pixel column
                painter.drawLine(int(x), top, int(x), top + height)
        low, high = self.slider.minimum(), self.slider.maximum()
        if high > low:
            painter.setPen(colour)
            metrics = self.fontMetrics()
            marks = nice_steps(low, high)
            for step, x in zip(marks, self.x_of(marks), strict=True):
                text = f"{step:,}"
                width = metrics.horizontalAdvance(text)
                left = min(max(int(x) - width // 2, 0), self.width() - width)
                painter.drawText(
                    QRect(left, 8, width, metrics.height() + 2), Qt.AlignmentFlag.AlignLeft, text
                )
        painter.end()


class TimelineBar(QWidget):
    """A slider over the steps a run recorded (and the run a branch came from), the moment's
    step, play/pause with a replay speed, *Live* and *Branch from here*.

    `moment_chosen(step)` asks the window to show the recorded moment at `step` (a user move: the
    bar is no longer live); `live_requested` asks for the present; `branch_requested(step)` for a
    branch from that moment. Keys, while the bar or a panel has the focus: ← / → one recorded
    frame, Home the first, End the present (Live). `show_timelines` refreshes the marks as the
    run records; it never moves a bar that is not live.
    """

    moment_chosen = Signal(int)
    live_requested = Signal()
    branch_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.live = True
        self.timeline: Timeline | None = None
        self.track_timeline: Timeline | None = None  # the run a branch came from
        self.steps: list[int] = []  # recorded steps of both timelines, oldest first
        self._moment: int | None = None  # the step last asked to show; None while live
        self.present: int | None = None  # the newest step of the run shown (not of the track)
        self.branch_point: int | None = None  # where Train will continue a branch from

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to show any recorded moment in every panel; training goes on meanwhile")
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.ruler = _Ruler(self.slider)
        self.step_label = QLabel()
        # Room for most read-outs without jumping, but a narrow window may cut the longest.
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance("Step 10,000"))
        self.step_label.setToolTip("The step the panels show")

        self.play_button = QToolButton()
        self.play_button.setIcon(icon("train"))
        self.play_button.setCheckable(True)
        self.play_button.setToolTip(
            "Replay the recorded run from the moment shown (from the start when live)"
        )
        self.play_button.toggled.connect(self._on_play_toggled)
        self.speed = QComboBox()
        for fps in REPLAY_SPEEDS:
            self.speed.addItem(f"{fps}/s", fps)
        self.speed.setCurrentIndex(REPLAY_SPEEDS.index(DEFAULT_REPLAY_SPEED))
        self.speed.setToolTip("Replay speed: recorded frames shown per second")
        self.speed.currentIndexChanged.connect(self._on_speed_changed)
        self.live_button = QToolButton()
        self.live_button.setText("Live")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip("Show the present and follow the run as it trains (End)")
        self.live_button.clicked.connect(lambda: self.go_live())
        self.branch_action = QAction("Branch from here", self)
        self.branch_action.setIconText("Branch")  # on the bar; the Run menu says the whole of it
        self.branch_action.setToolTip(
            "Go back to the keyframe at or before the moment shown, change settings, "
            "and Train on from there as a new run"
        )
        self.branch_action.triggered.connect(lambda: self.branch_requested.emit(self.shown_step()))
        branch_button = QToolButton()
        branch_button.setDefaultAction(self.branch_action)
        branch_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

        self._replay = QTimer(self)
        self._replay.timeout.connect(self._replay_tick)
        self._on_speed_changed()

        slider_and_marks = QVBoxLayout()
        slider_and_marks.setSpacing(0)
        slider_and_marks.addWidget(self.slider)
        slider_and_marks.addWidget(self.ruler)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.play_button)
        row.addWidget(self.speed)
        row.addLayout(slider_and_marks, 1)
        row.addWidget(self.step_label)
        row.addWidget(self.live_button)
        row.addWidget(branch_button)
        self._keys()
        self.show_timelines(None)

    def _keys(self) -> None:
        for key, slot in (
            (Qt.Key.Key_Left, lambda: self.step_frames(-1)),
            (Qt.Key.Key_Right, lambda: self.step_frames(1)),
            (Qt.Key.Key_Home, self.go_first),
            (Qt.Key.Key_End, self.go_live),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def add_key_actions_to(self, widget: QWidget) -> None:
        """Let the keys scrub while `widget` (the view area) or a child of it has the focus too."""
        for action in self.actions():
            widget.addAction(action)

    # -- what the window tells the bar ------------------------------------------------------------
    def show_timelines(self, timeline: Timeline | None, track: Timeline | None = None) -> None:
        """Show the recorded steps of `timeline` (the run shown) and `track` (the run a branch
        came from, faded); a live bar moves to the newest."""
        self.timeline, self.track_timeline = timeline, track
        own = timeline.steps() if timeline is not None else []
        other = track.steps() if track is not None else []
        self.steps = sorted(set(own) | set(other))
        self.present = own[-1] if own else (self.steps[-1] if self.steps else None)
        self.ruler.steps, self.ruler.track_steps = own, other
        self.ruler.keyframes = timeline.keyframe_steps() if timeline is not None else []
        blocked = self.slider.blockSignals(True)
        if self.steps:
            self.slider.setRange(self.steps[0], self.steps[-1])
            if self.live:
                self.slider.setValue(self.present)
        else:
            self.slider.setRange(0, 0)
        self.slider.blockSignals(blocked)
        has_frames = bool(self.steps)
        for widget in (self.slider, self.play_button, self.speed, self.live_button):
            widget.setEnabled(has_frames)
        self.branch_action.setEnabled(bool(self.ruler.keyframes))
        self.live_button.setChecked(self.live)
        self._write_step()
        self.ruler.update()

    def set_moment(self, step: int) -> None:
        """Show the recorded moment at or before `step` (the bar leaves live)."""
        self.live = False
        self.live_button.setChecked(False)
        blocked = self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(blocked)
        self._write_step()
        if self.shown_step() != self._moment:  # a drag within one frame's steps redraws nothing
            self._moment = self.shown_step()
            self.moment_chosen.emit(self._moment)

    def shown_step(self) -> int:
        """The recorded step the panels show: the newest at or before the slider."""
        index = bisect.bisect_right(self.steps, self.slider.value()) - 1
        return self.steps[max(index, 0)] if self.steps else 0

    # -- moving ---------------------------------------------------------------------------------
    def go_live(self) -> None:
        """Back to the present: the newest snapshot, followed as the run trains."""
        self.play_button.setChecked(False)
        self.live = True
        self.branch_point = None
        self.live_button.setChecked(True)
        if self.steps:
            blocked = self.slider.blockSignals(True)
            self.slider.setValue(self.present)
            self.slider.blockSignals(blocked)
        self._write_step()
        self._moment = None
        self.live_requested.emit()

    def go_first(self) -> None:
        if self.steps:
            self.set_moment(self.steps[0])

    def step_frames(self, count: int) -> None:
        """Move `count` recorded frames later (negative: earlier); past the newest is live."""
        if not self.steps:
            return
        index = bisect.bisect_right(self.steps, self.shown_step()) - 1 + count
        if index >= len(self.steps):
            if not self.live:
                self.go_live()
            return
        self.set_moment(self.steps[max(index, 0)])

    def _on_slider_moved(self, value: int) -> None:
        self.set_moment(value)

    def _write_step(self) -> None:
        text = f"Step {self.shown_step():,}" if self.steps else "Step –"
        if self.live and self.steps:
            text += " · live"
        elif self.branch_point is not None and self.shown_step() == self.branch_point:
            text += " · branch point"
        self.step_label.setText(text)

    # -- replay ---------------------------------------------------------------------------------
    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setIcon(icon("pause" if on else "train"))
        if not on:
            self._replay.stop()
            return
        if self.live or self.shown_step() >= self.steps[-1]:
            self.go_first()  # replay from the start
        self._replay.start()

    def _on_speed_changed(self) -> None:
        self._replay.setInterval(int(1000 / self.speed.currentData()))

    def _replay_tick(self) -> None:
        if not self.steps or self.shown_step() >= self.steps[-1]:
            self.play_button.setChecked(False)  # the end of the recording: stay there
            return
        self.step_frames(1)

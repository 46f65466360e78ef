"""The drawing pad: draw a digit, and the model reconstructs it as you draw."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.commands import RECONSTRUCT
from unsuplab.core.payloads import PairedRows
from unsuplab.data.corruption import CORRUPTIONS, describe_corruption
from unsuplab.data.drawing import OPTDIGITS, add_noise, model_input, style_for
from unsuplab.ui.drawing_canvas import DrawingCanvas
from unsuplab.ui.views.image_strip import ImageStrip

#: At most one request per this many milliseconds (about 18 a second): a mouse reports moves
#: far faster than a model needs to answer them.
REQUEST_INTERVAL_MS = 55
#: A request unanswered this long (the probe failed, the run was replaced) no longer holds back
#: the next one.
REPLY_TIMEOUT_S = 2.0
DEFAULT_NOISE = ("masking", 0.25)
RESULT_PX = 112  # on-screen side of the answer's images: 28 pixels four times, 8 fourteen times
NO_MODEL = "Train, or open a run: the model answers once there is one."


class DrawingPad(QWidget):
    """A canvas, Clear / Erase / Add noise, and the model's answer beneath.

    As the drawing changes the pad emits `command_requested(RECONSTRUCT, {"image": x})`, with x
    prepared by `unsuplab.data.drawing.model_input` for the lesson's image shape. Requests are
    throttled and at most one waits for its answer at a time, so only the newest drawing is ever
    queued behind a training step; `show_result` takes the answer (a PairedRows).
    """

    command_requested = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image_shape: tuple[int, int] | None = None  # None: no model to ask yet
        self.noise_kind, self.noise_level = DEFAULT_NOISE
        self.requests_sent = 0
        self._noise_seed = 0
        self._seeds = np.random.default_rng()
        self._dirty = False
        self._in_flight = False
        self._sent_at = 0.0
        self._sent: tuple[np.ndarray, np.ndarray] | None = None  # (clean, as sent) of the last

        self.canvas = DrawingCanvas()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the canvas")
        self.erase_button = QPushButton("Erase")
        self.erase_button.setCheckable(True)
        self.erase_button.setToolTip(
            "The left button erases while this is on (the right button always erases)"
        )
        self.noise_button = QToolButton()
        self.noise_button.setText("Add noise")
        self.noise_button.setCheckable(True)
        self.noise_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.noise_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._noise_menu = QMenu(self.noise_button)
        self._noise_actions = QActionGroup(self)
        for kind in CORRUPTIONS:
            action = QAction(kind, self._noise_menu, checkable=True)
            action.setData(kind)
            self._noise_actions.addAction(action)
            self._noise_menu.addAction(action)
        self.noise_button.setMenu(self._noise_menu)

        self.caption = QLabel()
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.result = ImageStrip(max_px=RESULT_PX, min_px=56)
        self.result.setMinimumHeight(self.result.minimumSizeHint().height())

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.clear_button, self.erase_button, self.noise_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        layout.addWidget(self.result)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._send_pending)
        self.canvas.changed.connect(self._on_drawing_changed)
        self.clear_button.clicked.connect(self.clear)
        self.erase_button.toggled.connect(self._on_erase_toggled)
        self.noise_button.toggled.connect(self._on_noise_toggled)
        self._noise_actions.triggered.connect(self._on_noise_kind)
        self.set_noise_style(*DEFAULT_NOISE)
        self._update_caption()

    # -- what the window tells the pad ---------------------------------------------------------
    def set_image_shape(self, shape: tuple[int, int] | None) -> None:
        """The lesson's image shape, from its snapshot; None while there is no model to ask."""
        shape = None if shape is None else (int(shape[0]), int(shape[1]))
        if shape == self.image_shape:
            return
        self.image_shape = shape
        self._in_flight = False  # an answer from the previous model will not come
        self._sent = None
        if shape is not None and not self.canvas.is_empty():
            self._mark_dirty()  # the drawing made before training now gets its answer
        self._update_caption()

    def set_noise_style(self, kind: str, level: float) -> None:
        """The noise "Add noise" applies: the lesson's own corruption where it has one."""
        if kind not in CORRUPTIONS:
            kind, level = DEFAULT_NOISE
        self.noise_kind, self.noise_level = kind, float(level)
        for action in self._noise_actions.actions():
            action.setChecked(action.data() == kind)
        self.noise_button.setToolTip(
            f"Corrupt your drawing ({describe_corruption(kind, self.noise_level)}) before the "
            "model sees it (a fresh pattern each time it is switched on); the arrow picks the noise"
        )
        if self.noise_button.isChecked():
            self._mark_dirty()

    def clear(self) -> None:
        """Wipe the canvas and the answer."""
        self.canvas.clear()

    def reset(self) -> None:
        """Forget the model: a new lesson or run is coming (the drawing stays)."""
        self.set_image_shape(None)
        self.result.clear()
        self._update_caption()

    # -- what goes to the model ------------------------------------------------------------------
    def model_input(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(the drawing prepared like the data, that with the pad's noise if on) or None when the
        canvas is empty or there is no model to say which shape."""
        if self.image_shape is None:
            return None
        clean = model_input(self.canvas.ink(), self.image_shape)
        if clean is None:
            return None
        if not self.noise_button.isChecked():
            return clean, clean
        return clean, add_noise(clean, self.noise_kind, self.noise_level, self._noise_seed)

    def _on_drawing_changed(self) -> None:
        if self.canvas.is_empty():
            self.result.clear()
            self._dirty = False
            self._update_caption()
            return
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._schedule()

    def _schedule(self) -> None:
        """(Re)start the timer for the next send, REQUEST_INTERVAL_MS after the last one."""
        since = (time.monotonic() - self._sent_at) * 1000.0
        self._timer.start(int(max(0.0, REQUEST_INTERVAL_MS - since)))

    def _send_pending(self) -> None:
        if not self._dirty or self.image_shape is None:
            return
        waited = time.monotonic() - self._sent_at
        if self._in_flight and waited < REPLY_TIMEOUT_S:
            # The answer will trigger the next send; the timer covers an answer that never comes.
            self._timer.start(int((REPLY_TIMEOUT_S - waited) * 1000.0) + 1)
            return
        self._dirty = False
        prepared = self.model_input()
        if prepared is None:
            return  # an empty canvas sends nothing
        self._sent = prepared
        self._in_flight = True
        self._sent_at = time.monotonic()
        self.requests_sent += 1
        self.command_requested.emit(RECONSTRUCT, {"image": prepared[1]})

    # -- the answer ------------------------------------------------------------------------------
    def show_result(self, payload: PairedRows) -> None:
        """Show the model's answer: (your drawing,) its input and its reconstruction."""
        self._in_flight = False
        if self._dirty:
            self._schedule()  # the drawing moved on while the model answered: send it next
        if self.canvas.is_empty():
            return  # an answer to a drawing already wiped
        rows = [(label, np.asarray(images)[0]) for label, images in payload.rows.items() if len(images)]
        if (
            self._sent is not None
            and rows
            and self._sent[0] is not self._sent[1]
            and np.array_equal(rows[0][1], self._sent[1])
        ):
            rows = [("your digit", self._sent[0]), ("noisy input", rows[0][1]), *rows[1:]]
        self.result.set_images(rows)
        self._update_caption(answered=True)

    def request_failed(self) -> None:
        """The model could not answer (the probe raised): free the pad for the next drawing."""
        self._in_flight = False
        if self._dirty:
            self._schedule()

    def _update_caption(self, answered: bool = False) -> None:
        if self.image_shape is None:
            text = NO_MODEL
        elif self.canvas.is_empty():
            text = "Draw a digit in the dashed box; the right button erases."
        else:
            h, w = self.image_shape
            framing = "scikit-learn's digits" if style_for(self.image_shape) is OPTDIGITS else "MNIST"
            text = f"Sent as {h}x{w} pixels, framed like {framing}."
            if not answered and not self.result.images:
                text += " Waiting for its answer…"
        self.caption.setText(text)

    # -- the buttons -----------------------------------------------------------------------------
    def _on_erase_toggled(self, on: bool) -> None:
        self.canvas.erasing = on

    def _on_noise_toggled(self, on: bool) -> None:
        if on:
            self._noise_seed = int(self._seeds.integers(2**31))
        if not self.canvas.is_empty():
            self._mark_dirty()

    def _on_noise_kind(self, action: QAction) -> None:
        self.set_noise_style(action.data(), self.noise_level)
        if not self.noise_button.isChecked():
            self.noise_button.setChecked(True)  # picking a noise means wanting to see it

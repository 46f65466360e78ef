"""A square canvas to draw a digit on with the mouse: white ink on black, like MNIST's scans."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

CANVAS_PX = 280  # on-screen side of the canvas, ten screen pixels per cell of a 28x28 digit
GRID_CELLS = 28
#: Pen width: a digit drawn to fill the guide box (200 px) gets MNIST's stroke, about 2.5 of its
#: 20 pixels (the ink of a drawn 0, 1 or 7 then matches the data's mean); the anti-aliased edge
#: becomes MNIST's grey fringe when the drawing is shrunk.
BRUSH_PX = 26
ERASER_PX = 36
GUIDE_PX = 200  # the box a digit is best drawn in: MNIST's 20x20 of 28x28, at canvas scale


class DrawingCanvas(QWidget):
    """Left button draws, the right button (or `erasing`) erases; `changed` fires after each
    stroke segment. `ink()` is the drawing as a (CANVAS_PX, CANVAS_PX) array in [0, 1]."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.erasing = False
        self._image = QImage(CANVAS_PX, CANVAS_PX, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._last: QPointF | None = None
        self._erase_stroke = False
        self._empty = True
        self.setFixedSize(CANVAS_PX, CANVAS_PX)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the left mouse button; the right button erases")

    # -- the drawing ------------------------------------------------------------------------------
    def ink(self) -> np.ndarray:
        """The canvas as float32 values in [0, 1]: 1 is full ink."""
        bits = np.frombuffer(self._image.constBits(), np.uint8)
        rows = bits.reshape(CANVAS_PX, self._image.bytesPerLine())[:, :CANVAS_PX]
        return rows.astype(np.float32) / np.float32(255.0)

    def is_empty(self) -> bool:
        return self._empty

    def clear(self) -> None:
        self._image.fill(0)
        self._empty = True
        self.update()
        self.changed.emit()

    def stroke(self, points: Sequence[tuple[float, float]], *, erase: bool = False) -> None:
        """Draw (or erase) a polyline through canvas points (x, y), as a mouse drag would."""
        if not points:
            return
        self._paint(QPointF(*points[0]), None, erase)
        for before, after in zip(points, points[1:], strict=False):
            self._paint(QPointF(*after), QPointF(*before), erase)
        self.changed.emit()

    def _paint(self, to: QPointF, start: QPointF | None, erase: bool) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(QColor(0, 0, 0) if erase else QColor(255, 255, 255), ERASER_PX if erase else BRUSH_PX)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if start is None:
            painter.drawPoint(to)  # a round dot: a click leaves ink, as a pen touching paper
        else:
            painter.drawLine(start, to)
        painter.end()
        if not erase:
            self._empty = False
        elif not self._empty:
            self._empty = not bool(self.ink().max() > 0)
        self.update()

    # -- the mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return
        self._erase_stroke = self.erasing or button == Qt.MouseButton.RightButton
        self._last = event.position()
        self._paint(self._last, None, self._erase_stroke)
        self.changed.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._last is None:
            return
        here = event.position()
        self._paint(here, self._last, self._erase_stroke)
        self._last = here
        self.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._last = None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.drawImage(0, 0, self._image)
        # The 28x28 grid the digit becomes, faint enough not to compete with the ink.
        painter.setPen(QPen(QColor(255, 255, 255, 22), 1))
        cell = CANVAS_PX / GRID_CELLS
        for k in range(1, GRID_CELLS):
            painter.drawLine(QPointF(k * cell, 0), QPointF(k * cell, CANVAS_PX))
            painter.drawLine(QPointF(0, k * cell), QPointF(CANVAS_PX, k * cell))
        guide = QPen(QColor(120, 170, 255, 110), 1, Qt.PenStyle.DashLine)
        painter.setPen(guide)
        margin = (CANVAS_PX - GUIDE_PX) / 2
        painter.drawRect(QRectF(margin, margin, GUIDE_PX, GUIDE_PX))
        painter.end()

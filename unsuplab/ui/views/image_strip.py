"""A few labelled grey images side by side or stacked, enlarged with crisp square pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from unsuplab.ui.views._style import grey_qimage

GAP = 8  # pixels between two images
LABEL_GAP = 3  # pixels between an image and its label


class ImageStrip(QWidget):
    """Shows (label, (h, w) image in [0, 1]) pairs, each enlarged by a whole factor up to
    `max_px` pixels, its label beneath: a drawing and its reconstruction, a clicked point's image.

    Pixels stay sharp squares (no smoothing), so a student sees exactly what the model saw.
    """

    def __init__(
        self, *, vertical: bool = False, max_px: int = 128, min_px: int = 40, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.vertical = vertical
        self.max_px = max_px
        self.min_px = min_px
        self.labels: list[str] = []
        self.images: list[np.ndarray] = []
        self._qimages: list[QImage] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_images(self, items: list[tuple[str, np.ndarray]]) -> None:
        self.labels = [label for label, _ in items]
        self.images = [np.asarray(image, dtype=np.float32) for _, image in items]
        self._qimages = [grey_qimage(image) for image in self.images]
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.set_images([])

    # -- geometry ---------------------------------------------------------------------------------
    def _label_height(self) -> int:
        return self.fontMetrics().height() + LABEL_GAP

    def _cells(self, side: int) -> QSize:
        n = max(len(self.images), 1)
        along = n * side + (n - 1) * GAP
        cell_h = side + self._label_height()
        if self.vertical:
            return QSize(side, n * cell_h + (n - 1) * GAP)
        return QSize(along, cell_h)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._cells(self.max_px)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._cells(self.min_px)

    def image_side(self) -> int:
        """The on-screen side of each image: the largest whole enlargement that fits."""
        if not self.images:
            return 0
        n = len(self.images)
        if self.vertical:
            room = min(self.width(), (self.height() - (n - 1) * GAP) // n - self._label_height())
        else:
            room = min((self.width() - (n - 1) * GAP) // n, self.height() - self._label_height())
        room = min(room, self.max_px)
        largest = max(max(image.shape) for image in self.images)
        return max(1, room // largest) * largest

    # -- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self.images:
            return
        side = self.image_side()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        text = self.palette().windowText().color()
        frame = QColor(text)
        frame.setAlpha(90)
        label_h = self._label_height()
        total = self._cells(side)
        # Centred in the widget: a strip in a wide panel does not cling to its left edge.
        x0 = max(0, (self.width() - total.width()) // 2)
        y0 = max(0, (self.height() - total.height()) // 2)
        for k, (label, qimage) in enumerate(zip(self.labels, self._qimages, strict=True)):
            if self.vertical:
                x, y = x0, y0 + k * (side + label_h + GAP)
            else:
                x, y = x0 + k * (side + GAP), y0
            target = QRect(x, y, side, side)
            painter.drawImage(target, qimage)
            painter.setPen(frame)
            painter.drawRect(target.adjusted(-1, -1, 0, 0))
            painter.setPen(text)
            painter.drawText(
                QRect(x - GAP // 2, y + side + LABEL_GAP, side + GAP, label_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, side + GAP),
            )
        painter.end()

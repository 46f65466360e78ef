"""Rows of images that match column by column (input | reconstruction), labelled at left."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QWidget

from unsuplab.core.payloads import PairedRows
from unsuplab.ui.views._style import smooth_when_shrunk, style_plot
from unsuplab.ui.views.base import PixelHoverView, keep_images_readable
from unsuplab.viz.panels import PAD, rows_pixels

LABEL_SHARE = 0.3  # the row labels never take more of the panel's width than this (then elided)
LABEL_MARGIN = 12  # pixels between a row label and its row


class PairedRowsView(PixelHoverView):
    """`PairedRows` as one `pg.ImageItem` (`image_item`) of the stacked rows, drawn from
    `viz.panels.rows_pixels` (the bytes `unsuplab train` exports).

    The left axis (`row_axis`) carries the row labels at the middle of each row, so they stay
    beside their row when the user zooms; `hover_label` names the example under the mouse.
    """

    kind = PairedRows.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.row_labels: list[str] = []
        self._rows: dict[str, np.ndarray] = {}
        self._image_size = (0, 0)
        self._shown_shape: tuple[int, ...] = ()

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.plot: pg.PlotItem = self.graphics.addPlot()
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideButtons()
        self.row_axis: pg.AxisItem = self.plot.getAxis("left")
        # No tick marks: length 0 still leaves a dot beside each label, a negative one does not.
        self.row_axis.setStyle(tickLength=-5)
        self.image_item = pg.ImageItem()
        self.plot.addItem(self.image_item)
        self._update_smoothing = smooth_when_shrunk(self.graphics, self.plot.getViewBox())

        self.init_hover(self.graphics.scene())
        self.lay_out(self.graphics, below=(self.hover_label,))
        self.apply_theme(self.theme.dark)

    def show_payload(self, payload: PairedRows) -> None:
        self.set_title(payload.title)
        self._rows = payload.rows
        if not payload.rows:
            self.image_item.clear()
            return
        picture = rows_pixels(payload)
        self.image_item.setImage(picture, autoLevels=False, levels=(0, 255))
        first = next(iter(payload.rows.values()))
        self._image_size = tuple(first.shape[1:3])
        labels = list(payload.rows)
        if labels != self.row_labels:
            self.row_labels = labels
            self.fit_row_labels()
        keep_images_readable(self, len(first), len(labels), beside=self.row_axis.width())
        if picture.shape != self._shown_shape:
            self._shown_shape = picture.shape
            self.plot.getViewBox().autoRange(padding=0.01)

    def fit_row_labels(self) -> None:
        """Each row's label at its middle, in a column as wide as the longest label but at most
        `LABEL_SHARE` of the panel: longer labels are elided (the hover line says them whole)."""
        if not self.row_labels:
            return
        metrics = QFontMetrics(self.row_axis.style["tickFont"] or self.font())
        natural = max(metrics.horizontalAdvance(t) for t in self.row_labels) + LABEL_MARGIN
        width = min(natural, max(4 * LABEL_MARGIN, int(self.width() * LABEL_SHARE)))
        texts = (
            self.row_labels
            if width == natural
            else [
                metrics.elidedText(t, Qt.TextElideMode.ElideRight, width - LABEL_MARGIN)
                for t in self.row_labels
            ]
        )
        h = self._image_size[0]
        centres = [PAD + k * (h + PAD) + h / 2 for k in range(len(texts))]
        self.row_axis.setTicks([list(zip(centres, texts, strict=True)), []])
        # The axis would grow to fit its labels only after painting them clipped once.
        self.row_axis.setWidth(width)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_row_labels()

    def describe(self, x: float, y: float) -> str:
        """The hover text for image pixel (x, y): which example and which row."""
        if not self._rows or x < 0 or y < 0:
            return ""
        h, w = self._image_size
        column, dx = divmod(int(x) - PAD, w + PAD)
        row, dy = divmod(int(y) - PAD, h + PAD)
        count = len(next(iter(self._rows.values())))
        if dx >= w or dy >= h or not 0 <= column < count or not 0 <= row < len(self.row_labels):
            return ""
        value = float(self._rows[self.row_labels[row]][column, dy, dx])
        return f"example {column}  ·  {self.row_labels[row]}  ·  pixel ({dy}, {dx}) = {value:.3g}"

    def hover_box(self) -> pg.ViewBox:
        return self.plot.getViewBox()

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.graphics.setBackground(self.theme.background)
        self._update_smoothing()  # crisp pixels in presenter mode
        style_plot(self.plot, self.theme)
        self.row_axis.setPen(pg.mkPen(None))  # labels only, no axis line

"""A small matrix as coloured cells with their numbers: a confusion matrix, true rows by predicted columns."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from unsuplab.core.payloads import Matrix
from unsuplab.ui.views._style import category_ticks, readable_text_colour, style_plot
from unsuplab.ui.views.base import View

#: Cells run from a faint tint of the background (zero) to the accent colour (the largest value).
LOW_COLOUR = {True: "#262c36", False: "#f1f5fb"}
#: Colour follows value ** GAMMA: a few confusions among thousands of hits still show a tint.
GAMMA = 0.5
MIN_FONT_PX, MAX_FONT_PX = 7, 15


class MatrixView(View):
    """A `Matrix` as one `pg.ImageItem` (`image_item`, cells coloured by value through `colour_map`)
    and one `pg.TextItem` per cell (`cell_texts`, black or white for contrast with its cell).

    Row 0 is at the top; row labels on the left axis, column labels on the bottom one, titled
    with `row_title` / `column_title`. Numbers shrink with the cells so they never overlap.
    """

    kind = Matrix.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.values = np.zeros((0, 0))
        self.cell_texts: list[pg.TextItem] = []
        self._labels: tuple[list[str], list[str]] = ([], [])
        self._titles = ("", "")
        self._format = ""

        self.plot_widget = pg.PlotWidget()
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        # Cells fill the panel (not locked square): the numbers, not the shape, carry the meaning.
        self.plot.invertY(True)
        self.image_item = pg.ImageItem()
        self.plot.addItem(self.image_item)
        self.plot.getViewBox().sigResized.connect(self._on_resized)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.hover_label = self.hover_line()
        self.lay_out(self.plot_widget, below=(self.hover_label,))
        self.colour_map = self._make_colour_map()
        self.apply_theme(self.theme.dark)

    def show_payload(self, payload: Matrix) -> None:
        self.set_title(payload.title)
        values = np.asarray(payload.values, dtype=np.float64)
        rows, columns = values.shape
        reshaped = values.shape != self.values.shape
        self.values = values
        self._format = payload.number_format
        if (payload.row_title, payload.column_title) != self._titles:
            self._titles = (payload.row_title, payload.column_title)
            self.plot.setLabel("left", payload.row_title)
            self.plot.setLabel("bottom", payload.column_title)
        labels = (list(payload.row_labels), list(payload.column_labels))
        if labels != self._labels:
            self._labels = labels
            self.plot.getAxis("left").setTicks([list(enumerate(labels[0]))])
            self._set_column_ticks()
        self.image_item.setImage(self._colour_positions(), autoLevels=False, levels=(0.0, 1.0))
        self.image_item.setRect(QRectF(-0.5, -0.5, columns, rows))
        if reshaped:
            self._make_cell_texts(rows, columns)
            self.plot.setRange(xRange=(-0.5, columns - 0.5), yRange=(-0.5, rows - 0.5), padding=0.0)
        self._write_numbers()

    def _colour_positions(self) -> np.ndarray:
        """Each cell's place on the colour map, in [0, 1]."""
        finite = self.values[np.isfinite(self.values)]
        low = min(float(finite.min()), 0.0) if finite.size else 0.0
        high = max(float(finite.max()) if finite.size else 1.0, low + 1e-12)
        return np.clip((np.nan_to_num(self.values) - low) / (high - low), 0.0, 1.0) ** GAMMA

    def _make_cell_texts(self, rows: int, columns: int) -> None:
        for item in self.cell_texts:
            self.plot.removeItem(item)
        self.cell_texts = []
        for r in range(rows):
            for c in range(columns):
                item = pg.TextItem(anchor=(0.5, 0.5))
                item.setPos(c, r)
                self.plot.addItem(item)
                self.cell_texts.append(item)
        self._fit_font()

    def _write_numbers(self) -> None:
        if not self.cell_texts:
            return
        lut = self.colour_map.getLookupTable(nPts=256, alpha=False)
        cell_colours = lut[(self._colour_positions() * 255).astype(int)]
        text_colours = readable_text_colour(cell_colours).reshape(-1, 3)
        for item, value, colour in zip(self.cell_texts, self.values.reshape(-1), text_colours, strict=True):
            text = self._format.format(value) if np.isfinite(value) else "–"
            if item.toPlainText() != text:
                item.setText(text)
            item.setColor(QColor(*colour.tolist()))

    def _set_column_ticks(self) -> None:
        """Column names that never overlap (rows stack vertically and have room)."""
        room = self.plot.getViewBox().width()
        self.plot.getAxis("bottom").setTicks([category_ticks(self._labels[1], room, self.fontMetrics())])

    def _on_resized(self) -> None:
        self._fit_font()
        self._set_column_ticks()

    def _fit_font(self) -> None:
        """Numbers about a third of a cell high, within readable bounds."""
        if not self.cell_texts or self.values.size == 0:
            return
        box = self.plot.getViewBox()
        rows, columns = self.values.shape
        cell_px = min(box.width() / columns, box.height() / rows)
        widest = (
            max(len(self._format.format(v)) for v in self.values.reshape(-1)[:200] if np.isfinite(v))
            if np.isfinite(self.values).any()
            else 1
        )
        size = int(np.clip(min(cell_px * 0.36, 1.6 * cell_px / max(widest, 1)), MIN_FONT_PX, MAX_FONT_PX))
        font = QFont(self.font())
        font.setPixelSize(size)
        for item in self.cell_texts:
            item.setFont(font)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.getViewBox()
        if self.values.size == 0 or not box.sceneBoundingRect().contains(scene_pos):
            self.hover_label.setText("")
            return
        point = box.mapSceneToView(scene_pos)
        r, c = round(point.y()), round(point.x())
        rows, columns = self.values.shape
        if not (0 <= r < rows and 0 <= c < columns):
            self.hover_label.setText("")
            return
        row_name = self._labels[0][r] if r < len(self._labels[0]) else str(r)
        column_name = self._labels[1][c] if c < len(self._labels[1]) else str(c)
        row_title = self._titles[0] or "row"
        column_title = self._titles[1] or "column"
        self.hover_label.setText(
            f"{row_title} {row_name}, {column_title} {column_name}: {self._format.format(self.values[r, c])}"
        )

    def _make_colour_map(self) -> pg.ColorMap:
        return pg.ColorMap([0.0, 1.0], [QColor(LOW_COLOUR[self.theme.dark]), QColor(self.theme.accent)])

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.plot_widget.setBackground(self.theme.background)
        style_plot(self.plot, self.theme)
        self.colour_map = self._make_colour_map()
        self.image_item.setColorMap(self.colour_map)
        self._write_numbers()

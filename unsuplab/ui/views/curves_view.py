"""Scalar series against training step (or another x axis): each loss solid, its held-out twin dashed."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics, QPen
from PySide6.QtWidgets import QCheckBox, QWidget

from unsuplab.core.payloads import Curves
from unsuplab.ui.views._style import line_width, palette_colour, style_plot
from unsuplab.ui.views.base import View
from unsuplab.ui.views.legend import DASHED_LINE, LINE, LegendEntry

HELDOUT_PREFIX = "heldout_"


def base_name(name: str) -> str:
    """The training series a held-out series belongs to: "heldout_loss" -> "loss"."""
    return name.removeprefix(HELDOUT_PREFIX)


def readable_name(name: str) -> str:
    """The legend text of a series: "heldout_mean_activation" -> "held-out mean activation"."""
    words = base_name(name).replace("_", " ")
    return f"held-out {words}" if name.startswith(HELDOUT_PREFIX) else words


class ValueAxis(pg.AxisItem):
    """A y axis whose log-scale labels read 0.05, 0.1, 0.2, 30 and never overlap.

    pyqtgraph labels every minor log tick ("9·10¹", "8·10¹", ...) whether or not they fit; here
    the decades are labelled first, then 2 and 5 times them, then the rest, each only where it
    keeps a line's height from the labels already placed.
    """

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        low, high = self.range
        pixels_per_unit = self.geometry().height() / max(high - low, 1e-12)
        gap = QFontMetrics(self.style["tickFont"] or self.font()).height()
        mantissas = [round(10 ** (v - math.floor(v + 1e-9)), 6) for v in values]

        def rank(i: int) -> int:
            return 0 if mantissas[i] == 1 else 1 if mantissas[i] in (2, 5) else 2

        strings, placed = [""] * len(values), []
        for i in sorted(range(len(values)), key=rank):
            position = values[i] * pixels_per_unit
            if all(abs(position - p) >= gap for p in placed):
                strings[i] = f"{10 ** values[i] * scale:.6g}"
                placed.append(position)
        return strings


class CurvesView(View):
    """One plot of `Curves`: a line per series, x is the training step, optional log-scaled y.

    `items` maps series name to its `PlotDataItem`; `legend_label` in the header names them (a
    dashed mark for a held-out series); `log_y_box` switches the y axis to log scale (it starts
    from the payload's `log_y`, after which the user's choice wins).
    """

    kind = Curves.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.items: dict[str, pg.PlotDataItem] = {}
        self._colour_of: dict[str, int] = {}  # base name -> palette index, stable across updates
        self._user_set_log = False
        self._y_label = ""

        self.log_y_box = QCheckBox("log y")
        self.log_y_box.setToolTip("Show the y axis on a logarithmic scale")
        self.log_y_box.toggled.connect(self._on_log_toggled)
        self.plot_widget = pg.PlotWidget(axisItems={"left": ValueAxis("left")})
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self._x_label = "step"
        self.plot.setLabel("bottom", self._x_label)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        # Long histories: draw only what is on screen, thinned to the pixel columns.
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")

        self.lay_out(self.plot_widget, corner=self.log_y_box, legend=True)
        self.apply_theme(self.theme.dark)

    @property
    def log_y(self) -> bool:
        return self.log_y_box.isChecked()

    def set_log_y(self, on: bool) -> None:
        self.log_y_box.setChecked(on)

    def show_payload(self, payload: Curves) -> None:
        self.set_title(payload.title)
        if payload.x_label != self._x_label:
            self._x_label = payload.x_label
            self.plot.setLabel("bottom", payload.x_label)
        if payload.y_label != self._y_label:
            self._y_label = payload.y_label
            self.plot.setLabel("left", payload.y_label)
        if not self._user_set_log and payload.log_y != self.log_y:
            self.log_y_box.blockSignals(True)
            self.log_y_box.setChecked(payload.log_y)
            self.log_y_box.blockSignals(False)
            self.plot.setLogMode(y=payload.log_y)
        for name in [n for n in self.items if n not in payload.series]:
            self.plot.removeItem(self.items.pop(name))
        # Each training series just before its held-out twin, so the legend reads in pairs.
        bases = list(dict.fromkeys(base_name(n) for n in payload.series))
        names = sorted(
            payload.series, key=lambda n: (bases.index(base_name(n)), n.startswith(HELDOUT_PREFIX))
        )
        for name in names:
            steps, values = payload.series[name]
            item = self.items[name] if name in self.items else self._add_item(name)
            values = np.asarray(values, dtype=np.float64)
            item.setData(np.asarray(steps), values, skipFiniteCheck=bool(np.isfinite(values).all()))
        self.set_legend([self._legend_entry(name) for name in names])

    def _colour(self, name: str) -> QColor:
        """A series' colour: its training series' own, so a held-out twin matches it."""
        return palette_colour(self._colour_of.setdefault(base_name(name), len(self._colour_of)))

    def _legend_entry(self, name: str) -> LegendEntry:
        mark = DASHED_LINE if name.startswith(HELDOUT_PREFIX) else LINE
        return LegendEntry(readable_name(name), self._colour(name).name(), mark)

    def _pen(self, name: str) -> QPen:
        # One pixel wide (thicker only in presenter mode): Qt strokes wider dashed or antialiased
        # noisy paths a hundred times slower (seconds per frame for a 4,000-point loss history).
        dashed = name.startswith(HELDOUT_PREFIX)
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        return pg.mkPen(self._colour(name), width=line_width(1), style=style)

    def _add_item(self, name: str) -> pg.PlotDataItem:
        item = pg.PlotDataItem(pen=self._pen(name), antialias=True)
        # A long run's history has thousands of points per series; drawing about one per pixel
        # (min/max per column, so spikes stay visible) keeps a repaint cheap for the trainer.
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        self.plot.addItem(item)
        self.items[name] = item
        return item

    def _on_log_toggled(self, on: bool) -> None:
        self._user_set_log = True
        self.plot.setLogMode(y=on)

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.plot_widget.setBackground(self.theme.background)
        style_plot(self.plot, self.theme)
        for name, item in self.items.items():
            item.setPen(self._pen(name))

"""Distributions on shared bins as translucent step-filled histograms, with labelled vertical markers."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QWidget

from unsuplab.core.payloads import Histogram
from unsuplab.ui.views._style import line_width, palette_colour, style_plot, translucent
from unsuplab.ui.views.base import View
from unsuplab.ui.views.legend import palette_legend

FILL_ALPHA = 80  # of 255: two overlapping distributions both stay visible


class HistogramView(View):
    """A `Histogram` as one step-filled `pg.PlotDataItem` per series (`items`) on the shared edges,
    named in `legend_label` in the header, and one `pg.InfiniteLine` per marker (`marker_lines`,
    labelled with the marker's name).

    `log_y_box` shows counts on a log scale (it starts from the payload's `log_y`; the user's
    choice then wins). Hovering names the bin and each series' count in it.
    """

    kind = Histogram.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.items: dict[str, pg.PlotDataItem] = {}
        self.marker_lines: dict[str, pg.InfiniteLine] = {}
        self.edges = np.zeros(1)
        self.counts: dict[str, np.ndarray] = {}
        self._labels = ("", "")
        self._user_set_log = False

        self.log_y_box = QCheckBox("log y")
        self.log_y_box.setToolTip("Show the counts on a logarithmic scale")
        self.log_y_box.toggled.connect(self._on_log_toggled)
        self.plot_widget = pg.PlotWidget()
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.hover_label = self.hover_line()
        self.lay_out(self.plot_widget, corner=self.log_y_box, legend=True, below=(self.hover_label,))
        self.apply_theme(self.theme.dark)

    @property
    def log_y(self) -> bool:
        return self.log_y_box.isChecked()

    def show_payload(self, payload: Histogram) -> None:
        self.set_title(payload.title)
        if (payload.x_label, payload.y_label) != self._labels:
            self._labels = (payload.x_label, payload.y_label)
            self.plot.setLabel("bottom", payload.x_label)
            self.plot.setLabel("left", payload.y_label)
        if not self._user_set_log and payload.log_y != self.log_y:
            blocked = self.log_y_box.blockSignals(True)
            self.log_y_box.setChecked(payload.log_y)
            self.log_y_box.blockSignals(blocked)
            self.plot.setLogMode(y=payload.log_y)
        self.edges = np.asarray(payload.edges, dtype=np.float64).reshape(-1)
        self.counts = {
            name: np.nan_to_num(np.asarray(c, dtype=np.float64).reshape(-1))
            for name, c in payload.counts.items()
        }
        for name in [n for n in self.items if n not in self.counts]:
            self.plot.removeItem(self.items.pop(name))
        for name in self.counts:
            if name not in self.items:
                self._add_series(name)
        self._draw_counts()
        self.set_legend(palette_legend(self.items))
        self._set_markers(payload.markers)

    def _add_series(self, name: str) -> None:
        colour = palette_colour(len(self.items))
        item = pg.PlotDataItem(stepMode="center", brush=translucent(colour, FILL_ALPHA))
        item.setPen(self._series_pen(len(self.items)))
        self.plot.addItem(item)
        self.items[name] = item

    @staticmethod
    def _series_pen(index: int) -> QPen:
        return pg.mkPen(palette_colour(index), width=line_width(1.5))

    def _draw_counts(self) -> None:
        # A log axis cannot show an empty bin: lift zeros to half the smallest count shown and
        # fill down to that floor rather than to zero (minus infinity).
        floor = 0.0
        if self.log_y:
            positive = [c[c > 0] for c in self.counts.values()]
            smallest = min((p.min() for p in positive if len(p)), default=1.0)
            floor = smallest / 2.0
        for name, item in self.items.items():
            counts = self.counts[name]
            if len(counts) + 1 != len(self.edges):
                raise ValueError(f"{name!r} has {len(counts)} counts for {len(self.edges)} edges")
            shown = np.maximum(counts, floor) if self.log_y else counts
            item.setData(self.edges, shown, fillLevel=np.log10(floor) if self.log_y else 0.0)

    def _set_markers(self, markers: dict[str, float]) -> None:
        for name in [n for n in self.marker_lines if n not in markers]:
            self.plot.removeItem(self.marker_lines.pop(name))
        for name, x in markers.items():
            line = self.marker_lines.get(name)
            if line is None:
                line = pg.InfiniteLine(
                    angle=90,
                    movable=False,
                    label=name,
                    labelOpts={"position": 0.93, "anchors": [(0, 0), (0, 0)]},
                )
                line.setZValue(20)
                self.plot.addItem(line)
                self.marker_lines[name] = line
                self._style_marker(line)
            line.setValue(float(x))

    def _style_marker(self, line: pg.InfiniteLine) -> None:
        line.setPen(pg.mkPen(self.theme.foreground, width=line_width(1.5), style=Qt.PenStyle.DashLine))
        line.label.setColor(self.theme.foreground)
        line.label.fill = pg.mkBrush(self.theme.legend_background)
        line.label.update()

    def _on_log_toggled(self, on: bool) -> None:
        self._user_set_log = True
        self.plot.setLogMode(y=on)
        self._draw_counts()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.getViewBox()
        if len(self.edges) < 2 or not box.sceneBoundingRect().contains(scene_pos):
            self.hover_label.setText("")
            return
        x = box.mapSceneToView(scene_pos).x()
        index = int(np.searchsorted(self.edges, x, side="right")) - 1
        if not 0 <= index < len(self.edges) - 1:
            self.hover_label.setText("")
            return
        counts = ", ".join(f"{name} {c[index]:.4g}" for name, c in self.counts.items())
        self.hover_label.setText(f"[{self.edges[index]:.3g}, {self.edges[index + 1]:.3g}): {counts}")

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.plot_widget.setBackground(self.theme.background)
        style_plot(self.plot, self.theme)
        for index, item in enumerate(self.items.values()):
            item.setPen(self._series_pen(index))
        for line in self.marker_lines.values():
            self._style_marker(line)

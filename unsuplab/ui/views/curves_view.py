"""Scalar series against training step (or another x axis): each loss solid, its held-out twin dashed;
a cursor line at a recorded step, and the run a branch came from as a faded second track."""

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
#: How strongly the run a branch came from is drawn beside the branch (0 invisible, 255 solid).
TRACK_ALPHA = 90
#: The legend's name for those faded lines.
TRACK_NAME = "faded: the run branched from"


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

    Looking at a recorded moment, `set_cursor(step)` draws a line at that step (`cursor_line`) and
    writes each series' value there in the hover line; `set_track(curves)` overlays another run's
    curves faded (`track_items`): the run a branch came from.
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

        self.cursor_step: int | None = None
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False)
        self.cursor_line.setZValue(10)
        self.cursor_line.hide()
        self.plot.addItem(self.cursor_line, ignoreBounds=True)
        self.track_items: dict[str, pg.PlotDataItem] = {}
        self._shown: Curves | None = None
        self._legend_names: list[str] = []

        self.lay_out(self.plot_widget, corner=self.log_y_box, legend=True, below=(self.hover_line(),))
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
        self._legend_names = names
        self._write_legend()
        self._shown = payload
        self._write_cursor_values()

    # -- a recorded moment: the cursor and the run a branch came from ---------------------------------
    def set_cursor(self, step: int | None, x_end: int | None = None) -> None:
        """Mark `step` with a line and read the values there into the hover line. The axes stay
        as the present showed them, the x axis up to `x_end` (the newest recorded step): a curve
        cut at the cursor neither rescales the plot nor costs an axis redraw. None: the present
        again, no cursor, the axes fit the curves."""
        on = step is not None and self._x_label == "step"
        view_box = self.plot.getViewBox()
        if on and self.cursor_step is None:
            view_box.disableAutoRange()  # keep the present's y range while scrubbing
        self.cursor_step = step if on else None
        self.cursor_line.setVisible(on)
        if on:
            self.cursor_line.setValue(step)
            if x_end is not None and x_end > 0:
                self.plot.setXRange(0, x_end, padding=0.02)
        else:
            view_box.enableAutoRange()
        self._write_cursor_values()

    def set_track(self, payload: Curves | None) -> None:
        """Overlay `payload`'s series faded, in the colours of this run's series of the same name
        (None: no track)."""
        series = payload.series if payload is not None else {}
        for name in [n for n in self.track_items if n not in series]:
            self.plot.removeItem(self.track_items.pop(name))
        for name, (steps, values) in series.items():
            item = self.track_items.get(name)
            if item is None:
                colour = QColor(self._colour(name))
                colour.setAlpha(TRACK_ALPHA)
                dashed = name.startswith(HELDOUT_PREFIX)
                style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
                item = pg.PlotDataItem(pen=pg.mkPen(colour, width=1, style=style))
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                item.setZValue(-1)  # under this run's own lines
                self.plot.addItem(item)
                self.track_items[name] = item
            values = np.asarray(values, dtype=np.float64)
            item.setData(np.asarray(steps), values, skipFiniteCheck=bool(np.isfinite(values).all()))
        self._write_legend()

    def _write_legend(self) -> None:
        entries = [self._legend_entry(name) for name in self._legend_names]
        if self.track_items:
            faded = QColor(self.theme.foreground)
            faded.setAlpha(TRACK_ALPHA)
            entries.append(LegendEntry(TRACK_NAME, faded.name(QColor.NameFormat.HexArgb), LINE))
        self.set_legend(entries)

    def _write_cursor_values(self) -> None:
        """The hover line at the cursor: its step and every series' newest value up to it."""
        if self.cursor_step is None or self._shown is None:
            self.hover_label.setText("")
            return
        parts = [f"step {self.cursor_step:,}"]
        for name, (_, values) in self._shown.series.items():
            if len(values):
                parts.append(f"{readable_name(name)} {float(values[-1]):.4g}")
        self.hover_label.setText("  ·  ".join(parts))

    def on_pointer_left(self) -> None:
        self._write_cursor_values()  # the read-out at the cursor stays while it is shown

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
        self.cursor_line.setPen(pg.mkPen(self.theme.accent, width=line_width(2)))

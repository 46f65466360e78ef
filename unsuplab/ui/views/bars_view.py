"""Bars per category, series side by side: Q-values per action with the chosen one emphasised."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget

from unsuplab.core.payloads import Bars
from unsuplab.ui.views._style import category_ticks, line_width, palette_colour, style_plot, translucent
from unsuplab.ui.views.base import View
from unsuplab.ui.views.legend import palette_legend

GROUP_WIDTH = 0.8  # of each category's unit of x, shared by its bars
#: The widest a chart asks to be so that every category is named; the left axis' room.
MAX_LABELLED_WIDTH = 600
AXIS_ROOM = 50


class BarsView(View):
    """A `Bars` payload as one `pg.BarGraphItem` per series (`bar_items`), grouped per category.

    One series: neutral bars with the `highlight` category in the theme's accent colour. Several:
    a colour per series, named in `legend_label` in the header (never over the bars), and an
    accent band behind the highlighted category. Category names label the x axis, thinned to every
    k-th when they would overlap. With a `click_command` clicking a category emits
    `command_requested(click_command, {"index": i})`.
    """

    kind = Bars.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bar_items: dict[str, pg.BarGraphItem] = {}
        self.categories: list[str] = []
        self.values: dict[str, np.ndarray] = {}
        self.highlight: int | None = None
        self.click_command: str | None = None
        self._y_label = ""
        self._y_range: tuple[float, float] | None = None

        self.plot_widget = pg.PlotWidget()
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(y=True, alpha=0.2)
        # The highlighted category's band sits behind the bars (several series only).
        self.band = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.96, pen=None)
        self.band.setZValue(-10)
        self.band.hide()
        self.plot.addItem(self.band)
        # Clickable categories with nothing to show yet (a movie not liked) keep a faint slot,
        # so there is a bar to click.
        self.slots = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.8, pen=None)
        self.slots.setZValue(-5)
        self.slots.hide()
        self.plot.addItem(self.slots)
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0)
        self.plot.addItem(self.zero_line)
        # A name may run past its category's edge rather than vanish (the first, the last).
        self.plot.getAxis("bottom").setStyle(hideOverlappingLabels=False)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # Thin the names once the plot has its new width (a resize of the panel comes first).
        self.plot.getViewBox().sigResized.connect(self._set_ticks)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        self.hover_label = self.hover_line()
        self.lay_out(self.plot_widget, legend=True, below=(self.hover_label,))
        self.apply_theme(self.theme.dark)

    def show_payload(self, payload: Bars) -> None:
        self.set_title(payload.title)
        if payload.y_label != self._y_label:
            self._y_label = payload.y_label
            self.plot.setLabel("left", payload.y_label)
        self.values = {
            name: np.asarray(v, dtype=np.float64).reshape(-1) for name, v in payload.values.items()
        }
        self.highlight = payload.highlight
        self._set_click_command(payload.click_command)
        if list(payload.categories) != self.categories:
            self.categories = list(payload.categories)
            self.plot.setXRange(-0.5, len(self.categories) - 0.5, padding=0.02)
            # Room for every category's name under its bar ("Harry Potter", not "Ha…"): below it
            # the view area scrolls. Many short labels (actions, units) need little.
            widest = max((self.fontMetrics().horizontalAdvance(c) for c in self.categories), default=0)
            self.plot_widget.setMinimumWidth(
                min(MAX_LABELLED_WIDTH, len(self.categories) * (widest + 6) + AXIS_ROOM)
            )
            self._set_ticks()
        if list(self.values) != list(self.bar_items):
            for name in [n for n in self.bar_items if n not in self.values]:
                self.plot.removeItem(self.bar_items.pop(name))
            for name in self.values:
                if name not in self.bar_items:
                    self._add_series(name)
            self.set_legend(palette_legend(self.bar_items))
        self._draw_bars()
        if payload.y_range != self._y_range:
            self._y_range = payload.y_range
            if payload.y_range is None:
                self.plot.enableAutoRange(y=True)
            else:
                self.plot.setYRange(*payload.y_range, padding=0.02)

    def _add_series(self, name: str) -> None:
        item = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.1)
        self.plot.addItem(item)
        self.bar_items[name] = item

    def _draw_bars(self) -> None:
        count = len(self.bar_items)
        width = GROUP_WIDTH / max(count, 1)
        single = count == 1
        for k, (name, item) in enumerate(self.bar_items.items()):
            heights = self.values[name]
            x = np.arange(len(heights)) - GROUP_WIDTH / 2 + (k + 0.5) * width
            if single:
                brushes = [pg.mkBrush(self.theme.neutral)] * len(heights)
                if self.highlight is not None and 0 <= self.highlight < len(heights):
                    brushes[self.highlight] = pg.mkBrush(self.theme.accent)
            else:
                brushes = [pg.mkBrush(palette_colour(k))] * len(heights)
            item.setOpts(x=x, height=np.nan_to_num(heights), width=width * 0.92, brushes=brushes, pen=None)
        self._draw_band(single)
        self._draw_slots()

    def _draw_slots(self) -> None:
        """A faint full-height slot behind each empty category of a clickable chart."""
        if self.click_command is None or not self.values:
            self.slots.hide()
            return
        heights = np.nan_to_num(np.stack([np.abs(v) for v in self.values.values()])).max(axis=0)
        empty = np.flatnonzero(heights == 0)
        if len(empty) == 0:
            self.slots.hide()
            return
        top = self._y_range[1] if self._y_range is not None else max(float(heights.max()), 1.0)
        self.slots.setOpts(
            x=empty,
            height=np.full(len(empty), top),
            width=GROUP_WIDTH,
            brush=translucent(self.theme.neutral, 45),
            pen=None,
        )
        self.slots.show()

    def _draw_band(self, single: bool) -> None:
        if single or self.highlight is None or not 0 <= self.highlight < len(self.categories):
            self.band.hide()
            return
        stacked = np.concatenate([v for v in self.values.values()] + [np.zeros(1)])
        stacked = stacked[np.isfinite(stacked)]
        low, high = (
            self._y_range if self._y_range is not None else (min(stacked.min(), 0.0), max(stacked.max(), 0.0))
        )
        margin = 0.04 * max(high - low, 1e-12)
        self.band.setOpts(
            x=[self.highlight],
            y0=[low - margin],
            height=[high - low + 2 * margin],
            width=0.96,
            brush=translucent(self.theme.accent, 60),
            pen=None,
        )
        self.band.show()

    # -- category names on the x axis ------------------------------------------------------------
    def _set_ticks(self) -> None:
        room = self.plot.getViewBox().width()
        self.plot.getAxis("bottom").setTicks([category_ticks(self.categories, room, self.fontMetrics())])

    # -- hover and click -------------------------------------------------------------------------
    def category_at(self, scene_pos: QPointF) -> int | None:
        """The category whose column lies under `scene_pos` (anywhere in it, not just the bar)."""
        box = self.plot.getViewBox()
        if not self.categories or not box.sceneBoundingRect().contains(scene_pos):
            return None
        index = round(box.mapSceneToView(scene_pos).x())
        return index if 0 <= index < len(self.categories) else None

    def _set_click_command(self, command: str | None) -> None:
        if command == self.click_command:
            return
        self.click_command = command
        viewport = self.plot_widget.viewport()
        if command is None:
            viewport.unsetCursor()
            self.plot_widget.setToolTip("")
        else:
            viewport.setCursor(Qt.CursorShape.PointingHandCursor)
            self.plot_widget.setToolTip(f"Click a bar to ask the model ({command})")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        index = self.category_at(scene_pos)
        if index is None:
            self.hover_label.setText("")
            return
        parts = [
            f"{name} {values[index]:.4g}" if len(self.values) > 1 else f"{values[index]:.4g}"
            for name, values in self.values.items()
            if index < len(values)
        ]
        hint = "  ·  click to choose" if self.click_command else ""
        self.hover_label.setText(f"{self.categories[index]}: {', '.join(parts)}{hint}")

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.click_command is None:
            return
        index = self.category_at(event.scenePos())
        if index is not None:
            self.command_requested.emit(self.click_command, {"index": index})

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.plot_widget.setBackground(self.theme.background)
        style_plot(self.plot, self.theme)
        self.zero_line.setPen(pg.mkPen(self.theme.muted, width=line_width(1)))
        if self.bar_items:
            self._draw_bars()

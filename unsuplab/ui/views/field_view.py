"""Points over a heat field with arrows: a 2-D GAN's real and generated samples over D(x), and the
generator's gradients; optionally the user draws new data points with the mouse."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QPushButton, QWidget

from unsuplab.core.payloads import Field
from unsuplab.ui.views._interaction import DragViewBox
from unsuplab.ui.views._style import (
    colour_map,
    font,
    line_width,
    marker_size,
    palette_colour,
    style_axis,
    style_plot,
)
from unsuplab.ui.views.base import View
from unsuplab.ui.views.legend import DOT, palette_legend

#: The heat (in the sequential map chosen in View → Colours; grey by default), half blended into
#: the background: a quiet ground that lets the coloured points and the arrows stand out.
HEAT_OPACITY = 0.55
POINT_SIZE = 6
#: The longest arrow is drawn this fraction of the plane's width; the rest keep their proportion.
ARROW_SPAN = 0.07
HEAD_FRACTION, HEAD_ANGLE = 0.3, np.radians(25.0)
MIN_STROKE_PX = 4  # a drawn point is kept once the mouse is this far from the last one
DRAW_TIP = "Drag on the plane to draw new data points; releasing the mouse sends them. Esc cancels."


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, span: float) -> np.ndarray:
    """(6n, 2) line-segment end points (pairs) of n arrows with two-barbed heads, scaled so the
    longest is `span` long."""
    origins = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    vectors = np.nan_to_num(np.asarray(vectors, dtype=np.float64).reshape(-1, 2))
    longest = float(np.sqrt((vectors**2).sum(axis=1)).max(initial=0.0))
    if len(origins) == 0 or longest == 0.0:
        return np.zeros((0, 2))
    shaft = vectors * (span / longest)
    tips = origins + shaft
    barbs = []
    for sign in (1.0, -1.0):
        c, s = np.cos(sign * HEAD_ANGLE), np.sin(sign * HEAD_ANGLE)
        back = -shaft * HEAD_FRACTION
        barbs.append(
            tips + np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], axis=1)
        )
    pairs = np.stack([origins, tips, tips, barbs[0], tips, barbs[1]], axis=1)
    return pairs.reshape(-1, 2)


class FieldView(View):
    """A `Field` in one plot: the heat as an image (`heat_item`, placed on the payload's extent,
    in the chosen sequential map over `heat_range`, with a colour bar), a `pg.ScatterPlotItem` per point
    series (`point_items`, named in `legend_label` in the header), and all arrows as one
    `PlotDataItem` of segment pairs (`arrow_item`). The plane keeps its aspect.

    With a `draw_command` the "Draw data" button (`draw_button`) turns drawing on: a left drag
    collects points (`stroke`, shown as drawn); releasing emits
    `command_requested(draw_command, {"points": [[x, y], ...]})` and turns drawing off. Esc or
    the button cancel.
    """

    kind = Field.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.point_items: dict[str, pg.ScatterPlotItem] = {}
        self.heat = np.zeros((1, 1))
        self.extent = (0.0, 1.0, 0.0, 1.0)
        self.draw_command: str | None = None
        self.stroke: list[tuple[float, float]] = []
        self._heat_range: tuple[float, float] | None = None
        self._heat_label: str | None = None

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.view_box = DragViewBox()
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0, viewBox=self.view_box)
        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        self.heat_item = pg.ImageItem()
        self.heat_item.setZValue(-10)
        self.heat_item.setOpacity(HEAT_OPACITY)
        self.plot.addItem(self.heat_item)
        self.colour_bar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=colour_map(signed=False),
            interactive=False,
            width=14,
            colorMapMenu=False,
        )
        self.colour_bar.setImageItem(self.heat_item)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.arrow_item = pg.PlotDataItem(connect="pairs")
        self.arrow_item.setZValue(5)
        self.plot.addItem(self.arrow_item)
        self.stroke_item = pg.PlotDataItem(symbol="o", symbolSize=5)
        self.stroke_item.setZValue(20)
        self.plot.addItem(self.stroke_item, ignoreBounds=True)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        self.draw_button = QPushButton("Draw data")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(DRAW_TIP)
        self.draw_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.draw_button.toggled.connect(self._on_draw_toggled)
        self.draw_button.hide()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Esc reaches the view while drawing

        self.hover_label = self.hover_line()
        self.lay_out(self.graphics, corner=self.draw_button, legend=True, below=(self.hover_label,))
        self.apply_theme(self.theme.dark)

    @property
    def drawing(self) -> bool:
        return self.draw_button.isChecked()

    def show_payload(self, payload: Field) -> None:
        self.set_title(payload.title)
        self.heat = np.asarray(payload.heat, dtype=np.float64)
        low, high = payload.heat_range
        if payload.heat_range != self._heat_range:
            self._heat_range = payload.heat_range
            self.colour_bar.setLevels(values=(low, high))
        if payload.heat_label != self._heat_label:
            self._heat_label = payload.heat_label
            self.colour_bar.setLabel("right", payload.heat_label)
        self.heat_item.setImage(self.heat, autoLevels=False, levels=(low, high))
        extent = tuple(float(v) for v in payload.extent)
        if extent != self.extent or not self.point_items:
            self.extent = extent
            x0, x1, y0, y1 = extent
            self.heat_item.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
        self._show_points(payload.points)
        if payload.arrows is None:
            self.arrow_item.setData(np.zeros(0), np.zeros(0))
        else:
            segments = arrow_segments(*payload.arrows, span=ARROW_SPAN * (self.extent[1] - self.extent[0]))
            self.arrow_item.setData(segments[:, 0], segments[:, 1], connect="pairs")
        self._set_draw_command(payload.draw_command)

    def _show_points(self, points: dict[str, np.ndarray]) -> None:
        for name in [n for n in self.point_items if n not in points]:
            self.plot.removeItem(self.point_items.pop(name))
        for name, pos in points.items():
            item = self.point_items.get(name)
            if item is None:
                item = pg.ScatterPlotItem(size=POINT_SIZE, symbol="o")
                self._style_points(item, len(self.point_items))
                self.plot.addItem(item)
                self.point_items[name] = item
            item.setData(pos=np.asarray(pos, dtype=np.float64).reshape(-1, 2))
        self.set_legend(palette_legend(self.point_items, DOT))

    def _style_points(self, item: pg.ScatterPlotItem, index: int) -> None:
        # A thin outline in the background colour keeps points legible on either end of the map.
        item.setBrush(pg.mkBrush(palette_colour(index)))
        item.setPen(pg.mkPen(self.theme.background, width=line_width(0.8)))
        item.setSize(marker_size(POINT_SIZE))

    # -- drawing data points ---------------------------------------------------------------------
    def _set_draw_command(self, command: str | None) -> None:
        if command == self.draw_command:
            return
        self.draw_command = command
        self.draw_button.setVisible(command is not None)
        self.place_legend()  # the button takes room in the title row
        if command is None:
            self.draw_button.setChecked(False)

    def _on_draw_toggled(self, on: bool) -> None:
        self.stroke = []
        self.stroke_item.setData(np.zeros(0), np.zeros(0))
        self.view_box.drag_handler = self._on_drag if on else None
        viewport = self.graphics.viewport()
        if on:
            viewport.setCursor(Qt.CursorShape.CrossCursor)
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            self.hover_label.setText("Drag to draw points; release to send them; Esc cancels")
        else:
            viewport.unsetCursor()

    def cancel_drawing(self) -> None:
        self.draw_button.setChecked(False)

    def _add_stroke_point(self, scene_pos: QPointF) -> None:
        point = self.view_box.mapSceneToView(scene_pos)
        if self.stroke:
            pixel = self.view_box.viewPixelSize()
            last = self.stroke[-1]
            dx, dy = (point.x() - last[0]) / (pixel[0] or 1.0), (point.y() - last[1]) / (pixel[1] or 1.0)
            if dx * dx + dy * dy < MIN_STROKE_PX**2:
                return
        self.stroke.append((point.x(), point.y()))
        xy = np.asarray(self.stroke)
        self.stroke_item.setData(xy[:, 0], xy[:, 1])

    def _on_drag(self, event) -> bool:
        if event.isStart():
            self.stroke = []
            self._add_stroke_point(event.buttonDownScenePos())
        self._add_stroke_point(event.scenePos())
        if event.isFinish():
            self._send_stroke()
        return True

    def _on_mouse_clicked(self, event) -> None:
        # A click while drawing is a stroke of one point.
        if (
            self.drawing
            and event.button() == Qt.MouseButton.LeftButton
            and self.view_box.sceneBoundingRect().contains(event.scenePos())
        ):
            self.stroke = []
            self._add_stroke_point(event.scenePos())
            self._send_stroke()

    def _send_stroke(self) -> None:
        points = [[float(x), float(y)] for x, y in self.stroke]
        command = self.draw_command
        self.draw_button.setChecked(False)  # clears the stroke
        if points and command is not None:
            self.command_requested.emit(command, {"points": points})

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self.drawing:
            self.cancel_drawing()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- hover -----------------------------------------------------------------------------------
    def heat_at(self, x: float, y: float) -> float | None:
        """The heat of the lattice cell under data point (x, y); None outside the extent."""
        x0, x1, y0, y1 = self.extent
        ny, nx = self.heat.shape
        column = int((x - x0) / (x1 - x0) * nx)
        row = int((y - y0) / (y1 - y0) * ny)
        if 0 <= column < nx and 0 <= row < ny:
            return float(self.heat[row, column])
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self.drawing:
            return  # the drawing hint stays
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            self.hover_label.setText("")
            return
        point = self.view_box.mapSceneToView(scene_pos)
        heat = self.heat_at(point.x(), point.y())
        name = self._heat_label or "heat"
        value = f"  ·  {name} = {heat:.3g}" if heat is not None else ""
        self.hover_label.setText(f"({point.x():.3g}, {point.y():.3g}){value}")

    def on_pointer_left(self) -> None:
        if not self.drawing:
            super().on_pointer_left()

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        theme = self.theme
        self.graphics.setBackground(theme.background)
        style_plot(self.plot, theme)
        self.colour_bar.setColorMap(colour_map(signed=False))
        for axis in ("left", "right"):
            style_axis(self.colour_bar.getAxis(axis), theme)
        # Half a line above and below the bar, so its end labels (0 and 1) are not cut off.
        half_line = QFontMetrics(font()).height() // 2 + 1
        for end in ("top", "bottom"):
            self.colour_bar.getAxis(end).setHeight(half_line)
        self.arrow_item.setPen(pg.mkPen(theme.foreground, width=line_width(1.2)))
        self.stroke_item.setPen(pg.mkPen(theme.accent, width=line_width(1)))
        self.stroke_item.setSymbolSize(marker_size(5))
        self.stroke_item.setSymbolBrush(pg.mkBrush(theme.accent))
        self.stroke_item.setSymbolPen(pg.mkPen(theme.background))
        for index, item in enumerate(self.point_items.values()):
            self._style_points(item, index)

"""Points in a plane coloured by label; hovering shows a point's thumbnail, clicking inspects it."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.payloads import PairedRows, Scatter
from unsuplab.ui.views._interaction import DragViewBox, RequestThrottle
from unsuplab.ui.views._style import (
    PALETTE,
    SYMBOLS,
    grey_pixmap,
    line_width,
    marker_size,
    style_legend,
    style_plot,
)
from unsuplab.ui.views.base import View
from unsuplab.ui.views.image_strip import ImageStrip

POINT_SIZE = 7  # pixels
HOVER_RADIUS = 6  # pixels from a point's centre that still count as over it
THUMBNAIL_SCALE = 3
LEGEND_TEXT_SIZE = "8pt"
INSPECT_PX = 84  # on-screen side of the clicked point's images (28 pixels, three times)
#: While the mouse drags over the plane, at most one request per this many milliseconds (about
#: 15 a second): the model answers each between two training steps.
PLANE_INTERVAL_MS = 66


class ScatterView(View):
    """A `Scatter` as one `pg.ScatterPlotItem` (`scatter`), colour k of `PALETTE` and shape k of
    `SYMBOLS` for label k.

    `legend` lists the labels present. Hovering a point rings it and shows its index, label and,
    when the payload has thumbnails, the thumbnail in the `inset` card beside the mouse.
    Clicking a point emits `command_requested("inspect", {"index": i})` and marks it (`marker`);
    the answer goes to `show_inspected`, which shows it in the `inspect_card` beside the plot.
    Tools (the window's t-SNE button) sit in the title row: `add_header_button`, `set_busy`.
    With a `plane_command`, a click or a left drag on the plane away from the points emits
    `command_requested(plane_command, {"x": x, "y": y})` (throttled while dragging, the last
    position always sent) and marks the requested point with a cross-hair (`crosshair`). With
    `plane_choices` as well, a chooser (`choice_box`, e.g. the digit y a conditional decoder
    draws) sits in the title row: every plane request carries `choice=` its index, and choosing
    another asks again about the last point (the view's centre before any).
    """

    kind = Scatter.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.points = np.zeros((0, 2))
        self.labels = np.zeros(0, dtype=np.int64)
        self.thumbnails: np.ndarray | None = None
        self.texts: list[str] | None = None
        self._label_names: list[str] | None = None
        self.hovered: int | None = None
        self.selected: int | None = None  # the point clicked last
        self._held: tuple[float, ...] | None = None  # the box held while scrubbing (hold_range)
        self._brushes = np.array([pg.mkBrush(c) for c in PALETTE], dtype=object)
        self._symbols = np.array(SYMBOLS, dtype=object)  # a shape per label: apart in grey too
        self._legend_labels: list[int] = []
        self._legend_samples: list[pg.ScatterPlotItem] = []
        self._axis_labels = ("", "")
        self.plane_command: str | None = None
        self.plane_throttle = RequestThrottle(self._send_plane_point, PLANE_INTERVAL_MS, self)
        self.plane_point: tuple[float, float] | None = None  # the last point asked about
        self._plane_choices: list[str] | None = None

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.view_box = DragViewBox()
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0, viewBox=self.view_box)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=None, symbol="o")
        self.plot.addItem(self.scatter)
        self.ring = pg.ScatterPlotItem(size=POINT_SIZE + 8, brush=None, symbol="o")
        self.ring.setZValue(10)
        self.plot.addItem(self.ring)
        self.marker = pg.ScatterPlotItem(size=POINT_SIZE + 10, brush=None, symbol="s")
        self.marker.setZValue(11)
        self.plot.addItem(self.marker)
        self.crosshair = pg.ScatterPlotItem(size=22, brush=None, symbol="+")
        self.crosshair.setZValue(12)
        # A requested point far out must not make the plot re-fit its range around it.
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        # The legend sits beside the plot, not over the points it would hide.
        self.legend = pg.LegendItem(offset=None, labelTextSize=LEGEND_TEXT_SIZE, verSpacing=-4)
        self.graphics.addItem(self.legend, row=0, col=1)
        # Its natural height, at the top, rather than its rows spread over the plot's height.
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.graphics.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        # A floating card beside the mouse, like a tool tip, so it never hides the hovered point.
        self.inset = QFrame(self.graphics)
        self.inset.setFrameShape(QFrame.Shape.StyledPanel)
        self.inset.setAutoFillBackground(True)
        self.thumbnail_label = QLabel()
        self.thumbnail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.inset_caption = QLabel()
        self.inset_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inset_layout = QVBoxLayout(self.inset)
        inset_layout.setContentsMargins(4, 4, 4, 4)
        inset_layout.setSpacing(2)
        inset_layout.addWidget(self.thumbnail_label)
        inset_layout.addWidget(self.inset_caption)
        self.inset.hide()

        # The title row also holds tools; a row beneath it says when one is busy (a t-SNE being
        # computed), so the title keeps its width.
        self.busy_row = self._make_busy_row()
        self.set_busy(None)
        self.inspect_card = self._make_inspect_card()
        beside = QHBoxLayout()
        beside.setSpacing(4)
        beside.addWidget(self.graphics, 1)
        beside.addWidget(self.inspect_card)
        body = QVBoxLayout()
        body.setSpacing(2)
        body.addWidget(self.busy_row)
        body.addLayout(beside, 1)
        self.lay_out(body)
        self._add_choice_box()
        self.apply_theme(self.theme.dark)

    def _add_choice_box(self) -> None:
        self.choice_label = QLabel()
        self.choice_box = QComboBox()
        self.choice_label.setBuddy(self.choice_box)
        self.choice_box.currentIndexChanged.connect(self._on_choice_changed)
        self._title_row.addWidget(self.choice_label)
        self._title_row.addWidget(self.choice_box)
        self.choice_label.hide()
        self.choice_box.hide()

    def _make_busy_row(self) -> QWidget:
        row = QWidget()
        self.busy_label = self.muted_label()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: the worker reports no progress
        self.busy_bar.setFixedSize(60, 10)
        self.busy_bar.setTextVisible(False)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.busy_label, 1)
        return row

    def _make_inspect_card(self) -> QWidget:
        card = QWidget()
        self.inspect_caption = self.muted_label()
        self.inspect_caption.setWordWrap(True)
        self.inspect_caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.inspect_strip = ImageStrip(vertical=True, max_px=INSPECT_PX, min_px=40)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide the clicked point")
        close.clicked.connect(self.hide_inspected)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Clicked"), 1)
        top.addWidget(close)
        column = QVBoxLayout(card)
        column.setContentsMargins(4, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(top)
        column.addWidget(self.inspect_caption)
        column.addWidget(self.inspect_strip)
        column.addStretch(1)
        card.setFixedWidth(INSPECT_PX + 24)
        card.hide()
        return card

    def show_payload(self, payload: Scatter) -> None:
        self.set_title(payload.title)
        if (payload.x_label, payload.y_label) != self._axis_labels:
            self._axis_labels = (payload.x_label, payload.y_label)
            self.plot.setLabel("bottom", payload.x_label)
            self.plot.setLabel("left", payload.y_label)
        self.points = np.asarray(payload.points, dtype=np.float64).reshape(-1, 2)
        self.labels = np.asarray(payload.labels, dtype=np.int64).reshape(-1)
        self.thumbnails = payload.thumbnails
        self.texts = payload.texts
        if payload.label_names != self._label_names:
            self._label_names = payload.label_names
            self._legend_labels = []  # renamed: the legend is rebuilt below
        self._set_plane_command(payload.plane_command)
        self._set_plane_choices(payload.plane_choices, payload.plane_choice_title, payload.plane_choice)
        self.scatter.setData(
            pos=self.points,
            brush=self._brushes[self.labels % len(PALETTE)],
            symbol=self._symbols[self.labels % len(SYMBOLS)],
        )
        present = np.unique(self.labels).tolist()
        if present != self._legend_labels:
            self._set_legend(present)
        if self.hovered is not None and self.hovered < len(self.points):
            self._show_hover(self.hovered)  # the point moved; keep the ring on it
        else:
            self._show_hover(None)
        self._place_marker()

    def hold_range(self, box: tuple[float, ...] | None) -> None:
        """Hold the plot at `box` (x0, x1, y0, y1) while a recorded run is scrubbed (None: fit the
        points again, as the present does); an unchanged box costs nothing."""
        if box == self._held:
            return
        self._held = box
        view_box = self.plot.getViewBox()
        if box is None:
            view_box.enableAutoRange()
        else:
            view_box.disableAutoRange()
            self.plot.setRange(xRange=box[:2], yRange=box[2:], padding=0.05)

    # -- tools and the clicked point -------------------------------------------------------------
    def add_header_button(self, text: str, tooltip: str) -> QPushButton:
        """A button in the title row, for a tool that works on these points."""
        button = QPushButton(text)
        button.setToolTip(tooltip)
        self._title_row.addWidget(button)
        return button

    def set_busy(self, text: str | None) -> None:
        """Show `text` with a running bar in the title row while a tool works; None hides it."""
        self.busy_label.setText(text or "")
        self.busy_row.setVisible(bool(text))

    def show_inspected(self, payload: PairedRows) -> None:
        """The clicked point's answer: its image and reconstruction, stacked beside the plot."""
        self.inspect_caption.setText(payload.title)
        self.inspect_strip.set_images(
            [(label, images[0]) for label, images in payload.rows.items() if len(images)]
        )
        self.inspect_card.show()

    def hide_inspected(self) -> None:
        self.inspect_card.hide()
        self.selected = None
        self._place_marker()

    def _place_marker(self) -> None:
        if self.selected is not None and self.selected < len(self.points):
            self.marker.setData(pos=self.points[self.selected : self.selected + 1])
        else:
            self.marker.setData(pos=np.zeros((0, 2)))

    def point_at(self, scene_pos: QPointF) -> int | None:
        """The index of the point drawn under `scene_pos` (the nearest within a few pixels)."""
        box = self.plot.getViewBox()
        if len(self.points) == 0 or not box.sceneBoundingRect().contains(scene_pos):
            return None
        where = box.mapSceneToView(scene_pos)
        pixel = box.viewPixelSize()  # data units per screen pixel, x and y
        offsets = (self.points - (where.x(), where.y())) / (pixel[0] or 1.0, pixel[1] or 1.0)
        distances = np.einsum("ij,ij->i", offsets, offsets)
        nearest = int(np.argmin(distances))
        return nearest if distances[nearest] <= marker_size(HOVER_RADIUS) ** 2 else None

    def _set_legend(self, labels: list[int]) -> None:
        self.legend.clear()
        # Samples are plain items the legend draws its swatches from; they are never plotted.
        self._legend_samples = [
            pg.ScatterPlotItem(
                symbol=self._symbols[label % len(SYMBOLS)],
                size=marker_size(POINT_SIZE + 2),
                pen=None,
                brush=self._brushes[label % len(PALETTE)],
            )
            for label in labels
        ]
        for label, sample in zip(labels, self._legend_samples, strict=True):
            self.legend.addItem(sample, self._label_name(label))
        self._legend_labels = labels
        self._fit_legend()

    def _label_name(self, label: int) -> str:
        names = self._label_names
        return names[label] if names is not None and 0 <= label < len(names) else str(label)

    def _fit_legend(self) -> None:
        """As many legend columns as it takes for every label to fit the plot's height."""
        if not self.legend.items:
            return
        label = self.legend.items[0][1]
        row_height = label.boundingRect().height() + self.legend.layout.verticalSpacing()
        rows = max(1, int((self.graphics.height() - 10) // max(row_height, 1.0)))
        self.legend.setColumnCount(max(1, math.ceil(len(self.legend.items) / rows)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_legend()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        index = self.point_at(scene_pos)
        self._show_hover(index)
        if index is not None:
            self._place_inset(self.graphics.mapFromScene(scene_pos))

    def _place_inset(self, mouse: QPoint) -> None:
        """Below right of the mouse, flipped to the other side near the widget's edges."""
        size, area = self.inset.sizeHint(), self.graphics.rect()
        x = mouse.x() + 16
        y = mouse.y() + 16
        if x + size.width() > area.right():
            x = mouse.x() - 16 - size.width()
        if y + size.height() > area.bottom():
            y = mouse.y() - 16 - size.height()
        self.inset.move(max(x, 0), max(y, 0))

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        # The point the card shows is the one the user means, even if a snapshot moved the
        # points between the hover and the click (the ring followed it; the mouse did not).
        index = self.hovered if self.hovered is not None else self.point_at(event.scenePos())
        if index is not None:
            self.selected = index
            self._place_marker()
            self._show_hover(None)  # the card has done its job; the answer comes beside the plot
            self.command_requested.emit("inspect", {"index": index})
        elif self.plane_command is not None and self.view_box.sceneBoundingRect().contains(event.scenePos()):
            self._request_plane_point(event.scenePos())
            self.plane_throttle.flush()

    # -- asking about a point of the plane -------------------------------------------------------
    def _set_plane_command(self, command: str | None) -> None:
        if command == self.plane_command:
            return
        self.plane_command = command
        self.view_box.drag_handler = self._on_plane_drag if command is not None else None
        self.graphics.setToolTip(
            ""
            if command is None
            else "Click or drag on the empty plane to ask the model about that "
            f"point ({command}); click a point to inspect it"
        )
        if command is None:
            self.crosshair.setData(pos=np.zeros((0, 2)))
            self.plane_point = None

    def _set_plane_choices(self, choices: list[str] | None, title: str, chosen: int) -> None:
        """Offer `choices` (the model holds `chosen`); the user's choice stays while they stay
        the same, so a snapshot taken before it reached the model never undoes it."""
        if choices == self._plane_choices:
            return
        self._plane_choices = choices
        self.choice_box.blockSignals(True)
        self.choice_box.clear()
        self.choice_box.addItems(choices or [])
        self.choice_box.setCurrentIndex(chosen if choices and 0 <= chosen < len(choices) else 0)
        self.choice_box.blockSignals(False)
        self.choice_label.setText(f"{title}:" if title else "")
        described = title or "Choice"
        self.choice_box.setAccessibleName(described)
        self.choice_box.setToolTip(
            f"{described}: what every click or drag on the plane is decoded with; "
            "choosing another decodes the last point again"
        )
        self.choice_box.setAccessibleDescription(self.choice_box.toolTip())
        self.choice_label.setVisible(bool(choices and title))
        self.choice_box.setVisible(bool(choices))

    def _on_choice_changed(self, _index: int) -> None:
        if self.plane_command is None:
            return
        if self.plane_point is None:  # nothing asked yet: the point in the middle of the view
            centre = self.view_box.viewRect().center()
            self.plane_point = (float(centre.x()), float(centre.y()))
            self.crosshair.setData(pos=np.array([self.plane_point]))
        self.plane_throttle.offer(self.plane_point)
        self.plane_throttle.flush()

    def _on_plane_drag(self, event) -> bool:
        # A drag that starts on a point is not a plane request: the box pans as usual.
        if event.isStart() and self.point_at(event.buttonDownScenePos()) is not None:
            return False
        self._request_plane_point(event.scenePos())
        if event.isFinish():
            self.plane_throttle.flush()
        return True

    def _request_plane_point(self, scene_pos: QPointF) -> None:
        point = self.view_box.mapSceneToView(scene_pos)
        self.plane_point = x, y = float(point.x()), float(point.y())
        self.crosshair.setData(pos=np.array([[x, y]]))
        self.plane_throttle.offer((x, y))

    def _send_plane_point(self, xy: tuple[float, float]) -> None:
        if self.plane_command is None:
            return
        kwargs: dict[str, float | int] = {"x": xy[0], "y": xy[1]}
        if self._plane_choices:
            kwargs["choice"] = self.choice_box.currentIndex()
        self.command_requested.emit(self.plane_command, kwargs)

    def _show_hover(self, index: int | None) -> None:
        previous, self.hovered = self.hovered, index
        if index is None:
            if previous is not None:
                self.ring.setData(pos=np.zeros((0, 2)))
                self.inset.hide()
            return
        self.ring.setData(pos=self.points[index : index + 1])
        label = int(self.labels[index])
        named = self._label_names is not None and 0 <= label < len(self._label_names)
        caption = f"#{index}  ·  {self._label_name(label) if named else f'label {label}'}"
        if self.texts is not None and index < len(self.texts):
            caption += "\n" + self.texts[index]
        self.inset_caption.setText(caption)
        if self.thumbnails is not None and index < len(self.thumbnails):
            self.thumbnail_label.setPixmap(grey_pixmap(self.thumbnails[index], THUMBNAIL_SCALE))
            self.thumbnail_label.show()
        else:
            self.thumbnail_label.hide()
        self.inset.adjustSize()
        self.inset.show()

    def on_pointer_left(self) -> None:
        self._show_hover(None)

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.graphics.setBackground(self.theme.background)
        style_plot(self.plot, self.theme)
        style_legend(self.legend, self.theme)
        self.legend.setBrush(None)  # beside the plot it needs no backdrop
        self.legend.setPen(None)
        for item, size, colour in (
            (self.ring, POINT_SIZE + 8, self.theme.foreground),
            (self.marker, POINT_SIZE + 10, self.theme.foreground),
            (self.crosshair, 22, self.theme.accent),
        ):
            item.setPen(pg.mkPen(colour, width=line_width(2)))
            item.setSize(marker_size(size))
        self.scatter.setSize(marker_size(POINT_SIZE))
        if self._legend_labels:
            self._set_legend(self._legend_labels)  # its swatches and text at the new scale

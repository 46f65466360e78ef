"""Stacks of images (filters, samples) as one tiled picture; hovering names the tile and pixel."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from unsuplab.core.payloads import ImageGrid
from unsuplab.ui.views._style import image_lookup_table, smooth_when_shrunk
from unsuplab.ui.views.base import PixelHoverView, keep_images_readable
from unsuplab.viz.images import grid_shape
from unsuplab.viz.panels import PAD, grid_pixels


class TileGeometry:
    """Where the tiles of a grid lie in the tiled image, to map a pixel back to its tile."""

    def __init__(self, count: int, height: int, width: int, columns: int | None, pad: int = PAD):
        self.count, self.height, self.width, self.pad = count, height, width, pad
        self.rows, self.columns = grid_shape(count, columns)

    def tile_at(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(tile index, row in tile, column in tile) at image pixel (x, y); None off tiles."""
        if x < 0 or y < 0:
            return None
        col, dx = divmod(int(x) - self.pad, self.width + self.pad)
        row, dy = divmod(int(y) - self.pad, self.height + self.pad)
        index = row * self.columns + col
        on_tile = dx < self.width and dy < self.height  # not on a separator
        if not on_tile or not 0 <= col < self.columns or row < 0 or index >= self.count:
            return None
        return index, dy, dx


class ImageGridView(PixelHoverView):
    """An `ImageGrid` as one `pg.ImageItem` (`image_item`) in an aspect-locked, y-down view box.

    `viz.panels.grid_pixels` makes the picture, the same bytes `unsuplab train` exports: the
    payload's normalisation rule maps values to grey (filters: each tile stretched with zero at
    mid-grey) and the tiles are laid out with separators.
    `hover_label` names the tile and pixel under the mouse; `caption_label` shows the caption.
    With a `click_command`, clicking tile i emits `command_requested(click_command, {"index": i})`.
    """

    kind = ImageGrid.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tiles: TileGeometry | None = None
        self._images: np.ndarray | None = None  # the raw payload values, for the hover read-out
        self._shown_shape: tuple[int, ...] = ()
        self._signed = False  # weights and filters (zero in the middle) rather than intensities
        self.click_command: str | None = None
        self.frames: list[QGraphicsRectItem] = []  # around the marked tiles

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.view_box: pg.ViewBox = self.graphics.addViewBox(lockAspect=True, invertY=True)
        self.image_item = pg.ImageItem()
        self.view_box.addItem(self.image_item)
        self._update_smoothing = smooth_when_shrunk(self.graphics, self.view_box)

        self.caption_label = self.muted_label()
        self.caption_label.setWordWrap(True)
        self.caption_label.hide()  # until a payload has a caption
        self.init_hover(self.graphics.scene())
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.lay_out(self.graphics, below=(self.caption_label, self.hover_label))
        self.apply_theme(self.theme.dark)

    def show_payload(self, payload: ImageGrid) -> None:
        self.set_title(payload.title)
        if payload.caption != self.caption_label.text():
            self.caption_label.setText(payload.caption)
            self.caption_label.setVisible(bool(payload.caption))
        images = np.asarray(payload.images)
        n, h, w = images.shape[:3]
        self._images = images
        self.tiles = TileGeometry(n, h, w, payload.columns)
        if self.tiles.rows <= 3 and max(h, w) <= 64:  # a strip of small images, not a big grid
            keep_images_readable(self, self.tiles.columns, self.tiles.rows)
        picture = grid_pixels(payload)
        self.image_item.setImage(picture, autoLevels=False, levels=(0, 255))
        if (payload.normalisation != "unit") != self._signed:
            self._signed = not self._signed
            self.image_item.setLookupTable(image_lookup_table(self._signed))
        self._set_click_command(payload.click_command)
        self._mark(payload.marked)
        if picture.shape != self._shown_shape:
            # A new layout: frame it whole, even if the user had zoomed into the old one.
            self._shown_shape = picture.shape
            self.view_box.autoRange(padding=0.01)

    def _mark(self, marked: tuple[int, ...]) -> None:
        """Frame the `marked` tiles (the chosen ends of an interpolation) in the accent colour."""
        for frame in self.frames[len(marked) :]:
            self.view_box.removeItem(frame)
        del self.frames[len(marked) :]
        while len(self.frames) < len(marked):
            frame = QGraphicsRectItem()
            frame.setZValue(10)
            self.view_box.addItem(frame)
            self.frames.append(frame)
        t = self.tiles
        pen = pg.mkPen(self.theme.accent, width=3)
        pen.setCosmetic(True)
        for frame, index in zip(self.frames, marked, strict=True):
            row, col = divmod(index, t.columns)
            x, y = PAD + col * (t.width + PAD), PAD + row * (t.height + PAD)
            frame.setRect(x - PAD / 2, y - PAD / 2, t.width + PAD, t.height + PAD)
            frame.setPen(pen)

    def describe(self, x: float, y: float) -> str:
        """The hover text for image pixel (x, y): tile index and the raw value under the mouse."""
        found = self.tiles.tile_at(x, y) if self.tiles else None
        if found is None or self._images is None:
            return ""
        index, row, col = found
        value = float(self._images[index, row, col])
        hint = "  ·  click to choose it" if self.click_command else ""
        return f"tile {index}  ·  pixel ({row}, {col}) = {value:.3g}{hint}"

    def _set_click_command(self, command: str | None) -> None:
        if command == self.click_command:
            return
        self.click_command = command
        viewport = self.graphics.viewport()
        if command is None:
            viewport.unsetCursor()
            self.graphics.setToolTip("")
        else:
            viewport.setCursor(Qt.CursorShape.PointingHandCursor)
            self.graphics.setToolTip(f"Click a tile to ask the model about it ({command})")

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.click_command is None or self.tiles is None:
            return
        if not self.view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.view_box.mapSceneToView(event.scenePos())
        found = self.tiles.tile_at(point.x(), point.y())
        if found is not None:
            self.command_requested.emit(self.click_command, {"index": found[0]})

    def hover_box(self) -> pg.ViewBox:
        return self.view_box

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        self.graphics.setBackground(self.theme.background)
        self._update_smoothing()  # crisp pixels in presenter mode
        self.image_item.setLookupTable(image_lookup_table(self._signed))  # the map chosen in View → Colours

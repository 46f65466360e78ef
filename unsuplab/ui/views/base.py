"""The contract every view follows: it shows payloads of one kind and never calls the experiment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QHBoxLayout,
    QLabel,
    QLayout,
    QMenu,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.payloads import Payload
from unsuplab.ui.views._style import Theme, app_is_dark, font, theme_for
from unsuplab.ui.views._style import scale as presenter_scale
from unsuplab.ui.views.legend import LegendEntry, SeriesLegend

#: Width in pixels of a panel exported as PNG unless the caller names one: sharp on a slide.
EXPORT_WIDTH = 1600
#: Screen pixels a small image (a 28x28 digit) keeps at least in a strip: below it the view
#: area scrolls rather than shrink the digits to specks (17 px were seen at 1024x700).
MIN_IMAGE_PX = 40
#: A strip asks for at most this much width; a longer one shrinks its images below the minimum.
MAX_STRIP_WIDTH = 900
#: What a panel adds around its picture: margins, the title line, the hover line.
PANEL_FRAME = QSize(16, 64)


def keep_images_readable(view: View, columns: int, rows: int, beside: int = 0) -> None:
    """Ask room for `view`'s strip of `rows` x `columns` small images (with `beside` pixels of
    labels) at about MIN_IMAGE_PX each; the view area grants it (see `View.need_room`)."""
    width = min(columns * MIN_IMAGE_PX, MAX_STRIP_WIDTH) + beside
    height = min(rows * MIN_IMAGE_PX, 4 * MIN_IMAGE_PX)
    view.need_room(QSize(width, height) + PANEL_FRAME)


class TitleLabel(QLabel):
    """A panel title on one line, or broken between words onto up to `MAX_LINES` when the panel is
    narrower than it (a long title at 1.75× in presenter mode: "Mean D(x) on real and D(G(z)) on
    generated points" needs 661 px in a 349-px panel, more than two lines); past that the last
    line ends in "…" (a title on five lines leaves no room for the plot). `text()` and the
    tooltip keep the whole title.

    A `corner` control (a "log y" box) sits at the right of the first line and the next lines
    run under it, so the title keeps the panel's whole width. The label sets its own height for
    the lines it needs whenever its width, font, text or corner changes, measured with
    QFontMetrics; it gives no height-for-width, which would make the panel's layout lay out
    again while it lays out."""

    MAX_LINES = 3
    #: Pixels between the first line's end and the corner control.
    CORNER_GAP = 6
    #: The label took another height (more or fewer lines).
    height_changed = Signal()

    # Class defaults, so events that reach the label while Qt builds or destroys it (a hidden
    # corner) find them too.
    corner: QWidget | None = None
    #: Keep the corner's room while it is hidden for a moment (a PNG export without it).
    keep_corner_room = False
    _fitting = False

    def set_corner(self, corner: QWidget) -> None:
        """Put `corner` at the right of the first line (it becomes the label's child)."""
        self.corner = corner
        corner.setParent(self)
        corner.installEventFilter(self)  # shown or hidden: the first line's room changes
        self._fit_height()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(0, super().minimumSizeHint().height())

    def corner_room(self) -> int:
        """What the corner control takes of the first line, the gap included."""
        if self.corner is None or (self.corner.isHidden() and not self.keep_corner_room):
            return 0
        return self.corner.sizeHint().width() + self.CORNER_GAP

    def shown_lines(self) -> list[str]:
        """The lines as drawn: the title broken between words into at most `MAX_LINES`, the
        last cut with "…" when the rest does not fit; the lines beside the corner are shorter."""
        width, room = self.contentsRect().width(), self.corner_room()
        metrics = self.fontMetrics()
        # Lines whose letters start above the corner's bottom (a descent below a line's own
        # height is blank above the next line's letters).
        reach = self.corner.sizeHint().height() - metrics.descent() if room else 0
        beside = max(1, math.ceil(reach / metrics.lineSpacing())) if room else 0
        widths = [width - room] * min(beside, self.MAX_LINES)
        widths += [width] * (self.MAX_LINES - len(widths))
        return title_lines(self.text(), metrics, widths)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit_height()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.corner and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._fit_height()
        return super().eventFilter(watched, event)

    def _fit_height(self) -> None:
        """Take the height of the lines the title needs at the present width (and the corner's),
        and put the corner at the first line's end. Only the height changes, so the width the
        layout gives, and with it the lines, stays as it was."""
        if self._fitting:
            return
        self._fitting = True
        try:
            rect, metrics = self.contentsRect(), self.fontMetrics()
            lines = len(self.shown_lines()) if rect.width() > 0 else 1
            height = metrics.height() + (lines - 1) * metrics.lineSpacing()
            corner = self.corner
            if corner is not None and self.corner_room():
                size = corner.sizeHint()
                height = max(height, size.height())
                corner.setGeometry(rect.right() + 1 - size.width(), rect.top(), size.width(), size.height())
            margins = self.contentsMargins()
            height += margins.top() + margins.bottom()
            if height != self.minimumHeight() or height != self.maximumHeight():
                self.setFixedHeight(height)
                self.height_changed.emit()
        finally:
            self._fitting = False

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        lines = self.shown_lines()
        # One line beside a taller corner sits in its middle; more run from the top, under it.
        vertical = Qt.AlignmentFlag.AlignVCenter if len(lines) == 1 else Qt.AlignmentFlag.AlignTop
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            Qt.AlignmentFlag.AlignLeft | vertical,
            self.palette(),
            self.isEnabled(),
            "\n".join(lines),
            self.foregroundRole(),
        )


def title_lines(text: str, metrics: QFontMetrics, widths: Sequence[int]) -> list[str]:
    """`text` broken between words into at most `len(widths)` lines, line i at most `widths[i]`
    pixels wide in `metrics`' font; the last line takes the rest, cut with "…" when it is too
    long. A word wider than its line is cut, not broken."""
    words = text.split()
    lines: list[str] = []
    while words:
        room = widths[len(lines)]
        line = words.pop(0)
        if len(lines) == len(widths) - 1:  # the last line takes the rest
            line, words = " ".join([line, *words]), []
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= room:
            line = f"{line} {words.pop(0)}"
        # elidedText measures with fractional advances and cut a line that fitted by whole pixels
        # ("… projected …" above "their two principal axes", the word "on" lost): cut only what
        # does not fit.
        if metrics.horizontalAdvance(line) > room:
            line = metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
        lines.append(line)
    return lines or [""]


class _DoubleClickWatcher(QObject):
    """Turns a left double-click anywhere on a panel (its plot included) into the panel's
    `focus_requested`."""

    def __init__(self, view: View):
        super().__init__(view)
        self.view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            self.view.focus_requested.emit()
            return True
        return False


class View(QWidget):
    """A panel that renders payloads of `kind`.

    `show_payload` is called on the GUI thread with the newest payload under this view's key;
    a view that wants something from the model emits `command_requested(name, kwargs)`, which the
    window forwards to the worker (the answer comes back as a `ProbeResult` event).
    Updates reuse the widgets and plot items built once, so ten payloads a second stay cheap.
    """

    kind: str = ""
    command_requested = Signal(str, dict)
    #: Double-click or the title menu: fill the view area with this panel (or leave that).
    focus_requested = Signal()
    #: The title menu: show this panel in a window of its own (for a second screen).
    tear_off_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme: Theme = theme_for(app_is_dark())
        # A view paints its own background so it reads the same docked, floating or exported.
        self.setAutoFillBackground(True)
        self.title_label = TitleLabel()
        # A title on more lines needs a taller panel: asked after the layout that changed it has
        # ended (queued), never from inside it.
        self.title_label.height_changed.connect(self._hold_minimum, Qt.ConnectionType.QueuedConnection)
        self.title_label.setFont(font(1.1, bold=True))
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title_label.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.title_label.customContextMenuRequested.connect(self._title_menu)
        self._double_clicks = _DoubleClickWatcher(self)
        #: The least size a layout gives the panel: `floor`, set by the view area, and `room`,
        #: what its contents need to stay readable (a strip's images). A panel alone (a test, a
        #: torn-off window) is not held to them.
        self.floor: QSize | None = None
        self.room = QSize(0, 0)
        self._muted_labels: list[QLabel] = []
        self.hover_label: QLabel | None = None  # made by `hover_line`
        self.legend_label: SeriesLegend | None = None
        self._title_row: QHBoxLayout | None = None  # made by `lay_out`
        self._corner: QWidget | None = None

    def place_in_area(self, floor: QSize) -> None:
        """The view area holds the panel to at least `floor` and the room it asked for."""
        self.floor = floor
        self._hold_minimum()

    def need_room(self, size: QSize) -> None:
        """The contents need `size` to stay readable; granted inside the view area."""
        if size != self.room:
            self.room = size
            self._hold_minimum()

    def _hold_minimum(self) -> None:
        if self.floor is not None:
            # The floor grows with the presenter scale, like the text: bigger titles and axes
            # in an unscaled floor left the plots 30–60 px tall (the area scrolls instead).
            floor = self.floor * presenter_scale()
            # Made parentless, the panel took its layout's minimum as its own: replace it.
            self.setMinimumSize(floor.expandedTo(self.room).expandedTo(self.layout().minimumSize()))

    def muted_label(self) -> QLabel:
        """A label for secondary text (captions, hover read-outs) in the theme's muted colour."""
        label = QLabel()
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._muted_labels.append(label)
        return label

    def hover_line(self) -> QLabel:
        """A muted line for hover read-outs under the picture. It is always there (a blank text
        keeps its height), so hovering never moves the picture; it becomes `hover_label`, which
        goes blank when the pointer leaves the panel."""
        label = self.muted_label()
        label.setText(" ")
        label.setMinimumHeight(label.sizeHint().height())
        label.setText("")
        self.hover_label = label
        return label

    def on_pointer_left(self) -> None:
        """The pointer left the panel: the hover read-out goes blank."""
        if self.hover_label is not None:
            self.hover_label.setText("")

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.on_pointer_left()
        super().leaveEvent(event)

    def lay_out(
        self,
        body: QWidget | QLayout,
        *,
        corner: QWidget | None = None,
        legend: bool = False,
        below: tuple[QWidget, ...] = (),
    ) -> None:
        """The panel every view shares: the title (with `corner`, a button, at the right of its
        first line), the series' legend (`legend_label`, filled by `set_legend`) beside the title
        when both fit on one line and under it otherwise, `body` taking the space, then the lines `below` it.
        A body of several widgets comes as a layout, so they are sized with the panel itself."""
        self._title_row = QHBoxLayout()
        self._title_row.addWidget(self.title_label, 1)
        if corner is not None:
            self.title_label.set_corner(corner)
        self._corner = corner
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(self._title_row)
        if legend:
            self.legend_label = SeriesLegend()
            layout.addWidget(self.legend_label)
        if isinstance(body, QLayout):
            layout.addLayout(body, 1)
        else:
            layout.addWidget(body, 1)
        for widget in below:
            layout.addWidget(widget)

    def set_legend(self, entries: Sequence[LegendEntry]) -> None:
        """Name the series in the header. One series gets no legend: the title says what it is."""
        if self.legend_label.set_entries(entries if len(entries) > 1 else ()):
            self.place_legend()

    def place_legend(self) -> None:
        """The legend beside the title when both fit on one line, else on its own lines under it:
        a legend never squeezes the title."""
        legend = self.legend_label
        if legend is None or not legend.entries:
            return
        beside = self._legend_fits_beside()
        legend.fit(legend.natural_width if beside else self._header_width())
        if beside == (self._title_row.indexOf(legend) >= 0):
            return
        self.layout().removeWidget(legend)
        self._title_row.removeWidget(legend)
        if beside:
            self._title_row.insertWidget(1, legend)
            legend.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        else:
            self.layout().insertWidget(1, legend)
            legend.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def _header_width(self) -> int:
        left, _, right, _ = self.layout().getContentsMargins()
        return self.contentsRect().width() - left - right

    def _legend_fits_beside(self) -> bool:
        """Whether the title, the legend and the corner fit side by side, each on one line."""
        spacing = max(self._title_row.spacing(), 0)
        room = self._header_width()
        if self._corner is not None and not self._corner.isHidden():
            room -= self._corner.sizeHint().width() + spacing
        title_width = self.title_label.fontMetrics().horizontalAdvance(self.title_label.text())
        return title_width + spacing + self.legend_label.natural_width <= room

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.place_legend()

    def show_payload(self, payload: Payload) -> None:
        raise NotImplementedError

    def apply_theme(self, dark: bool) -> None:
        """Recolour for a dark or light window, and size the text for the current scale (presenter
        mode). Subclasses extend it to restyle their plots."""
        self.theme = theme = theme_for(dark)
        self.title_label.setFont(font(1.1, bold=True))
        self._hold_minimum()  # the floor follows the scale
        palette = QPalette(self.palette())
        background, foreground = QColor(theme.background), QColor(theme.foreground)
        for role, colour in (
            (QPalette.ColorRole.Window, background),
            (QPalette.ColorRole.Base, background),
            (QPalette.ColorRole.AlternateBase, background.lighter(115) if dark else background.darker(104)),
            (QPalette.ColorRole.Button, background.lighter(130) if dark else background.darker(106)),
            (QPalette.ColorRole.WindowText, foreground),
            (QPalette.ColorRole.Text, foreground),
            (QPalette.ColorRole.ButtonText, foreground),
            (QPalette.ColorRole.PlaceholderText, QColor(theme.muted)),
        ):
            palette.setColor(role, colour)
        # A disabled control (a tool button while its tool works) must read as such.
        for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
        self.setPalette(palette)
        # Text colours also as style sheets: an application style sheet can override palettes.
        self.title_label.setStyleSheet(f"color: {theme.foreground};")
        if self.legend_label is not None:
            self.legend_label.setStyleSheet(f"color: {theme.foreground};")
            self.legend_label.remeasure()
            self.place_legend()
        for label in self._muted_labels:
            label.setStyleSheet(f"color: {theme.muted};")

    def set_title(self, title: str) -> None:
        if title != self.title_label.text():
            self.title_label.setText(title)
            self.title_label.setToolTip(title)  # the whole title when a narrow panel cuts it off
            self.setAccessibleName(f"Panel: {title}")  # what a screen reader says for it
            for body in self.findChildren(QAbstractScrollArea):  # its plots, pictures and tables
                body.setAccessibleName(title)
            self.place_legend()

    def watch_double_clicks(self) -> None:
        """Let a double-click on any part of the panel ask for focus (called once it is built)."""
        for widget in (self, *self.findChildren(QWidget)):
            widget.installEventFilter(self._double_clicks)

    def _title_menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction("Focus on this panel (double-click)", self.focus_requested.emit)
        menu.addAction("Open in its own window", self.tear_off_requested.emit)
        menu.exec(self.title_label.mapToGlobal(pos))

    def export_png(self, path: str | Path, width: int = EXPORT_WIDTH) -> None:
        """Save what the view shows now as a PNG `width` pixels wide (drawn at that resolution,
        not scaled up), without the panel's own controls."""
        hidden = [w for w in (self._corner,) if w is not None and w.isVisible()]  # a "log y" box
        self.title_label.keep_corner_room = True  # the title keeps its lines as on screen
        for widget in hidden:
            widget.hide()
        try:
            size = self.size()
            scale = max(width, 1) / max(size.width(), 1)
            picture = QPixmap(round(size.width() * scale), round(size.height() * scale))
            picture.setDevicePixelRatio(scale)
            picture.fill(self.palette().window().color())
            self.render(picture)
        finally:
            for widget in hidden:
                widget.show()
            self.title_label.keep_corner_room = False
        if not picture.save(str(path), "PNG"):
            raise OSError(f"could not write a PNG to {path}")


class PixelHoverView(View):
    """A view of pixels with a line under the picture that says what lies under the mouse.

    Subclasses call `init_hover(scene)` once their picture exists, and define `hover_box`
    (the view box the mouse position maps into) and `describe(x, y)` (the text for a pixel).
    """

    def init_hover(self, scene) -> None:
        self.hover_label = self.hover_line()
        scene.sigMouseMoved.connect(self._on_mouse_moved)

    def hover_box(self):
        raise NotImplementedError

    def describe(self, x: float, y: float) -> str:
        raise NotImplementedError

    def _on_mouse_moved(self, scene_pos) -> None:
        box = self.hover_box()
        if not box.sceneBoundingRect().contains(scene_pos):
            self.hover_label.setText("")
            return
        point = box.mapSceneToView(scene_pos)
        self.hover_label.setText(self.describe(point.x(), point.y()))

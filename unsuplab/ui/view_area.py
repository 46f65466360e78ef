"""The centre of the window: the live views, laid out from a snapshot's payload keys."""

from __future__ import annotations

import functools
import math
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.commands import INSPECTED
from unsuplab.core.compare import PANEL_SEPARATOR
from unsuplab.core.payloads import Curves, ImageGrid, PairedRows, Payload
from unsuplab.ui import draw_queue
from unsuplab.ui.draw_queue import DrawQueue
from unsuplab.ui.views import CurvesView, ScatterView, View, make_view
from unsuplab.ui.views._style import scale as presenter_scale

#: Kinds that read as a strip across the full width (rows of examples, tables) ...
_STRIP_KINDS = ("paired_rows", "table")
#: ... as does an image grid of fixed columns at least this many times wider than tall (a row of
#: interpolated digits, ten flagged ones, forty misclassified): as a large picture it would leave
#: empty bands above and below.
STRIP_GRID_ASPECT = 2.5
#: ... and small charts (curves, bars, histograms, matrices), which go together in one column
#: beside a large picture, or in a row beneath several. Everything else (image grids, scatters,
#: heat fields, game frames) is a large picture.
_CHART_KINDS = ("curves", "bars", "histogram", "matrix")
#: Beneath several pictures, more charts than this wrap onto a second row rather than get narrow.
MAX_CHARTS_IN_A_ROW = 4
#: Beside one main picture the charts stack in a column; past this many they would be too short
#: to read, so they go two abreast and the picture gives up some width.
MAX_CHARTS_IN_A_COLUMN = 3
#: The width a large picture needs beside others in a row, and a chart beside other charts: a
#: narrower view area puts fewer in a row (and scrolls) rather than squeeze them.
PICTURE_WIDTH = 260
CHART_WIDTH = 260
#: Below this width the charts go beneath a single main picture instead of beside it.
NARROW_WIDTH = 760
#: Pixels a splitter handle takes between two panels.
SPLITTER_HANDLE = 8
#: The smallest a panel gets in the area before it scrolls instead of squeezing it further.
MIN_PANEL_SIZE = QSize(240, 190)

PLACEHOLDER = (
    "<p style='font-size:22px'>Press <b>Train</b> (Space) to start.</p>"
    "<p>The panels appear with the first snapshot of the run:<br>"
    "filters, reconstructions and the learning curves.</p>"
)


def reads_as_strip(payload: Payload) -> bool:
    """Whether the payload is laid out as a strip across the bottom rather than a picture."""
    if payload.kind in _STRIP_KINDS:
        return True
    if isinstance(payload, ImageGrid) and payload.columns:
        rows = max(1, math.ceil(len(payload.images) / payload.columns))
        return payload.columns >= STRIP_GRID_ASPECT * rows
    return False


def _comparison_panels(keys: list[str]) -> set[str]:
    """All of `keys` when a variant's panel is among them (a comparison's), else none."""
    return set(keys) if any(PANEL_SEPARATOR in key for key in keys) else set()


class _MissingView(View):
    """Stands in for a payload kind no view knows yet, so one odd panel cannot break the window."""

    def __init__(self, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.label, 1)

    def show_payload(self, payload: Payload) -> None:
        self.set_title(getattr(payload, "title", ""))
        self.label.setText(f"No view shows payloads of kind {payload.kind!r} yet.")


class _NotYet(QLabel):
    """Covers a panel that a recorded moment has no picture for (it came later in the run)."""

    def __init__(self, view: View):
        super().__init__(view)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAutoFillBackground(True)
        self.setGeometry(view.rect())
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False


class ViewArea(QStackedWidget):
    """A placeholder until the first snapshot, then one view per payload key in a tidy layout.

    One large panel (an image grid, a scatter, a field, a frame) takes the left with the charts
    (curves, bars, histograms, matrices) stacked beside it; several large panels share a row at
    full width with the charts side by side beneath them. Strips (paired rows, tables, image grids
    much wider than tall) run across the bottom, followed by a row of the panels that first came
    as a probe's answer (a decoded point, the neighbours of a query), so answering leaves the
    lesson's own panels where they are, and the same key answered again
    reuses its panel. The layout reflows with the area's width (fewer pictures and charts in a
    row, charts under a lone picture, strips stacked), rebuilt only when a threshold is crossed,
    and the area scrolls rather than squeeze a panel below its readable minimum. A double-click
    on a panel (or its title menu) focuses it: it alone fills the area until Esc or another
    double-click; `tear_off` shows a panel in a window of its own. Every view's
    `command_requested` is re-emitted as `command_requested(key, name, kwargs)`, naming the panel
    that asks; `view_added(key, view)` announces each new panel (so a tool can add its button to
    it).
    """

    command_requested = Signal(str, str, dict)
    view_added = Signal(str, object)
    #: A panel now fills the area (its key), or none does (None): Esc leaves it first.
    focus_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.views: dict[str, View] = {}
        self.titles: dict[str, str] = {}
        self._dark = True
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.addWidget(self.placeholder)
        # The panels live in a scroll area: below their readable minimum it scrolls.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.addWidget(self.scroll)
        self._page: QWidget | None = None
        self._flow: tuple[int, ...] = ()  # the reflow choices the page was built with
        self._answer_keys: set[str] = set()  # panels that first came as a probe's answer
        self._strip_keys: set[str] = set()  # panels laid out as strips (`reads_as_strip`)
        # What each panel shows of a recorded moment: (its view, the payload object).
        self._moment_shown: dict[str, tuple[View, Payload]] = {}
        self._draws = DrawQueue(self)
        # A comparison's new panels, waiting to be built on the next event-loop turns.
        self._unbuilt: dict[str, Payload] = {}
        self._build_turn = QTimer(self)
        self._build_turn.setSingleShot(True)
        self._build_turn.setInterval(0)
        self._build_turn.timeout.connect(self._build_later)
        self.focused: str | None = None  # the panel that fills the area, if any
        self.torn_off: dict[str, _PanelWindow] = {}  # panels shown in windows of their own
        self._leave_focus = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._leave_focus.setContext(Qt.ShortcutContext.WindowShortcut)
        self._leave_focus.setEnabled(False)
        self._leave_focus.activated.connect(self.unfocus)

    # -- content ---------------------------------------------------------------------------------
    def show_payloads(self, payloads: dict[str, Payload], *, spread: bool = True) -> list[str]:
        """Show every payload in the view with its key, drawn over as many event-loop turns as
        it takes (`DrawQueue`); returns keys whose view failed to draw since the last call.

        With `spread`, in a shown window, a comparison's new panels (a variant's key such as
        "filters@beta=4" among them) are built over the next turns (`_build_later`) and laid
        out once all are there: a first snapshot of four variants would otherwise hold the
        window for the building of four runs' panels (a few hundred milliseconds)."""
        new = [key for key in payloads if key not in self.views]
        later = _comparison_panels(new) if spread and self.window().isVisible() else set()
        self._unbuilt.update((key, payloads[key]) for key in new if key in later)  # in their order
        new = [key for key in new if key not in later]
        for key in new:
            self._add_view(key, payloads[key])
        if new:
            self._relayout()
        for key, payload in payloads.items():
            if key not in later and key not in new:
                self.titles[key] = getattr(payload, "title", key)
                self._draws.submit(key, self.views[key], payload)
        # One time slice now, the rest on the next event-loop turns (see DrawQueue).
        self._draws.drain()
        for key in new:
            self.view_added.emit(key, self.views[key])
        if self._unbuilt:
            self._build_turn.start()
        return self._draws.take_failures()

    def _add_view(self, key: str, payload: Payload) -> None:
        self._unbuilt.pop(key, None)  # built now, with this newer payload
        self.views[key] = self._make(key, payload)
        if reads_as_strip(payload):
            self._strip_keys.add(key)
        self.titles[key] = getattr(payload, "title", key)
        self._draws.mark_drawn(key, payload)  # make_view already showed it

    def _build_later(self) -> None:
        """Build waiting panels, in the order they came, for one time slice (one at least), each
        with the newest payload it was given; the page is laid out once the last is built."""
        start, built = time.perf_counter(), []
        while self._unbuilt and (not built or time.perf_counter() - start < draw_queue.TIME_SLICE_S):
            key = next(iter(self._unbuilt))
            self._add_view(key, self._unbuilt.pop(key))
            built.append(key)
        if self._unbuilt:
            self._build_turn.start()
        else:
            self._relayout()
        for key in built:
            self.view_added.emit(key, self.views[key])

    def show_probe_payloads(self, payloads: dict[str, Payload], source: str | None = None) -> list[str]:
        """Show a probe's answer: a clicked point (INSPECTED) beside `source`, the panel that
        asked, anything else as panels of their own. Returns keys whose view failed."""
        rest = dict(payloads)
        inspected = rest.pop(INSPECTED, None)
        asker = self.views.get(source) if source is not None else None
        if isinstance(inspected, PairedRows) and hasattr(asker, "show_inspected"):
            asker.show_inspected(inspected)
        elif inspected is not None:
            rest[INSPECTED] = inspected  # no panel to pin it to: a strip of its own
        self._answer_keys.update(key for key in rest if key not in self.views)
        if not rest:
            return []
        failed = self.show_payloads(rest, spread=False)
        self._draws.flush(rest)  # the answer the user waits for is drawn now
        return failed + self._draws.take_failures()

    def _make(self, key: str, payload: Payload) -> View:
        try:
            view = make_view(payload)
        except KeyError:
            view = _MissingView(payload.kind)
            view.show_payload(payload)
        view.apply_theme(self._dark)
        view.place_in_area(MIN_PANEL_SIZE)
        view.command_requested.connect(functools.partial(self._on_view_command, key))
        view.focus_requested.connect(functools.partial(self.toggle_focus, key))
        view.tear_off_requested.connect(functools.partial(self.tear_off, key))
        view.watch_double_clicks()
        return view

    def _on_view_command(self, key: str, name: str, kwargs: dict[str, Any]) -> None:
        self.command_requested.emit(key, name, kwargs)

    # -- one-panel focus and panels of their own ----------------------------------------------------
    def toggle_focus(self, key: str) -> None:
        """Fill the area with panel `key`, or, when it already does, go back to every panel."""
        if self.focused == key:
            self.unfocus()
        elif key in self.views and key not in self.torn_off:
            self._set_focused(key)
            self._relayout()

    def unfocus(self) -> None:
        """Back from one focused panel to the whole layout (Esc or a double-click)."""
        if self.focused is not None:
            self._set_focused(None)
            self._relayout()

    def _set_focused(self, key: str | None) -> None:
        if key != self.focused:
            self.focused = key
            self._leave_focus.setEnabled(key is not None)  # the one Esc while a panel is focused
            self.focus_changed.emit(key)

    def tear_off(self, key: str) -> None:
        """Show panel `key` in a window of its own (for a second screen); closing that window
        brings the panel back. It goes on showing the run's newest snapshots."""
        view = self.views.get(key)
        if view is None or key in self.torn_off:
            return
        if self.focused == key:
            self._set_focused(None)
        window = _PanelWindow(self.titles.get(key, key), view, self.window())
        window.closed.connect(functools.partial(self._take_back, key))
        self.torn_off[key] = window
        self._relayout()
        window.show()

    def _take_back(self, key: str) -> None:
        window = self.torn_off.pop(key, None)
        if window is not None and key in self.views:
            self._relayout()  # takes the panel out of the window first
            window.deleteLater()

    def clear(self) -> None:
        """Remove every view and show the placeholder again."""
        self.setCurrentWidget(self.placeholder)
        self._set_focused(None)
        for window in list(self.torn_off.values()):
            window.release()
        self.torn_off.clear()
        if self._page is not None:
            self.scroll.takeWidget()
            self._page.deleteLater()
            self._page = None
        for view in self.views.values():
            view.deleteLater()
        self.views.clear()
        self.titles.clear()
        self._answer_keys.clear()
        self._strip_keys.clear()
        self._draws.clear()
        self._unbuilt.clear()
        self._build_turn.stop()

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        for view in self.views.values():
            view.apply_theme(dark)

    # -- a recorded moment of the run (the timeline) ----------------------------------------------------
    def show_moment(
        self,
        payloads: dict[str, Payload],
        step: int,
        x_end: int,
        track: dict[str, Curves],
        held: dict[str, tuple[float, ...]] | None = None,
    ) -> list[str]:
        """Show what the run showed at `step`: each panel its payload in `payloads`, redrawn only
        when that object differs from the one it shows (a recording shares unchanged payloads);
        a panel without one says it came later; curve panels get a cursor at `step` (their x axis
        up to `x_end`) and `track`'s curves faded; a scatter with a box in `held` stays at that box
        (`timeline_bar.scatter_bounds`). A probe's answers stay as they are.
        Returns keys whose view failed."""
        failed = []
        for key, view in self.views.items():
            if key in self._answer_keys:
                continue
            payload = payloads.get(key)
            self._cover(view, None if payload is not None else f"Not yet at step {step:,}")
            shown = self._moment_shown.get(key)
            if payload is not None and not (shown and shown[0] is view and shown[1] is payload):
                try:
                    view.show_payload(payload)
                    self._moment_shown[key] = (view, payload)
                    self._draws.mark_drawn(key, payload)  # no live draw still queued may cover it
                except Exception:  # noqa: BLE001 - one broken panel must not stop the others
                    failed.append(key)
            if isinstance(view, CurvesView):
                view.set_cursor(step, x_end)
                view.set_track(track.get(key))
            elif isinstance(view, ScatterView) and held and key in held:
                view.hold_range(held[key])
        return failed

    def show_present(self, payloads: dict[str, Payload], track: dict[str, Curves]) -> list[str]:
        """Back from a recorded moment to the run's newest snapshot: no cursor, no cover, and
        `track`'s curves faded in full. Returns keys whose view failed."""
        self._moment_shown.clear()
        for view in self.views.values():
            self._cover(view, None)
            if isinstance(view, CurvesView):
                view.set_cursor(None)
            elif isinstance(view, ScatterView):
                view.hold_range(None)
        failed = self.show_payloads(payloads)
        self.set_track(track)
        return failed

    def set_track(self, track: dict[str, Curves]) -> None:
        """Overlay another run's curves faded in the curve panels of the same keys."""
        for key, view in self.views.items():
            if isinstance(view, CurvesView):
                view.set_track(track.get(key))

    @staticmethod
    def _cover(view: View, text: str | None) -> None:
        cover = view.findChild(_NotYet)
        if text is None:
            if cover is not None:
                cover.hide()
            return
        if cover is None:
            cover = _NotYet(view)
        cover.setText(text)
        cover.setGeometry(view.rect())
        cover.show()
        cover.raise_()

    # -- layout ----------------------------------------------------------------------------------
    def _flow_for(self, width: int) -> tuple[int, ...]:
        """How many pictures and charts fit in a row at `width`, and whether it is narrow:
        the choices a relayout makes, compared on resize so only a crossing rebuilds. An area
        not shown yet has no width of its own: it is laid out wide until it is shown."""
        width = self._room() if self.isVisible() else 10_000
        bottom = [v for k, v in self.views.items() if k in self._strip_keys | self._answer_keys]
        # In presenter mode panels keep a scaled minimum (like their text): fewer fit a row.
        logical = round(width / presenter_scale())
        return (
            max(1, logical // PICTURE_WIDTH),
            max(1, min(MAX_CHARTS_IN_A_ROW, logical // CHART_WIDTH)),
            int(logical < NARROW_WIDTH),
            len(_rows_fitting(bottom, width)),
        )

    def _room(self) -> int:
        """The width panels can use: the area's, less a vertical scroll bar (it may appear)."""
        if not self.isVisible():
            return 10_000
        return self.width() - self.scroll.verticalScrollBar().sizeHint().width()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._page is not None and self._flow_for(self.width()) != self._flow:
            self._relayout()

    def _relayout(self) -> None:
        self._flow = self._flow_for(self.width())
        pictures_per_row, charts_per_row, narrow, _ = self._flow
        shown = {key: view for key, view in self.views.items() if key not in self.torn_off}
        if self.focused is not None:
            page = QWidget()
            column = QVBoxLayout(page)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(shown[self.focused])
            for key, view in shown.items():
                if key != self.focused:
                    view.setParent(page)  # kept, out of sight, until the focus ends
                    view.hide()
            self._show_page(page)
            return
        large, curves, strips, answers = [], [], [], []
        for key, view in shown.items():
            if key in self._answer_keys:
                answers.append(view)
            elif view.kind in _CHART_KINDS:
                curves.append(view)
            elif key in self._strip_keys:
                strips.append(view)
            else:
                large.append(view)

        page = QSplitter(Qt.Orientation.Vertical)
        page.setChildrenCollapsible(False)
        if len(large) == 1 and curves and not narrow:
            # One main picture: it takes the left, the curves stack in a column beside it (two
            # abreast when there are many).
            many = len(curves) > MAX_CHARTS_IN_A_COLUMN
            beside = _rows_of(curves, per_row=2) if many else _splitter(Qt.Orientation.Vertical, curves)
            top = _splitter(Qt.Orientation.Horizontal, [large[0], beside])
            top.setStretchFactor(0, 1 if many else 3)
            top.setStretchFactor(1, 1 if many else 2)
            top.setSizes([500, 500] if many else [600, 400])
            page.addWidget(top)
        else:
            # Several pictures share a row (or a grid) at full width; the curves sit beneath
            # them side by side, so no picture is squeezed into a narrow column.
            if large:
                page.addWidget(_grid(large, pictures_per_row))
            if curves:
                page.addWidget(self._charts(curves, charts_per_row))
        room = self._room()
        for bottom in (strips, answers):
            # Side by side as far as their readable widths fit, then on further rows. A probe's
            # answers (a decoded point) get a row of their own: they never squeeze the strips.
            if bottom:
                page.addWidget(_packed(bottom, room))
        # Pictures get the most height, then the charts (more when they take two rows), then the
        # strips of examples (more when no picture is there to show examples).
        chart_rows = len(_rows_fitting(curves, self._room())) if curves else 0
        chart_rows = max(chart_rows, math.ceil(len(curves) / charts_per_row))
        weights = (
            ([5] if large else [])
            + ([3 * chart_rows] if curves and (len(large) != 1 or narrow) else [])
            + ([2 if large else 3] if strips else [])
            + ([2] if answers else [])
        )
        for index, weight in enumerate(weights):
            page.setStretchFactor(index, weight)
        page.setSizes([100 * w for w in weights])
        self._show_page(page)
        for view in shown.values():
            # Back from a focus; only now, inside the page: a parentless panel shown would open
            # as a window of its own and take the focus from the main window.
            view.show()

    def _charts(self, charts: list[View], per_row: int) -> QSplitter:
        """Rows of charts, evenly filled; when one needs more than CHART_WIDTH (every category
        of a bar chart named), as many as their widths fit in each row instead."""
        if any(_least_width(chart) > CHART_WIDTH for chart in charts):
            return _packed(charts, self._room())
        return _rows_of(charts, per_row)

    def _show_page(self, page: QWidget) -> None:
        old = self.scroll.takeWidget()
        self._page = page
        self.scroll.setWidget(page)
        self.setCurrentWidget(self.scroll)
        if old is not None:
            # The views now live in the new page; only the old empty splitters go.
            old.deleteLater()


class _PanelWindow(QWidget):
    """A panel torn off into a window of its own; closing it hands the panel back (`closed`)."""

    closed = Signal()

    def __init__(self, title: str, view: View, owner: QWidget):
        super().__init__(owner, Qt.WindowType.Window)
        self.setWindowTitle(f"unsuplab — {title}")
        self.view = view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        view.show()
        self.resize(900, 650)

    def release(self) -> None:
        """Close without handing the panel back (the area is being cleared)."""
        self.closed.disconnect()
        self.close()
        self.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        super().closeEvent(event)
        self.closed.emit()


def _splitter(orientation: Qt.Orientation, widgets: list[QWidget]) -> QSplitter:
    splitter = QSplitter(orientation)
    splitter.setChildrenCollapsible(False)
    for widget in widgets:
        splitter.addWidget(widget)
    return splitter


def _rows_of(views: list[View], per_row: int = MAX_CHARTS_IN_A_ROW) -> QSplitter:
    """Charts side by side, in as few rows of at most `per_row` as it takes, the rows evenly
    filled (six charts: two rows of three), each row and chart resizable."""
    rows = math.ceil(len(views) / per_row)
    per_row = math.ceil(len(views) / rows)
    return _splitter(
        Qt.Orientation.Vertical,
        [
            _splitter(Qt.Orientation.Horizontal, views[start : start + per_row])
            for start in range(0, len(views), per_row)
        ],
    )


def _packed(views: list[View], width: int) -> QSplitter:
    """`views` in rows, as many side by side as their minimum widths fit in `width`, each an
    equal share of its row (not by size hint: a table would get the width of its narrowest
    column layout)."""
    splitters = []
    for row in _rows_fitting(views, width):
        splitter = _splitter(Qt.Orientation.Horizontal, row)
        splitter.setSizes([1000] * len(row))
        splitters.append(splitter)
    return splitters[0] if len(splitters) == 1 else _splitter(Qt.Orientation.Vertical, splitters)


def _least_width(view: View) -> int:
    """The narrowest a layout can make `view`: its own minimum or its contents'."""
    return max(view.minimumWidth(), view.minimumSizeHint().width())


def _rows_fitting(views: list[View], width: int) -> list[list[View]]:
    """`views` in order, cut into rows whose minimum widths fit in `width` (one at least each)."""
    rows: list[list[View]] = [[]]
    used = 0
    for view in views:
        need = _least_width(view) + SPLITTER_HANDLE
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0
        rows[-1].append(view)
        used += need
    return rows if rows[0] else []


def _grid(views: list[View], most_per_row: int = 3) -> QWidget:
    host = QWidget()
    grid = QGridLayout(host)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setSpacing(4)
    # A row for up to three pictures (fewer when narrow), then a near-square grid.
    columns = len(views) if len(views) <= 3 else max(1, math.ceil(math.sqrt(len(views))))
    columns = max(1, min(columns, most_per_row))
    for i, view in enumerate(views):
        grid.addWidget(view, i // columns, i % columns)
    return host

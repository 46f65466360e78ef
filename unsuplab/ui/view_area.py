"""The centre of the window: the live views, laid out from a snapshot's payload keys."""

from __future__ import annotations

import functools
import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.commands import INSPECTED
from unsuplab.core.payloads import Curves, ImageGrid, PairedRows, Payload
from unsuplab.ui.draw_queue import DrawQueue
from unsuplab.ui.views import CurvesView, View, make_view

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
    much wider than tall) run across the bottom, followed by the panels that first came as a
    probe's answer (a decoded point, the neighbours of a query): they join the bottom row, so
    answering leaves the lesson's own panels where they are, and the same key answered again
    reuses its panel. Every view's
    `command_requested` is re-emitted as `command_requested(key, name, kwargs)`, naming the panel
    that asks; `view_added(key, view)` announces each new panel (so a tool can add its button to
    it).
    """

    command_requested = Signal(str, str, dict)
    view_added = Signal(str, object)

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
        self._page: QWidget | None = None
        self._answer_keys: set[str] = set()  # panels that first came as a probe's answer
        self._strip_keys: set[str] = set()  # panels laid out as strips (`reads_as_strip`)
        # What each panel shows of a recorded moment: (its view, the payload object).
        self._moment_shown: dict[str, tuple[View, Payload]] = {}
        self._draws = DrawQueue(self)

    # -- content ---------------------------------------------------------------------------------
    def show_payloads(self, payloads: dict[str, Payload]) -> list[str]:
        """Show every payload in the view with its key, drawn over as many event-loop turns as
        it takes (`DrawQueue`); returns keys whose view failed to draw since the last call."""
        new = [key for key in payloads if key not in self.views]
        for key in new:
            self.views[key] = self._make(key, payloads[key])
            if reads_as_strip(payloads[key]):
                self._strip_keys.add(key)
        if new:
            self._relayout()
        for key, payload in payloads.items():
            self.titles[key] = getattr(payload, "title", key)
            if key in new:
                self._draws.mark_drawn(key, payload)  # make_view already showed it
            else:
                self._draws.submit(key, self.views[key], payload)
        # One time slice now, the rest on the next event-loop turns (see DrawQueue).
        self._draws.drain()
        for key in new:
            self.view_added.emit(key, self.views[key])
        return self._draws.take_failures()

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
        failed = self.show_payloads(rest)
        self._draws.flush(rest)  # the answer the user waits for is drawn now
        return failed + self._draws.take_failures()

    def _make(self, key: str, payload: Payload) -> View:
        try:
            view = make_view(payload)
        except KeyError:
            view = _MissingView(payload.kind)
            view.show_payload(payload)
        view.apply_theme(self._dark)
        view.command_requested.connect(functools.partial(self._on_view_command, key))
        return view

    def _on_view_command(self, key: str, name: str, kwargs: dict[str, Any]) -> None:
        self.command_requested.emit(key, name, kwargs)

    def clear(self) -> None:
        """Remove every view and show the placeholder again."""
        self.setCurrentWidget(self.placeholder)
        if self._page is not None:
            self.removeWidget(self._page)
            self._page.deleteLater()
            self._page = None
        for view in self.views.values():
            view.deleteLater()
        self.views.clear()
        self.titles.clear()
        self._answer_keys.clear()
        self._strip_keys.clear()
        self._draws.clear()

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        for view in self.views.values():
            view.apply_theme(dark)

    # -- a recorded moment of the run (the timeline) ----------------------------------------------------
    def show_moment(
        self, payloads: dict[str, Payload], step: int, x_end: int, track: dict[str, Curves]
    ) -> list[str]:
        """Show what the run showed at `step`: each panel its payload in `payloads`, redrawn only
        when that object differs from the one it shows (a recording shares unchanged payloads);
        a panel without one says it came later; curve panels get a cursor at `step` (their x axis
        up to `x_end`) and `track`'s curves faded. A probe's answers stay as they are.
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
        return failed

    def show_present(self, payloads: dict[str, Payload], track: dict[str, Curves]) -> list[str]:
        """Back from a recorded moment to the run's newest snapshot: no cursor, no cover, and
        `track`'s curves faded in full. Returns keys whose view failed."""
        self._moment_shown.clear()
        for view in self.views.values():
            self._cover(view, None)
            if isinstance(view, CurvesView):
                view.set_cursor(None)
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
    def _relayout(self) -> None:
        large, curves, strips, answers = [], [], [], []
        for key, view in self.views.items():
            if key in self._answer_keys:
                answers.append(view)
            elif view.kind in _CHART_KINDS:
                curves.append(view)
            elif key in self._strip_keys:
                strips.append(view)
            else:
                large.append(view)
        strips += answers

        page = QSplitter(Qt.Orientation.Vertical)
        page.setChildrenCollapsible(False)
        if len(large) == 1 and curves:
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
                page.addWidget(_grid(large))
            if curves:
                page.addWidget(_rows_of(curves))
        if strips:
            row = _splitter(Qt.Orientation.Horizontal, strips)
            row.setSizes([1000] * len(strips))  # an equal share each, not by size hint: a table
            page.addWidget(row)  # would otherwise get the width of its narrowest column layout
        # Pictures get the most height, then the charts (more when they take two rows), then the
        # strips of examples (more when no picture is there to show examples).
        chart_rows = math.ceil(len(curves) / MAX_CHARTS_IN_A_ROW)
        weights = (
            ([5] if large else [])
            + ([3 * chart_rows] if curves and len(large) != 1 else [])
            + ([2 if large else 3] if strips else [])
        )
        for index, weight in enumerate(weights):
            page.setStretchFactor(index, weight)
        page.setSizes([100 * w for w in weights])

        old = self._page
        self._page = page
        self.addWidget(page)
        self.setCurrentWidget(page)
        if old is not None:
            # The views now live in the new page; only the old empty splitters go.
            self.removeWidget(old)
            old.deleteLater()


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


def _grid(views: list[View]) -> QWidget:
    host = QWidget()
    grid = QGridLayout(host)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setSpacing(4)
    # A row for up to three pictures, then a near-square grid.
    columns = len(views) if len(views) <= 3 else max(1, math.ceil(math.sqrt(len(views))))
    for i, view in enumerate(views):
        grid.addWidget(view, i // columns, i % columns)
    return host

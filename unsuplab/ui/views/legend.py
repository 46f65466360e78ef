"""A chart's legend in its panel header: one coloured mark and name per series, lines broken
between entries so the legend never makes a panel wider and never covers the data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget

from unsuplab.ui.views._style import palette_colour

#: Legend marks: how each series is drawn (a filled area or bar, a line, a dashed line, points).
#: The lines are two characters long, so a dashed one shows four dashes, not a blot.
SWATCH, LINE, DASHED_LINE, DOT = "■", "━━", "╍╍", "●"


@dataclass(frozen=True)
class LegendEntry:
    """One series as its legend names it: a mark (`SWATCH`, `LINE`, ...) in the series' colour."""

    name: str
    colour: str
    mark: str = SWATCH


def palette_legend(names: Iterable[str], mark: str = SWATCH) -> list[LegendEntry]:
    """Entries for series coloured by their order: the k-th in palette colour k."""
    return [LegendEntry(name, palette_colour(k).name(), mark) for k, name in enumerate(names)]


#: Between two entries on a line: a line break may only fall at its last (ordinary) space.
ENTRY_GAP = "\xa0\xa0 "
#: Pixels kept spare on a legend line: rich text lays out a pixel or two wider than measured.
LINE_SLACK_PX = 3


def entry_html(entry: LegendEntry) -> str:
    """ "■ name": the mark in the series' colour, glued to the name; the name in the label's."""
    return f"<span style='color:{entry.colour}'>{entry.mark}</span>&nbsp;{escape(entry.name)}"


def legend_html(lines: Sequence[Sequence[LegendEntry]]) -> str:
    """Lines of "■ name   ■ name"."""
    return "<br>".join(ENTRY_GAP.join(entry_html(entry) for entry in line) for line in lines)


def break_lines(widths: Sequence[int], gap: int, room: int) -> list[list[int]]:
    """The entries (by index) on lines of `room` pixels, filled in order and broken only between
    entries; an entry wider than `room` gets a line of its own (where its words wrap)."""
    lines: list[list[int]] = [[]]
    used = 0
    for index, width in enumerate(widths):
        if lines[-1] and used + gap + width > room:
            lines.append([])
        used = width if not lines[-1] else used + gap + width
        lines[-1].append(index)
    return lines


class SeriesLegend(QLabel):
    """The series of a chart named in its panel's header, never over the data.

    It asks for its one-line width (`natural_width`) but accepts any narrower one: `fit(width)`
    then breaks its lines between entries, so a name is never split while it fits on a line, and
    the legend never makes a panel wider. The names take the label's colour (the theme's
    foreground); the marks keep their series' colours.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)  # only for a name too long for any line
        self.entries: tuple[LegendEntry, ...] = ()
        self.natural_width = 0
        self._widths: list[int] = []  # of each entry, in pixels
        self._gap = 0  # between two entries on a line, in pixels
        self.hide()

    def set_entries(self, entries: Sequence[LegendEntry]) -> bool:
        """Show `entries` on one line; none hides the legend. Returns whether anything changed."""
        entries = tuple(entries)
        if entries == self.entries:
            return False
        self.entries = entries
        metrics = self.fontMetrics()
        self._widths = [metrics.horizontalAdvance(f"{e.mark}\xa0{e.name}") for e in entries]
        self._gap = metrics.horizontalAdvance(ENTRY_GAP)
        self.natural_width = sum(self._widths) + self._gap * max(len(entries) - 1, 0) + LINE_SLACK_PX
        self.fit(self.natural_width)
        self.setVisible(bool(entries))
        self.updateGeometry()
        return True

    def remeasure(self) -> None:
        """Measure the entries again in the label's font (it changed with the presenter scale)."""
        entries, self.entries = self.entries, ()
        if entries:
            self.set_entries(entries)

    def fit(self, width: int) -> None:
        """Break the lines for a legend `width` pixels wide."""
        lines = break_lines(self._widths, self._gap, width - LINE_SLACK_PX)
        text = legend_html([[self.entries[k] for k in line] for line in lines])
        if text != self.text():
            self.setText(text)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.natural_width, self.heightForWidth(self.natural_width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(0, self.fontMetrics().lineSpacing())

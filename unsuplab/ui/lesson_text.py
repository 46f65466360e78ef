"""The lesson's notes (markdown) in the lesson dock, with headings that break only between words:
a heading whose longest word is wider than the dock is drawn smaller, down to about the size
of the body text, rather than broken inside the word ("Variation / al autoenco" in a 170-px dock)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtCore import QEvent
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

#: The least size of a heading, relative to the body text's: a heading that must shrink to fit
#: a word ("784-1000-500-250-30" in a 256-px dock at 1.75×) may go a little below the body.
MIN_HEADING = 0.8
#: Where a line may break: at spaces, and after a hyphen or dash before a letter ("Semi-" /
#: "supervised"); Unicode's line breaking keeps a hyphen before a digit ("784-1000-500").
_BREAKS = re.compile(r"\s+|(?<=[-–—])(?=[^\d\s])")


def words(text: str) -> list[str]:
    """The pieces of `text` a line cannot break inside."""
    return [word for word in _BREAKS.split(text) if word]


def headings(document: QTextDocument) -> Iterator[QTextBlock]:
    block = document.begin()
    while block.isValid():
        if block.blockFormat().headingLevel() > 0:
            yield block
        block = block.next()


def pieces(block: QTextBlock) -> Iterator[tuple[int, int, QTextCharFormat]]:
    """Each run of one format in `block`: its position, length and format."""
    run = block.begin()
    while not run.atEnd():
        fragment = run.fragment()
        yield fragment.position(), fragment.length(), fragment.charFormat()
        run += 1


def heading_font(block: QTextBlock) -> QFont:
    """The font a heading is drawn in: its first piece's (the markdown reader sizes only that)."""
    return block.begin().fragment().charFormat().font()


class LessonText(QTextBrowser):
    """The notes of the selected lesson, set by `show_markdown`. Each heading keeps its size
    relative to the body text (so presenter mode scales it) unless its widest word would not
    fit on a line; then it takes the size at which that word fits, not below `MIN_HEADING` of
    the body's."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenExternalLinks(True)
        self.setObjectName("lessonText")
        self._scales: dict[int, float] = {}  # heading block number -> its size / the body's
        self._fitting = False

    def show_markdown(self, text: str) -> None:
        self.setMarkdown(text)
        document = self.document()
        document.setUndoRedoEnabled(False)  # the size changes below are no edits to undo
        body = document.defaultFont().pointSizeF()
        self._scales = {
            block.blockNumber(): heading_font(block).pointSizeF() / body for block in headings(document)
        }
        self.fit_headings()

    def line_width(self, block: QTextBlock) -> float:
        """The width a line of `block` has in the viewport."""
        document, form = self.document(), block.blockFormat()
        margins = 2 * document.documentMargin() + form.leftMargin() + form.rightMargin() + form.textIndent()
        return self.viewport().width() - margins

    def fitted_size(self, block: QTextBlock) -> float:
        """The point size heading `block` is drawn at in the present width and font."""
        body = self.document().defaultFont().pointSizeF()
        font = QFont(heading_font(block))
        room = self.line_width(block)

        def widest(size: float) -> float:
            font.setPointSizeF(size)
            metrics = QFontMetricsF(font)
            return max((metrics.horizontalAdvance(word) for word in words(block.text())), default=0.0)

        size = self._scales.get(block.blockNumber(), 1.0) * body
        least = MIN_HEADING * body
        # Text does not scale quite in proportion (hinting): shrink in small steps until it fits.
        while size > least and widest(size) > room:
            size = max(least, min(size * room / widest(size), size - 0.25))
        return size

    def fit_headings(self) -> None:
        """Give every heading its fitted size (`fitted_size`), all its pieces alike."""
        if self._fitting or not self._scales:
            return
        self._fitting = True
        try:
            for block in list(headings(self.document())):
                size = self.fitted_size(block)
                for start, length, form in list(pieces(block)):
                    if abs(form.font().pointSizeF() - size) < 0.01:
                        continue
                    # A relative size ("xx-large") would win over the point size: drop it.
                    form.clearProperty(QTextFormat.Property.FontSizeAdjustment)
                    form.setFontPointSize(size)
                    cursor = QTextCursor(self.document())
                    cursor.setPosition(start)
                    cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
                    cursor.setCharFormat(form)
        finally:
            self._fitting = False

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Resize:
            self.fit_headings()
        return handled

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode: the body and headings grow
            self.fit_headings()

"""The lesson text's headings break only between words in the narrowest lesson dock, at normal
size and in presenter mode: measured on the lines Qt laid out, with QFontMetrics."""

import itertools

import pytest
from PySide6.QtGui import QFontMetricsF

from unsuplab.core.registry import lessons
from unsuplab.ui.lesson_browser import lesson_markdown
from unsuplab.ui.lesson_text import MIN_HEADING, LessonText, heading_font, headings, words
from unsuplab.ui.views import _style

#: Widths of the lesson text in the narrowest lesson dock the window lays out (MainWindow:
#: max(170, width // 6); at 1024x700 the text inside it is 156 px wide, 140 px inside the scroll
#: bar), and in the dock presenter mode gives at 1024 px (a quarter of the window).
WIDTHS = {1.0: (156, 170), 1.75: (230, 1024 // 4)}


@pytest.fixture(autouse=True)
def normal_scale_after():
    yield
    _style.set_scale(1.0)  # the application is shared by every test


def _mid_word_breaks(text: LessonText) -> list[str]:
    """Every heading line that ends inside a word, and every heading word wider than a line."""
    found = []
    for block in headings(text.document()):
        layout, body = block.layout(), block.text()
        for i in range(layout.lineCount() - 1):
            line = layout.lineAt(i)
            end = line.textStart() + line.textLength()
            if not (body[end - 1].isspace() or body[end - 1] in "-–—" or body[end].isspace()):
                found.append(f"{body!r} broken after {body[line.textStart() : end]!r}")
        metrics = QFontMetricsF(heading_font(block))
        found += [
            f"{w!r} wider than a line"
            for w in words(body)
            if metrics.horizontalAdvance(w) > text.line_width(block)
        ]
    return found


@pytest.mark.parametrize("scale", sorted(WIDTHS))
def test_headings_break_between_words_in_the_narrowest_dock(qtbot, scale):
    _style.set_scale(scale)
    text = LessonText()
    qtbot.addWidget(text)
    text.setFont(_style.font())
    text.show()
    qtbot.waitExposed(text)
    shrunk = 0
    for width, lesson in itertools.product(WIDTHS[scale], lessons()):
        text.resize(width, 600)
        text.show_markdown(lesson_markdown(lesson))
        text.viewport().grab()  # lay out
        assert _mid_word_breaks(text) == [], (lesson.name, width)
        body = text.document().defaultFont().pointSizeF()
        for block in headings(text.document()):
            size = heading_font(block).pointSizeF()
            assert size >= MIN_HEADING * body - 0.01  # about the body text's size at the least
            shrunk += size < text._scales[block.blockNumber()] * body - 0.01
    assert shrunk > 0  # the narrow dock did need smaller headings


def test_a_heading_keeps_its_size_where_it_fits_and_follows_the_font(qtbot):
    text = LessonText()
    qtbot.addWidget(text)
    text.resize(900, 400)
    text.show()
    text.show_markdown("# Variational *autoencoder*\n\nSome text.\n")
    block = next(headings(text.document()))
    body = text.document().defaultFont().pointSizeF()
    natural = heading_font(block).pointSizeF()
    assert natural > 1.5 * body
    text.resize(120, 400)
    qtbot.waitUntil(lambda: heading_font(block).pointSizeF() < natural)
    text.resize(900, 400)
    qtbot.waitUntil(lambda: heading_font(block).pointSizeF() == pytest.approx(natural))
    font = text.font()
    font.setPointSizeF(2 * font.pointSizeF())
    text.setFont(font)  # presenter mode: the heading grows with the body
    assert heading_font(block).pointSizeF() == pytest.approx(2 * natural)

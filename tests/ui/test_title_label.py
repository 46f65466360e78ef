"""Panel titles: broken between words onto up to three lines (the corner control beside the
first), cut with "…" only past that, the label as tall as its lines; measured with QFontMetrics."""

import numpy as np
from PySide6.QtCore import QSize
from shown_views import shown

from unsuplab.core.payloads import Curves
from unsuplab.ui.views.base import TitleLabel

TITLE = "Mean D(x) on real and D(G(z)) on generated points"


def test_a_long_title_breaks_between_words_and_the_label_takes_its_lines_height(qtbot):
    label = TitleLabel(TITLE)
    qtbot.addWidget(label)
    label.show()
    qtbot.waitExposed(label)
    metrics = label.fontMetrics()
    width = metrics.horizontalAdvance(TITLE) * 2 // 3  # two lines' worth
    label.resize(width, 10)
    lines = label.shown_lines()
    assert len(lines) == 2 and " ".join(lines) == TITLE  # whole words, nothing cut
    assert all(metrics.horizontalAdvance(line) <= width for line in lines)
    assert label.height() == metrics.height() + metrics.lineSpacing()
    label.resize(metrics.horizontalAdvance(TITLE) // 5, 10)  # would need five lines: three, cut
    lines = label.shown_lines()
    assert len(lines) == 3 and lines[-1].endswith("…") and TITLE.startswith(" ".join(lines[:2]))
    label.resize(metrics.horizontalAdvance(TITLE) + 10, 10)
    assert label.shown_lines() == [TITLE] and label.height() == metrics.height()


def test_the_corner_shortens_the_first_line_only_and_a_panel_grows_for_more_lines(qtbot):
    steps = np.arange(5)
    view = shown(qtbot, Curves(TITLE, {"d_real": (steps, steps * 1.0), "d_fake": (steps, steps * 0.5)}))
    title, box = view.title_label, view.log_y_box
    metrics = title.fontMetrics()
    view.resize(metrics.horizontalAdvance(TITLE) * 2, 300)
    qtbot.waitUntil(lambda: len(title.shown_lines()) == 1)
    view.place_in_area(QSize(100, 100))  # as the view area holds its panels: to their minimum
    view.resize(metrics.horizontalAdvance(TITLE) * 3 // 4, view.minimumHeight())
    qtbot.waitUntil(lambda: len(title.shown_lines()) == 2)
    first, second = title.shown_lines()
    width = title.contentsRect().width()
    assert metrics.horizontalAdvance(first) <= width - box.width()  # beside the "log y" box
    assert metrics.horizontalAdvance(second) <= width and " ".join((first, second)) == TITLE
    # The panel asks for the taller title (after its layout has ended), so nothing overlaps.
    qtbot.waitUntil(lambda: title.geometry().bottom() < view.legend_label.geometry().top())
    assert view.height() >= view.layout().minimumSize().height()

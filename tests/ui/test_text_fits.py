"""At projector and small-laptop sizes every panel's title, table header and plot keeps a
readable size: measured with QFontMetrics against the widgets' geometry, not by eye."""

import pytest
from PySide6.QtWidgets import QTableWidget
from window_waits import wait_for_step

from unsuplab.ui.main_window import MainWindow

SIZES = [(1024, 700), (1280, 720)]
LESSONS = ["autoencoder", "anomaly-detection", "rbm-ratings"]
#: The least of a plot a student must see to read it: room for ticks and a curve.
MIN_PLOT = (150, 100)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", LESSONS)
def test_text_fits_its_widget(qtbot, name, size):
    window = MainWindow(lesson=name, dark=True)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.step_once()
        wait_for_step(qtbot, window, 1, timeout=60_000)
        qtbot.waitUntil(lambda: all(v.isVisible() for v in window.views.views.values()), timeout=5000)
        qtbot.waitUntil(lambda: not _problems(window), timeout=10_000)  # once the layout settles
        assert _problems(window) == []
        for label in (window.status.speed_label, window.status.time_label, window.status.step_label):
            assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
        # Every toolbar control is on the toolbar, none pushed into an overflow menu.
        bar = window.controls
        device = window.controls.device
        assert device.isVisible() and device.geometry().right() <= bar.width(), "Device is off the toolbar"
    finally:
        window.shutdown()


def _problems(window) -> list:
    """What does not fit: (panel, what, measured) for each title, plot or table header."""
    found = []
    for key, view in window.views.views.items():
        title = view.title_label
        metrics = title.fontMetrics()
        lines = title.shown_lines()
        # Each line within the width, all of them within the height; cut with "…" at most after
        # three lines, never to a stub; the tooltip has it all.
        if title.contentsRect().height() < metrics.height() + (len(lines) - 1) * metrics.lineSpacing() or any(
            metrics.horizontalAdvance(line) > title.contentsRect().width() for line in lines
        ):
            found.append((key, "title", title.size()))
        shown = " ".join(lines)
        if shown != " ".join(title.text().split()) and len(shown) < min(len(title.text()), 20):
            found.append((key, "title cut to a stub", shown))
        if title.toolTip() != title.text():
            found.append((key, "tooltip", title.toolTip()))
        plot = getattr(view, "plot_widget", None) or getattr(view, "graphics", None)
        if plot is not None and (plot.width() < MIN_PLOT[0] or plot.height() < MIN_PLOT[1]):
            found.append((key, "plot", plot.size()))
        for table in view.findChildren(QTableWidget):
            header = table.horizontalHeader()
            fm = header.fontMetrics()
            for column in range(table.columnCount()):
                text = table.horizontalHeaderItem(column).text()
                if header.sectionSize(column) < fm.horizontalAdvance(text) + 8:
                    found.append((key, "header", text))
    return found

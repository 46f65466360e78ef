"""The view area at small sizes and one-panel focus; the window's docks and toolbar by size."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QSplitter

from unsuplab.core.payloads import Curves, ImageGrid, PairedRows
from unsuplab.ui.view_area import MIN_PANEL_SIZE, ViewArea


def panels() -> dict:
    steps = np.arange(10)
    return {
        "filters": ImageGrid("First-layer filters", np.random.default_rng(0).random((16, 8, 8))),
        "samples": ImageGrid("Samples", np.zeros((16, 8, 8))),
        "codes": ImageGrid("Codes", np.zeros((16, 8, 8))),
        **{f"curves:{n}": Curves(n, {n: (steps, steps * 1.0)}) for n in ("loss", "kl", "lr", "norm")},
        "reconstructions": PairedRows(
            "Reconstructions", {"in": np.zeros((10, 8, 8)), "out": np.zeros((10, 8, 8))}
        ),
    }


def area_at(qtbot, width: int, height: int) -> ViewArea:
    area = ViewArea()
    qtbot.addWidget(area)
    area.resize(width, height)
    area.show()
    qtbot.waitExposed(area)
    area.show_payloads(panels())
    return area


def row_counts(area: ViewArea) -> list[int]:
    """Panels per row of pictures, then per row of charts."""
    grid = area._page.widget(0).layout()
    pictures = max(grid.getItemPosition(i)[1] for i in range(grid.count())) + 1
    charts = area._page.widget(1)
    return [pictures, charts.widget(0).count()]


def test_a_narrow_area_puts_fewer_panels_in_a_row_and_scrolls_instead_of_squeezing(qtbot):
    wide = area_at(qtbot, 1400, 900)
    assert row_counts(wide) == [3, 4]
    narrow = area_at(qtbot, 560, 500)
    assert row_counts(narrow) == [2, 2]
    qtbot.waitUntil(lambda: narrow.scroll.verticalScrollBar().maximum() > 0, timeout=2000)
    for view in narrow.views.values():
        assert view.width() >= MIN_PANEL_SIZE.width() and view.height() >= MIN_PANEL_SIZE.height()
    # Crossing the threshold on a resize reflows; a resize within it keeps the page.
    page = narrow._page
    narrow.resize(580, 500)
    assert narrow._page is page
    narrow.resize(1400, 900)
    qtbot.waitUntil(lambda: narrow._page is not page, timeout=2000)
    assert row_counts(narrow) == [3, 4]


def double_click(widget) -> None:
    pos = QPointF(widget.rect().center())
    event = QMouseEvent(
        QEvent.Type.MouseButtonDblClick,
        pos,
        QPointF(widget.mapToGlobal(pos)),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_double_click_focuses_a_panel_and_esc_or_another_double_click_returns(qtbot):
    area = area_at(qtbot, 1200, 800)
    filters = area.views["filters"]
    double_click(filters.graphics.viewport())  # on the plot itself
    assert area.focused == "filters"
    qtbot.waitUntil(lambda: filters.isVisible() and not area.views["samples"].isVisible(), timeout=2000)
    assert filters.width() >= area.width() - 40  # it fills the area
    double_click(filters.title_label)
    assert area.focused is None and area.views["samples"].isVisible()
    area.toggle_focus("samples")
    area.activateWindow()
    qtbot.waitUntil(area.isActiveWindow, timeout=2000)
    qtbot.keyClick(area, Qt.Key.Key_Escape)
    assert area.focused is None
    assert isinstance(area._page, QSplitter)


def test_a_torn_off_panel_lives_in_its_own_window_and_comes_back_when_closed(qtbot):
    area = area_at(qtbot, 1200, 800)
    samples = area.views["samples"]
    area.tear_off("samples")
    window = area.torn_off["samples"]
    assert samples.window() is window and window.isVisible()
    area.show_payloads({"samples": ImageGrid("Samples", np.ones((16, 8, 8)))})  # still updated
    assert samples.image_item.image.max() == 255
    window.close()
    assert "samples" not in area.torn_off and samples.window() is not window
    assert samples.parentWidget() is not None and samples.isVisible()


def test_the_window_folds_the_pad_into_a_tab_and_compacts_the_toolbar_when_small(qtbot):
    from unsuplab.ui.main_window import MainWindow

    window = MainWindow(lesson="autoencoder", dark=True)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.tabifiedDockWidgets(window.settings_dock) == [window.pad_dock]
        assert window.controls.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
        device = window.controls.device
        qtbot.waitUntil(device.isVisible, timeout=2000)  # once the toolbar laid out its compact form
        assert device.geometry().right() <= window.controls.width()
        assert window.lesson_dock.width() <= 200  # the panels keep most of the width
        # A user's own dock size survives resizes that cross no threshold ...
        window.resizeDocks([window.lesson_dock], [240], Qt.Orientation.Horizontal)
        window.resize(1100, 720)
        qtbot.waitUntil(lambda: window.width() == 1100, timeout=2000)
        assert abs(window.lesson_dock.width() - 240) <= 8
        # ... and a tall window puts the pad back under the settings.
        window.resize(1600, 1000)
        qtbot.waitUntil(lambda: not window.tabifiedDockWidgets(window.settings_dock), timeout=2000)
        assert window.controls.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    finally:
        window.shutdown()


def test_strips_that_do_not_fit_side_by_side_take_more_rows_rather_than_widen_the_page(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    area.resize(1000, 700)
    area.show()
    qtbot.waitExposed(area)
    strips = {
        k: ImageGrid(k, np.zeros((10, 28, 28)), columns=10) for k in ("interpolation", "worst", "picked")
    }
    area.show_payloads({"samples": ImageGrid("Samples", np.zeros((16, 8, 8))), **strips})
    qtbot.waitUntil(lambda: area.views["picked"].isVisible(), timeout=2000)
    assert area.scroll.horizontalScrollBar().maximum() == 0  # every panel is in view sideways
    tops = {area.views[k].mapTo(area, area.views[k].rect().topLeft()).y() for k in strips}
    assert len(tops) == 2  # two strips on one row, the third beneath

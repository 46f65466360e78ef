"""Presenter mode: one factor scales every font, line and marker; the settings and log fold away
and come back; F5 or Esc leaves; text still fits its widgets (measured, not eyeballed)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication
from shown_views import shown
from window_waits import wait_for_step

from unsuplab.core.payloads import Table
from unsuplab.ui.view_area import MIN_PANEL_SIZE
from unsuplab.ui.views import CurvesView, _style
from unsuplab.ui.views.base import TitleLabel

FACTOR = _style.DEFAULT_PRESENTER_FACTOR


@pytest.fixture(autouse=True)
def normal_scale_after():
    yield
    _style.set_scale(1.0)  # the application is shared by every test


def test_f5_scales_everything_folds_the_docks_and_f5_brings_them_back(window, qtbot):
    window.log_dock.show()
    base_point_size = QApplication.font().pointSizeF()
    view = window.views.views.get("filters")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.presenter.active and window.actions_["presenter"].isChecked()
    assert QApplication.font().pointSizeF() == pytest.approx(base_point_size * FACTOR)
    assert window.settings_dock.isHidden() and window.log_dock.isHidden()
    assert window.lesson_dock.isVisible()  # the lesson's text and presets stay for the audience
    assert window.form.font().pointSizeF() == pytest.approx(base_point_size * FACTOR)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not window.presenter.active and not window.actions_["presenter"].isChecked()
    assert QApplication.font().pointSizeF() == pytest.approx(base_point_size)
    assert window.settings_dock.isVisible() and window.log_dock.isVisible()
    assert view is window.views.views.get("filters")


def test_esc_leaves_presenter_mode_without_stopping_the_run(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 1)
    window.presenter.enter()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presenter.active
    assert window.worker is not None and window.run_state in ("running", "building")
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # a stray Esc never stops a run (Shift+Esc asks)
    assert window.worker is not None and window.run_state in ("running", "building")


def test_esc_leaves_a_focused_panel_first_then_presenter_mode(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    window.presenter.enter()
    filters = window.views.views["filters"]
    qtbot.mouseDClick(filters.title_label, Qt.MouseButton.LeftButton)
    assert window.views.focused == "filters"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.views.focused is None and window.presenter.active  # back to every panel
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presenter.active  # then out of presenter mode
    qtbot.mouseDClick(filters.title_label, Qt.MouseButton.LeftButton)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # outside presenter mode Esc still leaves a panel
    assert window.views.focused is None and not window.presenter.active
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # no panel focused: Esc leaves presenter mode at once
    assert not window.presenter.active


def test_views_restyle_fonts_pens_and_markers_by_the_factor(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2)
    window.pause()
    views = window.views.views
    curves = next(view for view in views.values() if isinstance(view, CurvesView))
    scatter = views["latent"]
    title_size = curves.title_label.font().pointSizeF()
    pen_width = next(iter(curves.items.values())).opts["pen"].widthF()
    tick_size = curves.plot.getAxis("bottom").style["tickFont"].pointSizeF()
    point_size = scatter.scatter.opts["size"]
    window.presenter.set_factor(2.0)
    window.presenter.enter()
    assert curves.title_label.font().pointSizeF() == pytest.approx(2 * title_size)
    assert next(iter(curves.items.values())).opts["pen"].widthF() == pytest.approx(2 * pen_width)
    assert curves.plot.getAxis("bottom").style["tickFont"].pointSizeF() == pytest.approx(2 * tick_size)
    assert curves.plot.getAxis("bottom").label.font().pointSizeF() == pytest.approx(2 * tick_size)
    assert scatter.scatter.opts["size"] == pytest.approx(2 * point_size)
    window.presenter.leave()
    assert curves.title_label.font().pointSizeF() == pytest.approx(title_size)
    assert next(iter(curves.items.values())).opts["pen"].widthF() == pytest.approx(pen_width)
    assert scatter.scatter.opts["size"] == pytest.approx(point_size)


def test_the_presenter_scale_menu_applies_at_once(window):
    window.presenter.enter()
    window.actions_["presenter:2.5"].trigger()
    assert _style.scale() == 2.5 and window.actions_["presenter:2.5"].isChecked()
    window.actions_["presenter:1.25"].trigger()
    assert _style.scale() == 1.25
    window.presenter.leave()
    assert _style.scale() == 1.0 and window.presenter.factor == 1.25


def test_a_scale_outside_the_offered_range_is_refused(window):
    with pytest.raises(ValueError, match="between 1.25 and 2.5"):
        window.presenter.set_factor(3)


def _title_fits(title: TitleLabel) -> bool:
    """Whether a panel title is drawn whole: on one or two lines broken between its words (none
    cut with "…"), each line within the label's width, all of them within its height."""
    metrics = QFontMetrics(title.font())
    lines = title.shown_lines()
    height = metrics.height() + (len(lines) - 1) * metrics.lineSpacing()
    return (
        " ".join(lines) == " ".join(title.text().split())
        and all(metrics.horizontalAdvance(line) <= title.contentsRect().width() for line in lines)
        and height <= title.contentsRect().height()
    )


@pytest.mark.parametrize("lesson", ["autoencoder", "vae", "gan-2d"])
def test_in_presenter_mode_at_1920_by_1080_every_panel_title_fits(window, qtbot, lesson):
    window.select_lesson(lesson)
    window.form.apply_overrides({"batch_size": "16"})
    window.resize(1920, 1080)
    window.presenter.enter()
    window.controls.step_limit.setValue(3)
    window.train()
    qtbot.waitUntil(lambda: window.run_state == "finished" and window.rendered_step >= 3, timeout=30_000)
    qtbot.waitUntil(lambda: all(v.isVisible() for v in window.views.views.values()), timeout=5000)

    def clipped() -> list[str]:
        window.grab()  # lay everything out and paint
        titles = [view.title_label for view in window.views.views.values() if view.title_label.text()]
        return [title.text() for title in titles if not _title_fits(title)]

    # A legend finds its place beside or under the title once the panel has its size.
    qtbot.waitUntil(lambda: not clipped(), timeout=3000)


def test_in_presenter_mode_table_cells_and_headers_fit(qtbot):
    _style.set_scale(FACTOR)
    table = Table(
        "Held-out images at the threshold t = 0.0123",
        ["images", "count", "median s(x)", "flagged (%)"],
        [["normal digits", 4000, 0.01234, 5.0], ["digit 1 (unseen)", 500, 0.04321, 81.2]],
    )
    view = shown(qtbot, table)
    view.resize(900, 360)
    view.grab()
    widget = view.table
    metrics = QFontMetrics(widget.font())
    assert widget.font().pointSizeF() == pytest.approx(_style.font().pointSizeF())
    for row in range(widget.rowCount()):
        for column in range(widget.columnCount()):
            item = widget.item(row, column)
            rect = widget.visualItemRect(item)
            assert metrics.horizontalAdvance(item.text()) < rect.width(), item.text()
            assert metrics.height() <= rect.height(), item.text()
    header = widget.horizontalHeader()
    header_metrics = QFontMetrics(header.font())
    for column in range(widget.columnCount()):
        text = widget.horizontalHeaderItem(column).text()
        assert header_metrics.horizontalAdvance(text) < header.sectionSize(column), text
        assert header_metrics.height() <= header.height(), text


def test_in_presenter_mode_panels_keep_a_readable_size_and_the_area_scrolls(window, qtbot):
    window.select_lesson("vae")
    window.form.apply_overrides({"batch_size": "16"})
    window.resize(1920, 1080)
    window.controls.step_limit.setValue(2)
    window.train()
    qtbot.waitUntil(lambda: window.run_state == "finished" and window.rendered_step >= 2, timeout=30_000)
    window.presenter.enter()
    floor = MIN_PANEL_SIZE * FACTOR  # the text grew by FACTOR: so does the room each panel keeps

    def squashed() -> list[str]:
        window.grab()
        return [
            key
            for key, view in window.views.views.items()
            if view.height() < floor.height() or view.width() < floor.width()
        ]

    # The area scrolls rather than squeezing them.
    qtbot.waitUntil(
        lambda: not squashed() and window.views.scroll.verticalScrollBar().maximum() > 0, timeout=5000
    )
    window.presenter.leave()
    qtbot.waitUntil(lambda: min(v.minimumHeight() for v in window.views.views.values()) < floor.height())


def test_in_presenter_mode_at_1280_by_720_panels_reflow_into_fewer_columns_not_sideways(window, qtbot):
    window.resize(1280, 720)
    window.controls.step_limit.setValue(2)
    window.train()
    qtbot.waitUntil(lambda: window.run_state == "finished" and window.rendered_step >= 2, timeout=30_000)
    window.presenter.enter()
    scroll = window.views.scroll

    def fits() -> bool:
        window.grab()
        return scroll.horizontalScrollBar().maximum() == 0 and scroll.verticalScrollBar().maximum() > 0

    qtbot.waitUntil(fits, timeout=5000)  # the wide floors take fewer panels a row; the area scrolls down

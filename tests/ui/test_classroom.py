"""What a first classroom try found, each fixed: lesson switches start blank, figures are not cut,
window keys work from a settings field, sliders read like numbers."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSlider
from shown_views import shown
from window_waits import wait_for_step

from unsuplab.core.loop import Progress
from unsuplab.core.payloads import Bars, ImageGrid, PairedRows
from unsuplab.ui.view_area import ViewArea
from unsuplab.ui.views.base import MIN_IMAGE_PX
from unsuplab.viz.panels import PAD


def test_switching_lessons_clears_the_previous_lessons_panels_steps_and_drawing(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2, timeout=60_000)
    window.pad.canvas.stroke([(0.3, 0.2), (0.5, 0.8)])
    assert window.views.views and window.status.step_label.text() != "Step 0"
    assert not window.pad.canvas.is_empty()
    window.select_lesson("vae")
    # At once, before any Train: the new lesson's own empty state.
    assert window.views.views == {}
    assert window.views.currentWidget() is window.views.placeholder
    assert window.status.step_label.text() == "Step 0"
    assert window.last_snapshot is None and window.rendered_step == -1
    assert window.pad.canvas.is_empty()


def test_the_status_figures_are_never_cut(window):
    window.resize(1024, 700)
    window.status.show_progress(Progress(123_456, 7_901_184, 3725.0, 12_345.0, 790_080.0, 2_000_000))
    for label in (window.status.step_label, window.status.speed_label, window.status.time_label):
        needed = label.fontMetrics().horizontalAdvance(label.text())
        assert label.minimumWidth() >= needed, label.text()


def test_ctrl_e_exports_while_a_settings_field_has_focus(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    field = window.form.editors["learning_rate"]
    field.setFocus()
    qtbot.waitUntil(lambda: field.hasFocus() or field.lineEdit().hasFocus(), timeout=2000)
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    # The window's Export action ran (nothing to export yet, and it says so).
    assert "No view to export yet" in window.statusBar().currentMessage()


def test_a_slider_sets_a_value_with_the_sliders_own_decimals(window):
    window.select_lesson("anomaly-detection")
    box = window.form.editors["threshold_quantile"]
    slider = window.form.findChild(QSlider, "slider_threshold_quantile")
    for position in (1, 287, 643, 999):
        slider.setValue(position)
        assert len(f"{box.value():g}".split(".")[-1]) <= 4, box.value()
        assert box.text() == f"{box.value():g}"


def test_the_chosen_interpolation_ends_are_framed(qtbot):
    view = shown(
        qtbot, ImageGrid("Pick", np.zeros((30, 28, 28)), columns=10, click_command="pick", marked=[3, 17])
    )
    assert [f.rect().center().toTuple() for f in view.frames] == [
        (PAD + 3 * (28 + PAD) + 14, PAD + 14),
        (PAD + 7 * (28 + PAD) + 14, PAD + (28 + PAD) + 14),
    ]
    view.show_payload(ImageGrid("Pick", np.zeros((30, 28, 28)), columns=10, click_command="pick", marked=[]))
    assert view.frames == []


def test_a_strip_of_digits_keeps_a_readable_size_per_digit(qtbot):
    strip = ImageGrid("Interpolation", np.zeros((10, 28, 28)), columns=10)
    worst = PairedRows("Worst", {"input": np.zeros((10, 28, 28)), "output": np.zeros((10, 28, 28))})
    area = ViewArea()
    qtbot.addWidget(area)
    area.resize(400, 300)  # smaller than the strips need: the area scrolls
    area.show()
    area.show_payloads({"interpolation": strip, "worst": worst})
    for key, rows in (("interpolation", 1), ("worst", 2)):
        picture = area.views[key].graphics
        qtbot.waitUntil(lambda p=picture: p.width() >= 10 * MIN_IMAGE_PX, timeout=2000)
        assert picture.height() >= rows * MIN_IMAGE_PX
    assert area.scroll.horizontalScrollBar().maximum() > 0


def test_a_clickable_chart_keeps_a_slot_to_click_for_each_empty_category(qtbot):
    movies = ["Harry Potter", "Avatar", "LOTR 3", "Gladiator", "Titanic", "Glitter"]
    view = shown(
        qtbot, Bars("Liked", movies, {"liked": np.array([0, 0, 0, 1, 1, 0.0])}, click_command="toggle")
    )
    assert view.slots.isVisible()
    assert list(view.slots.opts["x"]) == [0, 1, 2, 5]
    # Every movie is named under its bar: the chart asks for the width that takes.
    widest = max(view.fontMetrics().horizontalAdvance(m) for m in movies)
    assert view.plot_widget.minimumWidth() >= len(movies) * widest

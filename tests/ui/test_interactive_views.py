"""The views of bars, histograms, matrices, fields and frames, and the clickable grids and planes:
what they draw, that updates reuse their items, and exactly which commands clicks, drags and
keys send."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPainter
from PySide6.QtWidgets import QApplication
from shown_views import legend_entries
from shown_views import shown as shown_view

from unsuplab.core.payloads import Bars, Field, Frame, Histogram, ImageGrid, Matrix, Scatter
from unsuplab.ui.views._style import DARK, LIGHT, PALETTE
from unsuplab.ui.views.field_view import arrow_segments
from unsuplab.ui.views.legend import DOT, SWATCH

RNG = np.random.default_rng(1)


def shown(qtbot, payload, dark: bool = True):
    """Dark unless asked, and settled: a legend fitted beside a plot re-fits its range after the
    first paint."""
    return shown_view(qtbot, payload, dark=dark, settle=True)


# -- synthetic mouse input, mapped from data coordinates through the view box ---------------------
def viewport_pos(graphics, box, x: float, y: float) -> QPoint:
    return graphics.mapFromScene(box.mapViewToScene(QPointF(x, y)))


def send_mouse(widget, kind: QEvent.Type, pos: QPoint, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def drag(qtbot, graphics, box, points: list[tuple[float, float]]) -> None:
    """Press at the first data point, move through the others, release at the last."""
    viewport = graphics.viewport()
    left = Qt.MouseButton.LeftButton
    positions = [viewport_pos(graphics, box, x, y) for x, y in points]
    send_mouse(viewport, QEvent.Type.MouseButtonPress, positions[0], left)
    for pos in positions[1:]:
        # pyqtgraph drops mouse moves closer than 10 ms (its mouseRateLimit): wait for it to listen.
        qtbot.waitUntil(graphics.scene()._moveEventIsAllowed, timeout=1000)
        send_mouse(viewport, QEvent.Type.MouseMove, pos, left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, positions[-1], Qt.MouseButton.NoButton)


def click(qtbot, graphics, box, x: float, y: float) -> None:
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=viewport_pos(graphics, box, x, y))


def centre(box) -> tuple[float, float]:
    (x0, x1), (y0, y1) = box.viewRange()
    return (x0 + x1) / 2, (y0 + y1) / 2


def recorder(view) -> list:
    sent = []
    view.command_requested.connect(lambda name, kwargs: sent.append((name, kwargs)))
    return sent


# -- bars -----------------------------------------------------------------------------------------
def q_values(highlight: int | None = 1, **extra) -> Bars:
    return Bars(
        "Q-values",
        ["noop", "left", "right", "fire"],
        {"Q": np.array([0.4, 1.2, 0.8, -0.3])},
        highlight=highlight,
        **extra,
    )


def test_one_series_of_bars_shows_the_highlight_in_the_accent_colour(qtbot):
    view = shown(qtbot, q_values(1))
    item = view.bar_items["Q"]
    colours = [b.color().name() for b in item.opts["brushes"]]
    assert colours[1] == DARK.accent and colours[0] == colours[2] == DARK.neutral
    np.testing.assert_allclose(item.opts["height"], [0.4, 1.2, 0.8, -0.3])
    assert [name for _, name in view.plot.getAxis("bottom")._tickLevels[0]] == [
        "noop",
        "left",
        "right",
        "fire",
    ]
    assert view.legend_label.isHidden()  # one series: the title says what the bars are
    view.show_payload(q_values(3))
    assert view.bar_items["Q"] is item
    assert item.opts["brushes"][3].color().name() == DARK.accent
    view.apply_theme(False)
    assert item.opts["brushes"][3].color().name() == LIGHT.accent


def test_several_series_of_bars_sit_side_by_side_with_a_legend(qtbot):
    payload = Bars(
        "Ratings",
        [f"movie {i}" for i in range(30)],
        {"predicted": RNG.random(30) * 5, "actual": RNG.random(30) * 5},
        highlight=4,
        y_range=(0.0, 5.0),
    )
    view = shown(qtbot, payload)
    first, second = view.bar_items["predicted"], view.bar_items["actual"]
    assert np.all(first.opts["x"] < second.opts["x"])  # grouped per category, in order
    assert first.opts["brushes"][0].color().name() == PALETTE[0].lower()
    assert view.band.isVisible()
    assert legend_entries(view) == [
        (SWATCH, first.opts["brushes"][0].color().name(), "predicted"),
        (SWATCH, second.opts["brushes"][0].color().name(), "actual"),
    ]
    low, high = view.plot.getViewBox().viewRange()[1]
    assert low < 0.01 and 4.99 < high < 5.2
    ticks = [name for _, name in view.plot.getAxis("bottom")._tickLevels[0]]
    assert ticks[0] == "movie 0" and len(ticks) < 30  # thinned, so the names never overlap


def test_a_few_long_category_names_are_all_shown_elided_rather_than_skipped(qtbot):
    movies = ["Harry Potter", "Avatar", "LOTR 3", "Gladiator", "Titanic", "Glitter"]
    view = shown(qtbot, Bars("New user", movies, {"liked": np.ones(6)}))
    view.resize(330, 300)
    qtbot.waitUntil(lambda: any(t.endswith("…") for _, t in view.plot.getAxis("bottom")._tickLevels[0]))
    ticks = [name for _, name in view.plot.getAxis("bottom")._tickLevels[0]]
    assert len(ticks) == 6  # one per movie
    assert any(t.endswith("…") for t in ticks)  # this narrow, some names are cut ...
    assert all(movie.startswith(t.rstrip("…")) for movie, t in zip(movies, ticks, strict=True))
    view.resize(900, 300)
    qtbot.waitUntil(lambda: [t for _, t in view.plot.getAxis("bottom")._tickLevels[0]] == movies)
    assert [name for _, name in view.plot.getAxis("bottom")._tickLevels[0]] == movies  # ... not here


def test_clicking_a_bar_sends_its_index_only_when_the_payload_asks(qtbot):
    view = shown(qtbot, q_values(click_command="choose"))
    sent = recorder(view)
    box = view.plot.getViewBox()
    click(qtbot, view.plot_widget, box, 2.0, 0.3)
    assert sent == [("choose", {"index": 2})]
    assert view.plot_widget.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor
    view.show_payload(q_values())
    click(qtbot, view.plot_widget, box, 2.0, 0.3)
    assert len(sent) == 1


# -- histogram ------------------------------------------------------------------------------------
def errors(threshold: float = 0.09, log_y: bool = False) -> Histogram:
    edges = np.linspace(0.0, 0.2, 21)
    return Histogram(
        "Reconstruction error",
        edges,
        {"normal": np.arange(20.0), "anomalies": np.r_[np.zeros(10), np.ones(10)]},
        x_label="error",
        markers={"threshold": threshold},
        log_y=log_y,
    )


def test_histograms_are_translucent_steps_on_shared_edges_with_labelled_markers(qtbot):
    view = shown(qtbot, errors())
    normal = view.items["normal"]
    assert normal.opts["stepMode"] == "center" and normal.opts["fillLevel"] == 0.0
    assert 0 < pg.mkBrush(normal.opts["fillBrush"]).color().alpha() < 255
    x, y = normal.getData()
    assert len(x) == 21 and len(y) == 20
    line = view.marker_lines["threshold"]
    assert line.value() == pytest.approx(0.09) and line.label.toPlainText() == "threshold"
    colour = {name: item.opts["pen"].color().name() for name, item in view.items.items()}
    assert legend_entries(view) == [
        (SWATCH, colour["normal"], "normal"),
        (SWATCH, colour["anomalies"], "anomalies"),
    ]
    view.show_payload(errors(0.12))
    assert view.marker_lines["threshold"] is line and line.value() == pytest.approx(0.12)
    assert view.items["normal"] is normal
    view.show_payload(dataclasses.replace(errors(), counts={"normal": np.ones(20)}))
    assert legend_entries(view) == []  # one distribution: the title says what it is


def test_histogram_log_scale_lifts_empty_bins_to_a_floor(qtbot):
    view = shown(qtbot, errors(log_y=True))
    assert view.log_y and view.plot.getAxis("left").logMode
    _, y = view.items["anomalies"].getData()  # log10 of the counts shown
    assert np.all(np.isfinite(y)) and y.min() == pytest.approx(np.log10(0.5))
    view.log_y_box.setChecked(False)
    view.show_payload(errors(log_y=True))  # the user's choice wins over the payload's
    assert not view.log_y


# -- matrix ---------------------------------------------------------------------------------------
def confusion(scale: float = 1.0) -> Matrix:
    values = scale * (np.diag(np.full(10, 900.0)) + np.ones((10, 10)) - np.eye(10))
    labels = [str(d) for d in range(10)]
    return Matrix("Cluster vs digit", values, labels, labels, "true digit", "predicted digit")


def test_matrix_writes_each_number_in_a_colour_that_reads_on_its_cell(qtbot):
    view = shown(qtbot, confusion(), dark=False)
    assert len(view.cell_texts) == 100
    assert view.cell_texts[0].toPlainText() == "900" and view.cell_texts[1].toPlainText() == "1"
    # Light theme: a dark number on a pale empty cell, a white one on the accent-coloured peak.
    assert view.cell_texts[1].color.lightness() < 60
    assert view.cell_texts[0].color.lightness() > 200
    assert view.image_item.image.shape == (10, 10)
    assert view.plot.getAxis("left").labelText == "true digit"
    texts = list(view.cell_texts)
    view.show_payload(confusion(2.0))
    assert view.cell_texts == texts and texts[0].toPlainText() == "1800"


# -- field ----------------------------------------------------------------------------------------
def gan_field(draw: str | None = None, shift: float = 0.0) -> Field:
    heat = np.linspace(0.0, 1.0, 30 * 40).reshape(30, 40)
    fake = RNG.normal(size=(50, 2)) + shift
    return Field(
        "D(x)",
        heat,
        (-3.0, 3.0, -2.0, 2.0),
        {"real": RNG.normal(size=(80, 2)), "generated": fake},
        arrows=(fake[:10], -fake[:10]),
        heat_label="D(x)",
        draw_command=draw,
    )


def test_field_places_the_heat_on_its_extent_under_the_points_and_arrows(qtbot):
    view = shown(qtbot, gan_field())
    rect = view.heat_item.mapRectToView(view.heat_item.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx((-3.0, 3.0, -2.0, 2.0))
    assert view.heat_item.zValue() < view.point_items["real"].zValue()
    assert len(view.point_items["real"].data) == 80
    x, _ = view.arrow_item.getData()
    assert len(x) == 10 * 6  # shaft and two barbs per arrow, one item for all
    assert view.heat_at(2.99, 1.99) == pytest.approx(1.0) and view.heat_at(-2.99, -1.99) == 0.0
    assert view.draw_button.isHidden()
    colour = {name: item.opts["brush"].color().name() for name, item in view.point_items.items()}
    assert legend_entries(view) == [(DOT, colour["real"], "real"), (DOT, colour["generated"], "generated")]
    items = (view.heat_item, view.point_items["real"], view.arrow_item)
    view.show_payload(gan_field(shift=1.0))
    assert (view.heat_item, view.point_items["real"], view.arrow_item) == items


def test_arrows_keep_their_proportions_and_the_longest_has_the_given_span():
    segments = arrow_segments(np.zeros((2, 2)), np.array([[2.0, 0.0], [0.0, 1.0]]), span=0.5)
    tips = segments.reshape(2, 6, 2)[:, 1]
    np.testing.assert_allclose(tips, [[0.5, 0.0], [0.0, 0.25]])
    assert arrow_segments(np.zeros((0, 2)), np.zeros((0, 2)), span=1.0).shape == (0, 2)


def test_drawing_data_sends_the_stroke_in_data_coordinates_then_stops(qtbot):
    view = shown(qtbot, gan_field(draw="add_data"))
    sent = recorder(view)
    assert view.draw_button.isVisible()
    box = view.view_box
    before = box.viewRange()
    stroke = [(-1.0, -1.0), (-0.5, -0.5), (0.0, 0.0), (0.5, 0.5), (1.0, 1.0)]
    drag(qtbot, view.graphics, box, stroke)
    assert sent == []  # drawing is off: the drag panned the plane
    assert box.viewRange() != before

    view.draw_button.click()
    assert view.drawing
    drag(qtbot, view.graphics, box, stroke)
    assert len(sent) == 1 and sent[0][0] == "add_data"
    points = np.array(sent[0][1]["points"])
    assert len(points) == 5
    np.testing.assert_allclose(points, stroke, atol=0.05)
    assert not view.drawing and view.stroke == []


def test_escape_cancels_drawing_without_sending(qtbot):
    view = shown(qtbot, gan_field(draw="add_data"))
    sent = recorder(view)
    view.draw_button.click()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not view.drawing
    drag(qtbot, view.graphics, view.view_box, [(0.0, 0.0), (1.0, 1.0)])
    assert sent == []


# -- frame ----------------------------------------------------------------------------------------
def game(play: bool = True, value: float = 0.9) -> Frame:
    image = np.zeros((10, 10, 3))
    image[9, 4] = (value, 0.8, 0.2)
    image[0, 0] = (0.2, 0.4, 0.9)
    return Frame(
        "Breakout",
        image,
        caption="return 3",
        play_command="act" if play else None,
        key_actions={"Left": 1, "Right": 2, "Space": 3},
        idle_action=0,
        tick_ms=20,
    )


def test_frame_is_an_upright_crisp_colour_picture_with_its_caption(qtbot):
    view = shown(qtbot, game(play=False))
    shown_pixels = view.image_item.image
    assert shown_pixels.shape == (10, 10, 3) and tuple(shown_pixels[9, 4]) == (230, 204, 51)
    hints = view.graphics.renderHints()
    assert not hints & QPainter.RenderHint.SmoothPixmapTransform
    assert view.caption_label.text() == "return 3" and view.play_button.isHidden()
    item = view.image_item
    view.show_payload(game(play=False, value=0.5))
    assert view.image_item is item and tuple(item.image[9, 4]) == (128, 204, 51)


def test_playing_sends_the_held_keys_action_every_tick(qtbot):
    view = shown(qtbot, game())
    sent = recorder(view)
    assert view.play_button.isVisible() and "Left" in view.play_button.toolTip()
    view.play_button.click()
    assert view.playing and view.play_timer.isActive() and view.play_timer.interval() == 20
    qtbot.waitUntil(lambda: len(sent) >= 1, timeout=1000)
    assert sent[0] == ("act", {"action": 0})  # nothing held: the idle action
    qtbot.keyPress(view, Qt.Key.Key_Left)
    qtbot.keyPress(view, Qt.Key.Key_Space)  # the last pressed of the held keys wins
    count = len(sent)
    qtbot.waitUntil(lambda: len(sent) > count, timeout=1000)
    assert sent[-1] == ("act", {"action": 3})
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    count = len(sent)
    qtbot.waitUntil(lambda: len(sent) > count, timeout=1000)
    assert sent[-1] == ("act", {"action": 1})
    assert {name for name, _ in sent} == {"act"}


def test_play_stops_on_the_toggle_on_escape_and_on_losing_focus(qtbot):
    view = shown(qtbot, game())
    view.play_button.click()
    view.play_button.click()
    assert not view.playing and not view.play_timer.isActive()
    view.play_button.click()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not view.playing and not view.play_timer.isActive()
    view.play_button.click()
    view.focusOutEvent(_focus_out())
    assert not view.playing
    view.show_payload(game(play=False))  # a payload that cannot be played hides the toggle
    assert view.play_button.isHidden()


def _focus_out():
    from PySide6.QtGui import QFocusEvent

    return QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.ActiveWindowFocusReason)


def test_a_bound_key_is_the_games_not_a_window_shortcut_while_playing(qtbot):
    from PySide6.QtGui import QKeyEvent

    view = shown(qtbot, game())
    override = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ")
    view.event(override)
    assert not override.isAccepted()  # not playing: Space still trains/pauses
    view.play_button.click()
    override = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ")
    view.event(override)
    assert override.isAccepted()


# -- clickable image grids and planes -------------------------------------------------------------
def test_clicking_a_tile_sends_its_index(qtbot):
    payload = ImageGrid("Queries", RNG.random((12, 8, 8)), columns=4, click_command="query")
    view = shown(qtbot, payload)
    sent = recorder(view)
    # Tile 6 is row 1, column 2: pixels start at 1 + 2 * 9 across and 1 + 1 * 9 down.
    click(qtbot, view.graphics, view.view_box, 1 + 2 * 9 + 4, 1 + 9 + 4)
    click(qtbot, view.graphics, view.view_box, 0.2, 0.2)  # a separator: no tile
    assert sent == [("query", {"index": 6})]
    view.show_payload(dataclasses.replace(payload, click_command=None))
    click(qtbot, view.graphics, view.view_box, 5, 5)
    assert len(sent) == 1


def plane(command: str | None = "decode") -> Scatter:
    points = np.array([[0.0, 0.0], [4.0, 4.0], [4.0, 0.0], [0.0, 4.0]])
    return Scatter("Latent space", points, np.arange(4), plane_command=command)


def test_clicking_the_empty_plane_asks_about_that_point_and_marks_it(qtbot):
    view = shown(qtbot, plane())
    sent = recorder(view)
    box = view.plot.getViewBox()
    click(qtbot, view.graphics, box, 2.0, 1.5)
    assert len(sent) == 1 and sent[0][0] == "decode"
    assert sent[0][1]["x"] == pytest.approx(2.0, abs=0.05)
    assert sent[0][1]["y"] == pytest.approx(1.5, abs=0.05)
    np.testing.assert_allclose(view.crosshair.data["x"], [sent[0][1]["x"]])
    click(qtbot, view.graphics, box, 4.0, 4.0)  # on a point: inspect, as before
    assert sent[-1] == ("inspect", {"index": 1})


def test_dragging_on_the_plane_is_throttled_and_ends_on_the_last_position(qtbot):
    view = shown(qtbot, plane())
    sent = recorder(view)
    box = view.plot.getViewBox()
    before = centre(box)
    path = [(1.0 + 0.1 * k, 1.0 + 0.05 * k) for k in range(20)]
    start = time.monotonic()
    drag(qtbot, view.graphics, box, path)
    elapsed = time.monotonic() - start
    assert centre(box) == pytest.approx(before, abs=0.05)  # it asked the model: no panning
    # About 15 a second at most (and the last position on release), not one per move.
    assert 2 <= len(sent) <= elapsed * 15 + 2 < len(path)
    assert sent[-1][1]["x"] == pytest.approx(path[-1][0], abs=0.05)
    assert sent[-1][1]["y"] == pytest.approx(path[-1][1], abs=0.05)


def test_without_a_plane_command_dragging_pans_and_sends_nothing(qtbot):
    view = shown(qtbot, plane(None))
    sent = recorder(view)
    box = view.plot.getViewBox()
    before = centre(box)
    drag(qtbot, view.graphics, box, [(1.0, 1.0), (2.0, 2.0), (3.0, 2.5)])
    click(qtbot, view.graphics, box, 2.0, 1.5)
    assert sent == [] and centre(box) == pytest.approx(np.subtract(before, (2.0, 1.5)), abs=0.1)


@pytest.mark.parametrize(
    "payload",
    [
        Bars("Q", ["a", "b"], {"Q": np.array([0.1, 0.3])}),
        Histogram("h", np.linspace(0, 1, 5), {"x": np.ones(4)}),
        Matrix("m", np.eye(2), ["a", "b"], ["a", "b"]),
        ImageGrid("g", np.zeros((4, 8, 8))),
    ],
    ids=["bars", "histogram", "matrix", "image grid"],
)
def test_the_hover_line_goes_blank_when_the_pointer_leaves_the_panel(qtbot, payload):
    view = shown_view(qtbot, payload)
    view.hover_label.setText("under the mouse")
    QApplication.sendEvent(view, QEvent(QEvent.Type.Leave))
    assert view.hover_label.text() == ""


def test_while_drawing_data_the_field_keeps_its_read_out_when_the_pointer_leaves(qtbot):
    view = shown_view(qtbot, gan_field(draw="draw"))
    view.draw_button.setChecked(True)
    view.hover_label.setText("12 points drawn")
    QApplication.sendEvent(view, QEvent(QEvent.Type.Leave))
    assert view.hover_label.text() == "12 points drawn"
    view.draw_button.setChecked(False)
    QApplication.sendEvent(view, QEvent(QEvent.Type.Leave))
    assert view.hover_label.text() == ""


def test_matrix_column_names_never_overlap_and_are_whole_when_there_is_room(qtbot):
    users = ["Alice", "Bob", "Carol", "David", "Eric", "Fred", "user 7", "user 8"]
    view = shown(qtbot, Matrix("Likes", np.eye(6, 8), [f"movie {i}" for i in range(6)], users))
    axis = view.plot.getAxis("bottom")
    metrics = view.fontMetrics()
    for width, whole in ((260, False), (1400, True)):
        view.resize(width, 400)
        qtbot.waitUntil(lambda whole=whole: ([t for _, t in axis._tickLevels[0]] == users) is whole)
        ticks = axis._tickLevels[0]
        column = view.plot.getViewBox().width() / len(users)
        spacing = column * min(b - a for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False))
        assert max(metrics.horizontalAdvance(text) for _, text in ticks) < spacing
        assert ([text for _, text in ticks] == users) is whole


def test_a_click_inspects_the_hovered_point_even_if_the_map_moved_and_hides_the_card(qtbot):
    view = shown(qtbot, plane(command=None))
    sent = recorder(view)
    box = view.plot.getViewBox()
    graphics = view.graphics
    send_mouse(
        graphics.viewport(),
        QEvent.Type.MouseMove,
        viewport_pos(graphics, box, 4.0, 4.0),
        Qt.MouseButton.NoButton,
    )
    qtbot.waitUntil(lambda: view.hovered == 1, timeout=1000)
    assert view.inset.isVisible()
    # A snapshot re-lays out the map: point 3 now sits where point 1 was hovered.
    moved = np.array([[0.0, 0.0], [0.0, 4.0], [4.0, 0.0], [4.0, 4.0]])
    view.show_payload(Scatter("Latent space", moved, np.arange(4)))
    click(qtbot, graphics, box, 4.0, 4.0)
    assert sent == [("inspect", {"index": 1})]
    assert not view.inset.isVisible()

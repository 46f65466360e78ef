"""The interactive tools: the drawing pad, the clicked latent point and the t-SNE button, against a
real worker."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from window_waits import wait_for_state, wait_for_step

from unsuplab.core.payloads import PairedRows
from unsuplab.ui.drawing_pad import NO_MODEL, REQUEST_INTERVAL_MS, DrawingPad

SEVEN = ([(70, 60), (200, 60)], [(200, 60), (170, 130), (140, 220)])


def mouse(
    widget, kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton = Qt.MouseButton.LeftButton
) -> None:
    """Deliver one mouse event to `widget` as the window system would."""
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(
        kind,
        QPointF(x, y),
        widget.mapToGlobal(QPointF(x, y)),
        button if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def drag(
    qtbot, canvas, points, pause_ms: int = 0, button: Qt.MouseButton = Qt.MouseButton.LeftButton
) -> None:
    mouse(canvas, QEvent.Type.MouseButtonPress, *points[0], button)
    for x, y in points[1:]:
        mouse(canvas, QEvent.Type.MouseMove, x, y, button)
        if pause_ms:
            qtbot.wait(pause_ms)
    mouse(canvas, QEvent.Type.MouseButtonRelease, *points[-1], button)


def draw_seven(pad: DrawingPad) -> None:
    for stroke in SEVEN:
        pad.canvas.stroke(stroke)


class EchoModel:
    """Stands in for the worker: records each request and answers it after `delay_ms` (or never)."""

    def __init__(self, qtbot, pad: DrawingPad, delay_ms: int | None = 5):
        self.qtbot, self.pad, self.delay_ms = qtbot, pad, delay_ms
        self.requests: list[np.ndarray] = []
        pad.command_requested.connect(self.receive)

    def receive(self, name: str, kwargs: dict) -> None:
        assert name == "reconstruct"
        image = kwargs["image"]
        self.requests.append(image)
        if self.delay_ms is not None:
            QTimer.singleShot(
                self.delay_ms,
                lambda: self.pad.show_result(
                    PairedRows(
                        "Your drawing and its reconstruction",
                        {"input": image[None], "reconstruction": 1.0 - image[None]},
                    )
                ),
            )


@pytest.fixture
def pad(qtbot):
    pad = DrawingPad()
    qtbot.addWidget(pad)
    pad.show()
    pad.set_image_shape((28, 28))
    return pad


# -- the pad on its own ----------------------------------------------------------------------------
def test_many_mouse_moves_send_few_requests_and_the_last_is_the_final_drawing(qtbot, pad):
    model = EchoModel(qtbot, pad)
    points = [(40 + 2 * k, 40 + 1.5 * k) for k in range(120)]
    started = time.monotonic()
    drag(qtbot, pad.canvas, points, pause_ms=2)
    elapsed_ms = (time.monotonic() - started) * 1000
    qtbot.waitUntil(lambda: not pad._dirty and not pad._in_flight, timeout=3000)
    qtbot.waitUntil(lambda: not pad._timer.isActive(), timeout=1000)  # no send coming
    sent = len(model.requests)
    print(f"{len(points)} moves in {elapsed_ms:.0f} ms: {sent} requests")
    # At most one request per interval of the drag's real duration (a loaded machine drags
    # slower and may send more in all; a fixed share of the moves flaked at load 15).
    assert sent <= elapsed_ms / REQUEST_INTERVAL_MS + 3
    assert sent < len(points)
    # ... yet a model that answers at once sees the drawing grow, not only its end
    assert sent >= min(3, elapsed_ms / REQUEST_INTERVAL_MS / 4)
    np.testing.assert_array_equal(model.requests[-1], pad.model_input()[1])
    assert pad.result.labels == ["input", "reconstruction"]


def test_only_one_request_waits_for_an_answer_at_a_time(qtbot, pad):
    model = EchoModel(qtbot, pad, delay_ms=None)  # a model busy with a long step
    pad.canvas.stroke(SEVEN[0])
    qtbot.waitUntil(lambda: len(model.requests) == 1, timeout=2000)
    pad.canvas.stroke(SEVEN[1])
    # The pad holds the newer drawing back: its timer now covers a reply that may never come.
    qtbot.waitUntil(lambda: pad._timer.remainingTime() > REQUEST_INTERVAL_MS, timeout=1000)
    assert len(model.requests) == 1  # the newer drawing waits instead of piling up
    pad.show_result(
        PairedRows("answer", {"input": model.requests[0][None], "reconstruction": model.requests[0][None]})
    )
    qtbot.waitUntil(lambda: len(model.requests) == 2, timeout=2000)
    np.testing.assert_array_equal(model.requests[1], pad.model_input()[1])


def test_an_empty_canvas_sends_nothing(qtbot, pad):
    model = EchoModel(qtbot, pad)
    pad.clear()
    drag(qtbot, pad.canvas, [(100, 100), (101, 100)], button=Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: not pad._timer.isActive(), timeout=1000)  # no send coming
    assert model.requests == [] and pad.canvas.is_empty()
    draw_seven(pad)
    qtbot.waitUntil(lambda: len(model.requests) == 1, timeout=2000)
    qtbot.waitUntil(lambda: bool(pad.result.images), timeout=2000)
    pad.clear_button.click()
    assert pad.canvas.is_empty() and pad.result.images == []
    qtbot.waitUntil(lambda: not pad._timer.isActive(), timeout=1000)  # no send coming
    assert len(model.requests) == 1


def test_the_mouse_draws_and_the_right_button_or_eraser_erases(qtbot, pad):
    drag(qtbot, pad.canvas, [(60, 140), (220, 140)])
    assert pad.canvas.ink()[140, 60:220].min() == 1.0
    drag(qtbot, pad.canvas, [(40, 140), (240, 140)], button=Qt.MouseButton.RightButton)
    assert pad.canvas.is_empty()
    drag(qtbot, pad.canvas, [(140, 40), (140, 240)])
    pad.erase_button.click()
    drag(qtbot, pad.canvas, [(140, 20), (140, 260)])
    assert pad.canvas.is_empty()


def test_add_noise_changes_the_sent_image_and_shows_the_clean_drawing_too(qtbot, pad):
    model = EchoModel(qtbot, pad)
    draw_seven(pad)
    qtbot.waitUntil(lambda: len(model.requests) == 1 and not pad._in_flight, timeout=2000)
    clean = model.requests[0]
    pad.noise_button.click()
    qtbot.waitUntil(lambda: len(model.requests) == 2, timeout=2000)
    noisy = model.requests[1]
    assert noisy.shape == clean.shape and noisy.dtype == np.float32
    assert not np.array_equal(noisy, clean)
    assert np.all(noisy <= clean) and noisy.sum() < 0.9 * clean.sum()  # 25 % masking removes ink
    qtbot.waitUntil(
        lambda: pad.result.labels == ["your digit", "noisy input", "reconstruction"], timeout=2000
    )
    np.testing.assert_array_equal(pad.result.images[0], clean)


def test_without_a_model_the_pad_waits_and_says_why(qtbot):
    pad = DrawingPad()
    qtbot.addWidget(pad)
    model = EchoModel(qtbot, pad)
    draw_seven(pad)
    qtbot.waitUntil(lambda: not pad._timer.isActive(), timeout=1000)  # no send coming
    assert model.requests == [] and pad.caption.text() == NO_MODEL
    pad.set_image_shape((8, 8))  # a digits model appears: the drawing made before goes out
    qtbot.waitUntil(lambda: len(model.requests) == 1, timeout=2000)
    assert model.requests[0].shape == (8, 8)


# -- the pad in the window, against a real worker --------------------------------------------------
def wait_for_answer(qtbot, win, after: int = 0, timeout: int = 10_000) -> None:
    """Wait until the pad has sent more than `after` requests and shows the newest answer."""
    qtbot.waitUntil(
        lambda: (
            win.pad.requests_sent > after
            and not win.pad._in_flight
            and not win.pad._dirty
            and bool(win.pad.result.images)
        ),
        timeout=timeout,
    )


def test_a_drawing_reaches_the_autoencoder_and_its_reconstruction_appears(window, qtbot):
    assert window.pad_dock.isVisible()
    draw_seven(window.pad)
    qtbot.waitUntil(lambda: not window.pad._timer.isActive(), timeout=1000)  # no send coming
    assert window.pad.requests_sent == 0  # no model yet
    window.step_once()
    wait_for_answer(qtbot, window)  # the drawing made before training is sent once there is one
    assert window.run_state == "paused"
    labels, images = window.pad.result.labels, window.pad.result.images
    assert labels == ["input", "reconstruction"]
    np.testing.assert_array_equal(images[0], window.pad.model_input()[1])
    assert images[1].shape == (28, 28) and images[1].min() >= 0.0 and images[1].max() <= 1.0
    assert "drawing" not in window.views.views  # the answer is in the pad, not a new panel


def test_the_pad_answers_while_training_and_after_the_run_finished(window, qtbot):
    window.controls.step_limit.setValue(0)
    window.train()
    wait_for_step(qtbot, window, 2)
    assert window.run_state == "running"
    draw_seven(window.pad)
    wait_for_answer(qtbot, window)
    assert window.run_state == "running"

    window.controls.step_limit.setValue(window.rendered_step + 5)
    wait_for_state(qtbot, window, "finished")
    sent = window.pad.requests_sent
    window.pad.canvas.stroke([(60, 200), (220, 200)])
    wait_for_answer(qtbot, window, after=sent)
    np.testing.assert_array_equal(window.pad.result.images[0], window.pad.model_input()[1])


def test_the_pad_is_only_offered_by_lessons_that_draw(window, qtbot, monkeypatch):
    from unsuplab.experiments.pca import PrincipalComponentAnalysis

    monkeypatch.setattr(PrincipalComponentAnalysis, "tools", ())
    window.select_lesson("pca")
    assert not window.pad_dock.isVisible()
    assert not window.pad_dock.toggleViewAction().isEnabled()
    window.select_lesson("denoising-autoencoder")
    assert window.pad_dock.isVisible()
    # "Add noise" applies the lesson's own corruption
    defaults = window.lesson.Config()
    assert (window.pad.noise_kind, window.pad.noise_level) == (defaults.corruption, defaults.corruption_level)


def test_a_digits_lesson_gets_8x8_inputs(window, qtbot):
    window.form.apply_overrides({"dataset": "digits", "code_size": "8"})
    window.step_once()
    wait_for_step(qtbot, window, 1)
    assert window.pad.image_shape == (8, 8)
    draw_seven(window.pad)
    wait_for_answer(qtbot, window)
    assert [image.shape for image in window.pad.result.images] == [(8, 8), (8, 8)]


# -- the latent map: clicking a point and the t-SNE button -----------------------------------------
def click_point(qtbot, view, index: int) -> None:
    scene = view.plot.getViewBox().mapViewToScene(QPointF(*view.points[index]))
    qtbot.mouseClick(
        view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view.graphics.mapFromScene(scene)
    )


def test_clicking_a_latent_point_shows_its_image_and_reconstruction(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    latent = window.views.views["latent"]
    latent.grab()  # a first paint fits the view to the points
    click_point(qtbot, latent, 5)
    qtbot.waitUntil(latent.inspect_card.isVisible, timeout=5000)
    assert latent.selected == 5
    assert latent.inspect_strip.labels == ["input", "reconstruction"]
    assert "Held-out image" in latent.inspect_caption.text()
    thumbnail = window.last_snapshot.payloads["latent"].thumbnails[5]
    np.testing.assert_allclose(latent.inspect_strip.images[0], thumbnail)
    assert "inspected" not in window.views.views  # pinned beside the map, not a new strip
    np.testing.assert_allclose(latent.marker.data["x"], [latent.points[5, 0]])


def test_the_tsne_button_adds_a_scatter_panel_of_the_codes(window, qtbot, monkeypatch):
    from unsuplab.experiments import _image_autoencoder

    monkeypatch.setattr(_image_autoencoder, "LATENT_POINTS", 120)  # t-SNE of 500 takes seconds
    window.step_once()
    wait_for_step(qtbot, window, 1)
    latent = window.views.views["latent"]
    button = window.tsne.button
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert latent.busy_label.isVisible()
    assert latent.busy_label.text() == "computing t-SNE of 120 codes…"
    assert not button.isEnabled()  # one at a time
    qtbot.waitUntil(lambda: "latent_tsne" in window.views.views, timeout=60_000)
    tsne = window.views.views["latent_tsne"]
    assert tsne.kind == "scatter" and tsne.points.shape == (120, 2)
    assert np.all(np.isfinite(tsne.points)) and tsne.thumbnails is not None
    assert "t-SNE" in tsne.title_label.text() and "step 1" in tsne.title_label.text()
    assert not latent.busy_label.isVisible() and button.isEnabled()
    # hovering a t-SNE point shows its thumbnail, as on the latent map
    tsne.grab()
    scene = tsne.plot.getViewBox().mapViewToScene(QPointF(*tsne.points[7]))
    tsne.graphics.scene().sigMouseMoved.emit(scene)
    assert tsne.hovered is not None and tsne.inset.isVisible()


def test_the_tsne_button_is_only_on_lessons_that_offer_it(window, qtbot, monkeypatch):
    from unsuplab.experiments.autoencoder import Autoencoder

    monkeypatch.setattr(Autoencoder, "tools", ("draw",))
    window.select_lesson("sparse-autoencoder")
    window.select_lesson("autoencoder")  # selected afresh, with its tools as now declared
    window.form.apply_overrides({"batch_size": "16"})
    window.step_once()
    wait_for_step(qtbot, window, 1)
    assert "latent" in window.views.views
    assert window.tsne.button is not None and not window.tsne.button.isVisible()
    window.tsne.request()
    assert not window.tsne.busy
    assert window.pad_dock.isVisible()


def test_a_failing_probe_frees_the_pad_and_the_tsne_button(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    experiment = window.worker.experiment

    def broken(*_args, **_kwargs):
        raise RuntimeError("no answer today")

    experiment._reconstruct_drawing = broken  # test-only sabotage of the worker's probes
    experiment._tsne_map = broken
    draw_seven(window.pad)
    qtbot.waitUntil(lambda: window.pad.requests_sent == 1, timeout=5000)
    qtbot.waitUntil(lambda: not window.pad._in_flight, timeout=1500)  # well before the timeout
    assert any("reconstruct failed: no answer today" in line for line in window.log.lines())
    window.tsne.request()
    assert window.tsne.busy
    qtbot.waitUntil(lambda: not window.tsne.busy, timeout=5000)
    assert window.tsne.button.isEnabled() and "latent_tsne" not in window.views.views

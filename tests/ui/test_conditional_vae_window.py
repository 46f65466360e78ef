"""The conditional VAE in the window: a digit chooser beside the latent plane, named for a screen
reader, whose choice reaches the model as a request and comes back as the decoded picture."""

import dataclasses

import numpy as np
from PySide6.QtCore import QPointF, Qt
from shown_views import shown
from window_waits import wait_for_step

from unsuplab.core.payloads import Scatter
from unsuplab.ui.main_window import MainWindow


def digit_plane(chosen: int = 0) -> Scatter:
    points = np.array([[0.0, 0.0], [4.0, 4.0], [4.0, 0.0], [0.0, 4.0]])
    digits = [str(k) for k in range(10)]
    return Scatter(
        "z",
        points,
        np.arange(4),
        plane_command="decode",
        plane_choices=digits,
        plane_choice_title="Digit y",
        plane_choice=chosen,
    )


def test_every_plane_request_carries_the_chosen_digit_and_a_new_choice_asks_again(qtbot):
    view = shown(qtbot, digit_plane(chosen=3))
    sent = []
    view.command_requested.connect(lambda name, kwargs: sent.append((name, kwargs)))
    assert view.choice_box.isVisible() and view.choice_box.currentIndex() == 3
    scene = view.view_box.mapViewToScene(QPointF(2.0, 1.5))
    qtbot.mouseClick(
        view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view.graphics.mapFromScene(scene)
    )
    assert sent[-1][0] == "decode" and sent[-1][1]["choice"] == 3
    where = (sent[-1][1]["x"], sent[-1][1]["y"])
    view.choice_box.setCurrentIndex(8)
    assert sent[-1] == ("decode", {"x": where[0], "y": where[1], "choice": 8})
    # A snapshot taken before the choice reached the model does not undo it.
    view.show_payload(digit_plane(chosen=3))
    assert view.choice_box.currentIndex() == 8
    view.show_payload(dataclasses.replace(digit_plane(), plane_choices=None))
    assert view.choice_box.isHidden()


def test_choosing_a_digit_beside_the_latent_plane_redraws_the_decoded_point_as_that_digit(qtbot):
    window = MainWindow(lesson="vae", dark=True)
    qtbot.addWidget(window)
    window.form.apply_overrides({"batch_size": "32", "hidden": "64", "conditional": "true"})
    window.show()
    try:
        window.train()
        wait_for_step(qtbot, window, 3, timeout=60_000)
        plane = window.views.views["latent"]
        chooser = plane.choice_box
        assert chooser.isVisible() and chooser.accessibleName() == "Digit y"
        assert [chooser.itemText(i) for i in range(chooser.count())] == [str(k) for k in range(10)]
        assert plane.choice_label.text() == "Digit y:" and plane.choice_label.buddy() is chooser

        def decoded(digit: int):
            """The decoded picture once the answer for `digit` is shown, else None."""
            view = window.views.views.get("decoded")
            if view is None or not view.title_label.text().endswith(f"y = {digit}"):
                return None
            return view._images.copy()

        chooser.setCurrentIndex(7)  # no point asked yet: the plane's centre is decoded
        qtbot.waitUntil(lambda: decoded(7) is not None, timeout=10_000)
        seven = decoded(7)
        assert plane.plane_point is not None and len(plane.crosshair.data) == 1
        chooser.setCurrentIndex(2)  # the same point, another digit
        qtbot.waitUntil(lambda: decoded(2) is not None, timeout=10_000)
        assert np.abs(decoded(2) - seven).max() > 1e-3
        qtbot.waitUntil(lambda: "y = 2" in window.views.views["manifold"].title_label.text(), timeout=10_000)
    finally:
        window.shutdown()

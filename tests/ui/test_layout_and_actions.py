"""Where the window puts each kind of panel and a probe's answers, and the lesson's action buttons."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QSplitter
from window_waits import wait_for_step

from unsuplab.core.payloads import Bars, Curves, Frame, Histogram, ImageGrid, Matrix
from unsuplab.experiments.autoencoder import Autoencoder
from unsuplab.ui.lesson_actions import LessonActions
from unsuplab.ui.view_area import ViewArea, reads_as_strip


def game_panels() -> dict:
    steps = np.arange(10)
    return {
        "game": Frame("Breakout", np.zeros((10, 10, 3))),
        "q_values": Bars("Q-values", ["noop", "left"], {"Q": np.array([0.1, 0.3])}, highlight=1),
        "curves:return": Curves("Return", {"return": (steps, steps * 1.0)}),
        "errors": Histogram("TD errors", np.linspace(0, 1, 5), {"td": np.ones(4)}),
        "confusion": Matrix("Confusion", np.eye(2), ["a", "b"], ["a", "b"]),
    }


def test_one_picture_takes_the_left_and_the_small_charts_stack_beside_it(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    panels = game_panels()
    area.show_payloads({key: panels[key] for key in ("game", "q_values", "curves:return", "errors")})
    top = area._page.widget(0)
    assert isinstance(top, QSplitter) and top.widget(0) is area.views["game"]
    column = top.widget(1)
    assert [column.widget(i) for i in range(column.count())] == [
        area.views[key] for key in ("q_values", "curves:return", "errors")
    ]


def test_more_than_three_charts_beside_one_picture_go_two_abreast(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    area.show_payloads(game_panels())
    top = area._page.widget(0)
    assert top.widget(0) is area.views["game"]
    rows = top.widget(1)
    beside = [[rows.widget(r).widget(i) for i in range(rows.widget(r).count())] for r in range(rows.count())]
    assert beside == [
        [area.views["q_values"], area.views["curves:return"]],
        [area.views["errors"], area.views["confusion"]],
    ]


def test_a_probe_answer_joins_the_bottom_row_and_keeps_its_panel_when_answered_again(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    area.show_payloads(game_panels())
    area.show_probe_payloads({"neighbours": ImageGrid("Neighbours", np.zeros((5, 8, 8)))})
    page = area._page
    top, bottom = page.widget(0), page.widget(page.count() - 1)
    assert top.widget(0) is area.views["game"]  # the lesson's own panels stay where they were
    assert bottom.widget(bottom.count() - 1) is area.views["neighbours"]
    view = area.views["neighbours"]
    area.show_probe_payloads({"neighbours": ImageGrid("Neighbours", np.ones((5, 8, 8)))})
    area.show_payloads(game_panels())
    assert area._page is page and area.views["neighbours"] is view  # no relayout, no new panel
    assert view.image_item.image.max() == 255


def test_a_grid_much_wider_than_tall_runs_along_the_bottom_and_leaves_the_charts_room(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    steps = np.arange(10)
    area.show_payloads(
        {
            "curves:loss": Curves("Loss", {"loss": (steps, steps * 1.0)}),
            "confusion": Matrix("Confusion", np.eye(2), ["a", "b"], ["a", "b"]),
            "misclassified": ImageGrid("Misclassified", np.zeros((40, 8, 8)), columns=10),  # 10 × 4
            "samples": ImageGrid("Samples", np.zeros((16, 8, 8)), columns=4),  # 4 × 4: a picture
        }
    )
    page = area._page
    top, bottom = page.widget(0), page.widget(page.count() - 1)
    assert top.widget(0) is area.views["samples"]
    assert [bottom.widget(i) for i in range(bottom.count())] == [area.views["misclassified"]]
    # Five rows of ten (the retrieval queries) is still a picture; one row of eight is a strip.
    assert not reads_as_strip(ImageGrid("t", np.zeros((50, 8, 8)), columns=10))
    assert reads_as_strip(ImageGrid("t", np.zeros((8, 8, 8)), columns=8))
    assert not reads_as_strip(ImageGrid("t", np.zeros((8, 8, 8))))  # as square as possible


# -- the lesson's actions -------------------------------------------------------------------------
def test_action_buttons_wait_for_a_model_and_for_their_answer(qtbot):
    actions = LessonActions()
    qtbot.addWidget(actions)
    assert actions.isHidden()
    actions.set_actions({"d_step": ("Train D once", "One discriminator step")})
    button = actions.buttons["d_step"]
    assert not actions.isHidden() and button.text() == "Train D once"
    assert button.toolTip() == "One discriminator step" and not button.isEnabled()
    actions.set_model_available(True)
    with qtbot.waitSignal(actions.command_requested) as blocker:
        button.click()
    assert blocker.args == ["d_step", {}]
    assert not button.isEnabled()  # one at a time
    actions.answered("d_step")
    assert button.isEnabled()
    actions.set_actions({})
    assert actions.isHidden() and actions.buttons == {}


@pytest.fixture
def window_with_actions(qtbot, monkeypatch):
    """The autoencoder lesson with two actions: one its probe answers, one that fails."""
    from unsuplab.ui.main_window import MainWindow

    asked = []

    def probe(self, command, **kwargs):
        if command == "nudge":
            asked.append(command)
            return {}
        if command == "explode":
            raise RuntimeError("no such thing")
        return original(self, command, **kwargs)

    original = Autoencoder.probe
    monkeypatch.setattr(
        Autoencoder, "actions", {"nudge": ("Nudge", "Nudge the model"), "explode": ("Explode", "Fails")}
    )
    monkeypatch.setattr(Autoencoder, "probe", probe)
    win = MainWindow(lesson="autoencoder", dark=True)
    qtbot.addWidget(win)
    win.form.apply_overrides({"batch_size": "16"})
    win.show()
    yield win, asked
    win.shutdown()


def test_the_window_offers_the_lessons_actions_once_a_model_exists(window_with_actions, qtbot):
    win, asked = window_with_actions
    nudge, explode = win.lesson_actions.buttons["nudge"], win.lesson_actions.buttons["explode"]
    assert win.lesson_actions.isVisible() and not nudge.isEnabled()
    win.step_once()
    wait_for_step(qtbot, win, 1)
    assert nudge.isEnabled()
    nudge.click()
    qtbot.waitUntil(lambda: asked == ["nudge"] and nudge.isEnabled(), timeout=5000)
    explode.click()
    assert not explode.isEnabled()
    qtbot.waitUntil(explode.isEnabled, timeout=5000)  # its failure notice releases it
    win.reset()
    assert not nudge.isEnabled()
    win.select_lesson("pca")
    assert win.lesson_actions.isHidden()

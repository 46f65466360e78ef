"""Questions to the model go out with a request id and each answer or failure comes back to the
panel or tool that asked, whatever its payload keys or its message say."""

from __future__ import annotations

import numpy as np

from unsuplab.core.loop import Notice, ProbeResult
from unsuplab.core.payloads import PairedRows, Scatter
from unsuplab.experiments.autoencoder import Autoencoder
from unsuplab.ui.lesson_tools import LessonTools
from unsuplab.ui.view_area import ViewArea


class FakeWorker:
    """Gives every question an id, as `RunControl.submit` does, and remembers it."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, str, dict]] = []

    def send(self, name: str, kwargs: dict) -> int:
        request_id = 100 + len(self.asked)
        self.asked.append((request_id, name, kwargs))
        return request_id


def scatter(title: str) -> Scatter:
    rng = np.random.default_rng(0)
    return Scatter(title, rng.normal(size=(6, 2)), np.arange(6))


def card(index: int) -> PairedRows:
    return PairedRows(f"Point {index}", {"input": np.full((1, 4, 4), index / 10.0)})


def make_tools(qtbot) -> tuple[LessonTools, ViewArea, FakeWorker]:
    views = ViewArea()
    qtbot.addWidget(views)
    worker = FakeWorker()
    tools = LessonTools(views, worker.send)
    tools.set_lesson(Autoencoder)
    return tools, views, worker


def test_each_panel_gets_the_answer_to_its_own_question_whatever_came_last(qtbot):
    tools, views, worker = make_tools(qtbot)
    views.show_payloads({"latent": scatter("Latent"), "codes": scatter("Codes")})
    views.views["latent"].command_requested.emit("inspect", {"index": 1})
    views.views["codes"].command_requested.emit("inspect", {"index": 2})
    (first, *_), (second, *_) = worker.asked
    # The answers come back in the other order; each goes to the panel that asked.
    tools.answer(ProbeResult("inspect", {"inspected": card(2)}, second))
    tools.answer(ProbeResult("inspect", {"inspected": card(1)}, first))
    latent, codes = views.views["latent"], views.views["codes"]
    assert latent.inspect_caption.text() == "Point 1" and codes.inspect_caption.text() == "Point 2"
    assert "inspected" not in views.views


def test_a_failure_releases_the_tool_that_asked_by_its_id_not_by_its_wording(qtbot):
    tools, views, worker = make_tools(qtbot)
    tools.actions.set_actions({"nudge": ("Nudge", "Nudge the model")})
    tools.actions.set_model_available(True)
    tools.actions.buttons["nudge"].click()
    assert not tools.actions.buttons["nudge"].isEnabled()
    request_id = worker.asked[-1][0]
    tools.failed(Notice("something unrelated went wrong", error=True, request_id=request_id + 1))
    assert not tools.actions.buttons["nudge"].isEnabled()  # not its answer
    tools.failed(Notice("the model is busy", error=True, request_id=request_id))
    assert tools.actions.buttons["nudge"].isEnabled()


def test_an_action_that_changes_no_picture_still_says_it_ran(qtbot):
    tools, views, worker = make_tools(qtbot)
    tools.actions.set_actions({"train_d": ("D step", "One discriminator step")})
    tools.actions.set_model_available(True)
    said, logged = [], []
    tools.message.connect(lambda text, ms: said.append(text))
    tools.logged.connect(logged.append)
    for press in (1, 2):
        tools.actions.buttons["train_d"].click()
        tools.answer(ProbeResult("train_d", {}, worker.asked[-1][0]))
        assert said[-1] == logged[-1] == f"D step #{press} done"
    assert tools.counts == {"train_d": 2}


def test_an_answer_after_the_model_was_forgotten_goes_to_no_tool(qtbot):
    tools, views, worker = make_tools(qtbot)
    tools.pad.set_image_shape((4, 4))
    tools.pad.canvas.stroke([(70, 60), (200, 60)])
    qtbot.waitUntil(lambda: bool(worker.asked), timeout=2000)
    request_id, name, _ = worker.asked[-1]
    assert name == "reconstruct"
    tools.forget_model()
    tools.answer(ProbeResult(name, {"drawing": card(3)}, request_id))
    assert tools.pad.result.images == []  # a discarded run's answer is not shown in the pad

"""The lesson's tools beside the views (drawing pad, t-SNE button, action buttons) and the
questions they and the panels ask the model, each answer handed back to whoever asked.

A question goes out through `send(name, kwargs)`, which returns the request id the worker's
answer will carry (None when there is no model to ask). The id is remembered with its asker; the
answer (`answer`) or the failure (`failed`) with that id goes to it, as a future's callbacks do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from unsuplab.core.commands import DRAW_TOOL, DRAWING, LATENT_TSNE, RECONSTRUCTIONS, TSNE_TOOL
from unsuplab.core.compare import lesson_key
from unsuplab.core.experiment import Experiment
from unsuplab.core.loop import Notice, ProbeResult, Snapshot
from unsuplab.core.payloads import PairedRows, Payload, Scatter
from unsuplab.ui.drawing_pad import DrawingPad
from unsuplab.ui.lesson_actions import LessonActions
from unsuplab.ui.tsne_tool import TsneTool
from unsuplab.ui.view_area import ViewArea

Payloads = dict[str, Payload]
#: The noise "Add noise" applies for a lesson without a corruption of its own.
DEFAULT_PAD_NOISE = ("masking", 0.25)


def _keep_all(payloads: Payloads) -> Payloads:
    return payloads


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class _Asker:
    """Who waits for an answer: `take` shows its part and returns the rest (shown as panels),
    `failed` releases it when the model could not answer, `panel` is the asking panel's key."""

    take: Callable[[Payloads], Payloads] = _keep_all
    failed: Callable[[], None] = _nothing
    panel: str | None = None


class LessonTools(QObject):
    """The pad, the t-SNE button and the action buttons of the selected lesson, and the routing of
    every question (theirs and the panels') to the worker and of its answer back.

    `message(text, ms)` asks for a status-bar line, `logged(text)` for a log line; `counts` says
    how often each action ran in this run.
    """

    message = Signal(str, int)
    #: A line for the log (an action that ran).
    logged = Signal(str)

    def __init__(
        self,
        views: ViewArea,
        send: Callable[[str, dict[str, Any]], int | None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.views = views
        self._send = send
        self.pad = DrawingPad()
        self.tsne = TsneTool(views)
        self.actions = LessonActions()
        self.shown_step = -1  # the step of the newest snapshot, for the t-SNE panel's title
        self._waiting: dict[int, _Asker] = {}
        self.counts: dict[str, int] = {}
        pad = _Asker(self._take_drawing, self.pad.request_failed)
        self.pad.command_requested.connect(functools.partial(self.ask, pad))
        self.tsne.command_requested.connect(self._on_tsne_asked)
        self.actions.command_requested.connect(self._on_action)
        views.command_requested.connect(self._on_panel_asked)

    # -- the lesson and its model ------------------------------------------------------------------
    def set_lesson(self, cls: type[Experiment]) -> None:
        """Offer `cls`'s tools, with no model to ask yet."""
        self.actions.set_actions(dict(cls.actions))
        self.forget_model()
        # "Add noise" applies the lesson's own corruption, so a denoiser shows what it learned.
        defaults = cls.Config()
        kind = getattr(defaults, "corruption", None)
        level = getattr(defaults, "corruption_level", None)
        if isinstance(kind, str) and isinstance(level, float) and level > 0:
            self.pad.set_noise_style(kind, level)
        else:
            self.pad.set_noise_style(*DEFAULT_PAD_NOISE)
        self.tsne.set_enabled(TSNE_TOOL in cls.tools)

    @staticmethod
    def draws(cls: type[Experiment]) -> bool:
        """Whether the lesson offers the drawing pad."""
        return DRAW_TOOL in cls.tools

    def offer(self, snapshot: Snapshot) -> None:
        """A snapshot means a model to ask; its reconstructions say the pad's image shape."""
        self.shown_step = snapshot.progress.step
        self.tsne.set_model_available(True)
        self.actions.set_model_available(True)
        reconstructions = snapshot.payloads.get(RECONSTRUCTIONS)
        if isinstance(reconstructions, PairedRows) and reconstructions.rows:
            first = next(iter(reconstructions.rows.values()))
            self.pad.set_image_shape(tuple(first.shape[1:3]))

    def forget_model(self) -> None:
        """No model to ask until the next run shows its first snapshot; unanswered questions
        are dropped (their answers will not come)."""
        self._waiting.clear()
        self.counts.clear()
        self.shown_step = -1
        self.pad.reset()
        self.tsne.set_model_available(False)
        self.actions.set_model_available(False)

    # -- questions and answers -------------------------------------------------------------------------
    def ask(self, asker: _Asker, name: str, kwargs: dict[str, Any]) -> None:
        request_id = self._send(name, kwargs)
        if request_id is None:
            asker.failed()
        else:
            self._waiting[request_id] = asker

    def answer(self, result: ProbeResult) -> list[str]:
        """Hand the answer to its asker and show the rest as panels; returns the keys of panels
        that could not show it."""
        asker = self._waiting.pop(result.request_id, None) or _Asker()
        rest = asker.take(dict(result.payloads))
        return self.views.show_probe_payloads(rest, source=asker.panel) if rest else []

    def failed(self, notice: Notice) -> None:
        """The question `notice` answers could not be answered: release its asker."""
        asker = self._waiting.pop(notice.request_id, None)
        if asker is not None:
            asker.failed()

    def _on_panel_asked(self, key: str, name: str, kwargs: dict[str, Any]) -> None:
        self.ask(_Asker(panel=key), name, kwargs)

    def _on_action(self, name: str, kwargs: dict[str, Any]) -> None:
        answered = functools.partial(self.actions.answered, name)
        button = self.actions.buttons.get(name)
        label = button.text() if button is not None else name
        self.counts[name] = self.counts.get(name, 0) + 1
        count = self.counts[name]

        def take(payloads: Payloads) -> Payloads:
            answered()
            # Visible feedback: a press that changes weights but no picture still says it ran.
            done = f"{label} #{count} done" + (f": {', '.join(payloads)} updated" if payloads else "")
            self.message.emit(done, 4000)
            self.logged.emit(done)
            return payloads

        self.ask(_Asker(take, answered), name, kwargs)

    def _on_tsne_asked(self, name: str, kwargs: dict[str, Any]) -> None:
        self.message.emit("Computing a t-SNE of the held-out codes; training waits until it is done", 8000)
        self.ask(_Asker(self._take_tsne, self.tsne.failed), name, kwargs)

    def _take_drawing(self, payloads: Payloads) -> Payloads:
        drawing = payloads.pop(DRAWING, None)
        if isinstance(drawing, PairedRows):
            self.pad.show_result(drawing)
        else:
            self.pad.request_failed()
        return payloads

    def _take_tsne(self, payloads: Payloads) -> Payloads:
        # One map, or one per variant of a comparison ("latent_tsne@beta=4").
        maps = {
            key: payloads.pop(key)
            for key in list(payloads)
            if lesson_key(key) == LATENT_TSNE and isinstance(payloads[key], Scatter)
        }
        if maps:
            self.tsne.show_result(maps, self.shown_step)
            self.message.emit("t-SNE done: it is the panel beside the latent map", 4000)
        else:
            self.tsne.failed()
        return payloads

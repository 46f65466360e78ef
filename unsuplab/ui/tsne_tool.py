"""The latent map's t-SNE button: ask the worker for a t-SNE of the held-out codes, show it as a panel."""

from __future__ import annotations

import dataclasses
import functools

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

from unsuplab.core.commands import LATENT, LATENT_TSNE, TSNE
from unsuplab.core.payloads import Scatter
from unsuplab.ui.view_area import ViewArea

TOOLTIP = (
    "Embed the held-out codes in the plane with t-SNE (neighbours stay neighbours), as "
    "its own panel. Takes a few seconds; training waits meanwhile."
)


class TsneTool(QObject):
    """Adds a "t-SNE" button to the latent map panel of a lesson that offers the tool.

    Pressing it emits `command_requested(TSNE, {})` and shows a busy indicator on the panel
    until `show_result` (or `failed`) is called with the answer.
    """

    command_requested = Signal(str, dict)

    def __init__(self, views: ViewArea):
        super().__init__(views)
        self.views = views
        self.enabled = False  # the lesson offers a t-SNE
        self.model_available = False
        self.busy = False
        self.button: QPushButton | None = None
        self._latent = None  # the latent map view holding the button
        views.view_added.connect(self._on_view_added)

    def set_enabled(self, enabled: bool) -> None:
        """Whether the lesson offers the tool (its `tools` contains TSNE_TOOL)."""
        self.enabled = enabled
        self._sync()

    def set_model_available(self, available: bool) -> None:
        """Whether a worker holds a model to ask (a run exists and has shown a snapshot)."""
        if available != self.model_available:
            self.model_available = available
            if not available:
                self._set_busy(False)  # an answer from a discarded run will not come
            self._sync()

    def request(self) -> None:
        """Ask for a t-SNE of the codes the latent map shows (what the button does)."""
        if not (self.enabled and self.model_available) or self.busy or self._latent is None:
            return
        self._set_busy(True)
        self.command_requested.emit(TSNE, {})

    def show_result(self, payload: Scatter, step: int | None = None) -> None:
        """Show the answer as the LATENT_TSNE panel, titled with the step it was computed at."""
        self._set_busy(False)
        if step is not None and step >= 0:
            payload = dataclasses.replace(payload, title=f"{payload.title} (step {step:,})")
        self.views.show_payloads({LATENT_TSNE: payload})

    def failed(self) -> None:
        self._set_busy(False)

    # -- the button ------------------------------------------------------------------------------
    def _on_view_added(self, key: str, view: object) -> None:
        if key != LATENT or not hasattr(view, "add_header_button"):
            return
        self._latent = view
        self.button = view.add_header_button("t-SNE", TOOLTIP)
        self.button.setObjectName("tsneButton")
        self.button.clicked.connect(self.request)
        view.destroyed.connect(functools.partial(self._on_view_gone, id(view)))
        self._set_busy(self.busy)
        self._sync()

    def _on_view_gone(self, view_id: int, *_args: object) -> None:
        # A cleared panel is deleted later, possibly after its successor has the button.
        if self._latent is not None and id(self._latent) == view_id:
            self._latent = self.button = None
            self.busy = False

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self._latent is not None:
            count = len(self._latent.points)
            self._latent.set_busy(f"computing t-SNE of {count} codes…" if busy else None)
        self._sync()

    def _sync(self) -> None:
        if self.button is None:
            return
        self.button.setVisible(self.enabled)
        self.button.setEnabled(self.model_available and not self.busy)

"""The latent map's t-SNE button: ask the worker for a t-SNE of the held-out codes, show it as a panel.

In a comparison every variant's latent map ("latent@beta=4") gets the button, and one press
asks every variant: one t-SNE map per variant ("latent_tsne@beta=4"), the variant named in its
title.
"""

from __future__ import annotations

import dataclasses
import functools

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

from unsuplab.core.commands import LATENT, TSNE
from unsuplab.core.compare import lesson_key
from unsuplab.core.payloads import Scatter
from unsuplab.ui.view_area import ViewArea

TOOLTIP = (
    "Embed the held-out codes in the plane with t-SNE (neighbours stay neighbours), as "
    "its own panel (one per variant in a comparison). Takes a few seconds; training waits meanwhile."
)


class TsneTool(QObject):
    """Adds a "t-SNE" button to the latent map panel (each variant's, in a comparison) of a lesson
    that offers the tool.

    Pressing one emits `command_requested(TSNE, {})` and shows a busy indicator on every latent
    map until `show_result` (or `failed`) is called with the answer.
    """

    command_requested = Signal(str, dict)

    def __init__(self, views: ViewArea):
        super().__init__(views)
        self.views = views
        self.enabled = False  # the lesson offers a t-SNE
        self.model_available = False
        self.busy = False
        self.buttons: dict[str, QPushButton] = {}  # latent map key -> its button
        self._latents: dict[str, object] = {}  # latent map key -> the view holding the button
        views.view_added.connect(self._on_view_added)

    @property
    def button(self) -> QPushButton | None:
        """The first latent map's button (one run's only one)."""
        return next(iter(self.buttons.values()), None)

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
        """Ask for a t-SNE of the codes the latent maps show (what a button does)."""
        if not (self.enabled and self.model_available) or self.busy or not self._latents:
            return
        self._set_busy(True)
        self.command_requested.emit(TSNE, {})

    def show_result(self, maps: dict[str, Scatter], step: int | None = None) -> None:
        """Show the answer's maps (LATENT_TSNE, or one per variant) as panels, titled with the
        step they were computed at."""
        self._set_busy(False)
        if step is not None and step >= 0:
            maps = {
                key: dataclasses.replace(payload, title=f"{payload.title} (step {step:,})")
                for key, payload in maps.items()
            }
        self.views.show_payloads(maps)

    def failed(self) -> None:
        self._set_busy(False)

    # -- the buttons -----------------------------------------------------------------------------
    def _on_view_added(self, key: str, view: object) -> None:
        if lesson_key(key) != LATENT or not hasattr(view, "add_header_button"):
            return
        self._latents[key] = view
        button = self.buttons[key] = view.add_header_button("t-SNE", TOOLTIP)
        button.setObjectName("tsneButton")
        button.clicked.connect(self.request)
        view.destroyed.connect(functools.partial(self._on_view_gone, key, id(view)))
        self._set_busy(self.busy)
        self._sync()

    def _on_view_gone(self, key: str, view_id: int, *_args: object) -> None:
        # A cleared panel is deleted later, possibly after its successor has the button.
        if key in self._latents and id(self._latents[key]) == view_id:
            del self._latents[key], self.buttons[key]
            if not self._latents:
                self.busy = False

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for latent in self._latents.values():
            latent.set_busy(f"computing t-SNE of {len(latent.points)} codes…" if busy else None)
        self._sync()

    def _sync(self) -> None:
        for button in self.buttons.values():
            button.setVisible(self.enabled)
            button.setEnabled(self.model_available and not self.busy)

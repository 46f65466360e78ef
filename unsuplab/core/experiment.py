"""The experiment contract: what a lesson implements so the run loop, the window and the CLI can drive it."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from unsuplab.core.config import coerce, spec_for, validate
from unsuplab.core.payloads import Payload

GROUPS = ("Autoencoders", "Generative", "Energy-based", "Reinforcement", "Applications", "Classical")


class Experiment:
    """One lesson. `__init__` only stores the config; learned state is made in `build`.

    Only the worker thread calls these methods once `build` has run (only it touches the model).
    """

    name: ClassVar[str]  # registry key and CLI name
    title: ClassVar[str]
    group: ClassVar[str]  # one of GROUPS
    summary: ClassVar[str] = ""  # one line for the lesson browser
    Config: ClassVar[type]
    #: Curve panels: panel title -> metric names drawn in it (train metrics and held-out ones).
    curves: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Interactive tools the window offers beside the views, each backed by a probe:
    #: "draw" (a drawing pad; probe "reconstruct" with image=(h, w) array in [0, 1]),
    #: "tsne" (a t-SNE button on the latent map; probe "tsne"). The names, and the payload keys
    #: their answers use, are in `unsuplab.core.commands`.
    tools: ClassVar[tuple[str, ...]] = ()
    #: Buttons the window offers while a model exists: probe command -> (label, tooltip).
    #: An action may change the model (one discriminator step, say): the window shows a fresh
    #: snapshot after it.
    actions: ClassVar[dict[str, tuple[str, str]]] = {}
    #: The actions that are a training step of their own (one discriminator step alone): the
    #: run loop does them with `train_action` in place of a `train_step` and counts them as a
    #: step, their losses on the curves, as it does a press of Step.
    training_actions: ClassVar[frozenset[str]] = frozenset()
    #: Names of the metrics whose non-finite value means the run has diverged.
    guarded_metrics: ClassVar[tuple[str, ...]] = ("loss",)
    #: The held-out figure that says the lesson learns, and which way is better ("down" for a
    #: loss, "up" for an accuracy or a return). The generic tests train `quick_steps` steps with
    #: `quick_settings` and expect a 10 % move the right way.
    progress_metric: ClassVar[tuple[str, str]] = ("heldout_loss", "down")
    #: Config overrides for a quick run (tests, smoke runs) that still learns visibly.
    quick_settings: ClassVar[dict[str, Any]] = {"batch_size": 32}
    quick_steps: ClassVar[int] = 60
    #: The comparisons the lesson's text teaches, offered as one click: a name -> the settings
    #: varied and their values (2 to 4 variants; see `unsuplab.core.compare`).
    comparisons: ClassVar[dict[str, dict[str, tuple[Any, ...]]]] = {}
    #: The lesson text's "Try this" items as one-press buttons: button text -> the settings it
    #: sets (real Config field names, valid values). Live settings reach a running model at once;
    #: any other restarts the run with them.
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Steps trained so far in this run; the run loop keeps it current: after build/restore (the
    #: restored step), after each train_step (+1), and after a rollback (the good step). Inside
    #: train_step it is the number of steps done before this one. Lessons read it, never write it.
    step: int = 0

    def __init__(self, config: Any | None = None):
        config = self.Config() if config is None else config
        validate(config)
        self.config = config

    # -- what every lesson implements -------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        """Load data and make networks and optimisers on `device` ("cpu", "cuda", ...)."""
        raise NotImplementedError

    def train_step(self) -> dict[str, Any]:
        """One minibatch update; returns named losses, detached, left on the device."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        """Metrics on held-out data (and other slow-moving figures), as Python floats."""
        return {}

    def snapshot(self) -> dict[str, Payload]:
        """Small numpy copies of what the views show; cheap, no gradients."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Learned state as tensors (copies on the CPU) for checkpoints and restores."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state made by `state_dict` (after `build`)."""
        raise NotImplementedError

    @property
    def samples_per_step(self) -> int:
        return int(getattr(self.config, "batch_size", 1))

    @property
    def step_delay(self) -> float:
        """Seconds the run loop waits after each step at the least, for a lesson that shows
        something at a human pace (a game played to be watched); 0 runs at full speed."""
        return 0.0

    @property
    def pace(self) -> float:
        """How many times the loop's snapshot and evaluation intervals this run asks for: 1 for a
        lesson; k for a comparison of k variants, whose snapshots and evaluations cost k times
        one's, so that they take the same share of the time as for one run."""
        return 1.0

    # -- optional hooks -----------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """Change a `live=True` config field mid-run; the default updates the config only."""
        spec = spec_for(type(self.config), name)
        if not spec.param.live:
            raise ValueError(f"{name} cannot change while training; reset the run to change it")
        # The same checks as a fresh config: a live edit must not smuggle in "abc" or -1.
        value = coerce(spec, value)
        validate(dataclasses.replace(self.config, **{name: value}))
        setattr(self.config, name, value)
        self.on_live_change(name, value)

    def on_live_change(self, name: str, value: Any) -> None:
        """React to a live change (set an optimiser's learning rate, say)."""

    def train_action(self, name: str) -> dict[str, Any]:
        """One step of the training action `name` (see `training_actions`); returns its named
        losses, as `train_step` does."""
        raise ValueError(f"{self.title} has no training action {name!r}")

    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        """Answer an interactive request from a view (reconstruct a drawing, decode a point)."""
        raise ValueError(f"{self.title} has no probe {command!r}")

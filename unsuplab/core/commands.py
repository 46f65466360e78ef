"""Requests to a running loop: `RunControl`, which steers the loop and queues `Command`s, and the
names requests and answers are routed by (the commands the loop serves, the payload keys a tool
reads in an answer), in one place so a view, the window, the CLI and a lesson spell them alike.

Every request gets an id when it is queued (`RunControl.submit` returns it); its answer (a
`ProbeResult`) or its failure (an error `Notice`) carries that id back, so the asker is found by
id, never by a payload key or the wording of a message.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# -- commands the loop serves itself ---------------------------------------------------------------
SET_PARAM = "set_param"  # name=, value=: a live setting
SAVE = "save"  # path=: the run as a checkpoint
EXPORT_METRICS = "export_metrics"  # path=: the metric history as CSV
LOOP_COMMANDS = (SET_PARAM, SAVE, EXPORT_METRICS)

# -- probes the window's tools ask (the lesson answers them in `Experiment.probe`) -----------------
RECONSTRUCT = "reconstruct"  # image=(h, w) in [0, 1]: the drawing pad
INSPECT = "inspect"  # index=: a clicked point of a scatter
TSNE = "tsne"  # the t-SNE button on the latent map

# -- tools a lesson offers (`Experiment.tools`) ----------------------------------------------------
DRAW_TOOL = "draw"  # a drawing pad, answered by RECONSTRUCT
TSNE_TOOL = "tsne"  # a t-SNE button, answered by TSNE

# -- payload keys the tools read ---------------------------------------------------------------------
DRAWING = "drawing"  # in RECONSTRUCT's answer: PairedRows shown in the pad
INSPECTED = "inspected"  # in INSPECT's answer: PairedRows pinned beside the clicked panel
LATENT = "latent"  # the snapshot's latent map, which gets the t-SNE button
LATENT_TSNE = "latent_tsne"  # in TSNE's answer: a Scatter shown as a panel of its own
RECONSTRUCTIONS = "reconstructions"  # the snapshot's PairedRows whose shape the pad draws in

_ids = itertools.count(1)


def new_request_id() -> int:
    """A request id unique in this process (thread-safe: `itertools.count` is atomic)."""
    return next(_ids)


@dataclass
class Command:
    """A request executed between two training steps; its answer carries `request_id` back."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    request_id: int = field(default_factory=new_request_id)


class RunControl:
    """Thread-safe steering of a running loop; the GUI thread calls it, the loop reads it."""

    def __init__(self, *, paused: bool = False, step_limit: int | None = None):
        self._cond = threading.Condition()
        self._paused = paused
        self._stop = False
        self._single_steps = 0
        self._delay = 0.0
        self._step_limit = step_limit
        self._commands: deque[Command] = deque()

    def _update(self, **changes: Any) -> None:
        with self._cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def pause(self) -> None:
        self._update(_paused=True)

    def resume(self) -> None:
        self._update(_paused=False)

    def stop(self) -> None:
        self._update(_stop=True)

    def step(self, count: int = 1) -> None:
        """Train `count` more steps, then stay paused."""
        with self._cond:
            self._paused = True
            self._single_steps += count
            self._cond.notify_all()

    def set_delay(self, seconds: float) -> None:
        """Slow motion: wait this long after every step (0 for full speed)."""
        self._update(_delay=max(0.0, float(seconds)))

    def set_step_limit(self, steps: int | None) -> None:
        self._update(_step_limit=steps)

    def submit(self, name: str, /, **kwargs: Any) -> int:
        """Queue a command (a probe, or one of `commands.LOOP_COMMANDS`) for the loop; returns the
        request id its answer (a ProbeResult, or a Notice) will carry.

        `name` is positional-only so that `submit("set_param", name=..., value=...)` works.
        """
        command = Command(name, kwargs)
        with self._cond:
            self._commands.append(command)
            self._cond.notify_all()
        return command.request_id

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def delay(self) -> float:
        return self._delay

    @property
    def step_limit(self) -> int | None:
        return self._step_limit

    def take_commands(self) -> list[Command]:
        with self._cond:
            commands = list(self._commands)
            self._commands.clear()
            return commands

    def claim_step(self) -> bool:
        """True when the loop may train one step now (running, or a single step is pending)."""
        with self._cond:
            if self._stop:
                return False
            if not self._paused:
                return True
            if self._single_steps > 0:
                self._single_steps -= 1
                return True
            return False

    def wait(self, timeout: float) -> None:
        """Sleep up to `timeout` seconds, waking early when the control changes."""
        with self._cond:
            self._cond.wait(timeout)

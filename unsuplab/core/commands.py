"""The names a request and its answer are routed by: commands the run loop serves, and the payload
keys a tool looks for in an answer. One place, so a view, the window, the CLI and a lesson never
spell them differently.

Every request gets an id (`new_request_id`) when it is queued; its answer (a `ProbeResult`) or its
failure (an error `Notice`) carries that id back, so the asker is found by id, never by a payload
key or the wording of a message.
"""

from __future__ import annotations

import itertools

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

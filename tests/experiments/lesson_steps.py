"""Train and restore a lesson the way the run loop does, for tests that call `train_step`
themselves: the loop keeps `experiment.step` current, and lessons that read it (training stages,
a momentum warm-up) must see the same count here."""

from __future__ import annotations

from typing import Any

from unsuplab.core.experiment import Experiment


def train(experiment: Experiment, steps: int = 1) -> dict[str, Any]:
    """`steps` training steps, each counted in `experiment.step`; the last step's losses."""
    losses: dict[str, Any] = {}
    for _ in range(steps):
        losses = experiment.train_step()
        experiment.step += 1
    return losses


def restore(experiment: Experiment, saved: Experiment) -> None:
    """Load what `saved` learned and the step it reached, as the loop restores a run."""
    experiment.load_state_dict(saved.state_dict())
    experiment.step = saved.step

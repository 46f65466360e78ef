"""Training a lesson without the run loop (benchmarks, tests): steps counted in `experiment.step`
exactly as the loop counts them, so the stages and schedules that read it follow."""

from __future__ import annotations

from typing import Any

from unsuplab.core.experiment import Experiment


def train_steps(experiment: Experiment, steps: int = 1) -> dict[str, Any]:
    """Train `steps` steps, each counted in `experiment.step`; the last step's losses."""
    losses: dict[str, Any] = {}
    for _ in range(steps):
        losses = experiment.train_step()
        experiment.step += 1
    return losses


def train_by_hand(experiment: Experiment, action: str) -> dict[str, Any]:
    """Do the training action `action` (a lone D step), counted as a step as the loop counts it;
    its losses."""
    losses = experiment.train_action(action)
    experiment.step += 1
    return losses


def restore(experiment: Experiment, state: dict[str, Any], step: int) -> None:
    """Load learned state saved at `step` into a built experiment, as the loop restores a run."""
    experiment.load_state_dict(state)
    experiment.step = step

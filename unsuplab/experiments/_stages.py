"""Training in stages: named stages with planned step counts, found from the loop's step count.

    schedule = Schedule([("layer 1", N), ("layer 2", N), ("fine-tune", M)])
    schedule.at(step)            the stage that trains step `step` (counted from 0)
    stage.steps_done(step)       its steps among the first `step`

Stages follow each other in order; the last one trains on after its plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of a schedule."""

    index: int  # position in the schedule, from 0
    name: str
    start: int  # the step at which it begins
    planned: int
    last: bool  # the last stage goes on after its plan

    @property
    def number(self) -> int:
        """Its position counted from 1, as tables show it."""
        return self.index + 1

    def steps_done(self, step: int) -> int:
        """Steps of this stage among the first `step`."""
        done = max(0, step - self.start)
        return done if self.last else min(done, self.planned)


class Schedule:
    """Stages with planned step counts, one after the other."""

    def __init__(self, plan: Iterable[tuple[str, int]]):
        plan = list(plan)
        self.stages: list[Stage] = []
        start = 0
        for index, (name, planned) in enumerate(plan):
            self.stages.append(Stage(index, name, start, planned, index == len(plan) - 1))
            start += planned

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def at(self, step: int) -> Stage:
        """The stage that trains step `step` (counted from 0): the first one not yet through its
        plan, or the last."""
        return next((s for s in self.stages if step < s.start + s.planned), self.stages[-1])

    def status(self, stage: Stage, step: int, finished: str = "frozen") -> str:
        """For a table: "▶ training", "skipped" (planned 0), `finished` or "waiting"."""
        if stage is self.at(step):
            return "▶ training"
        if stage.planned == 0:
            return "skipped"
        return finished if stage.steps_done(step) >= stage.planned else "waiting"

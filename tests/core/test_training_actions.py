"""A training action (the GAN's "D step") is a step like Step's: the step count moves, its losses
reach the curves, the asker hears it done; a failing one rolls back like a failing step."""

from __future__ import annotations

from typing import Any

from test_loop import Counter, FakeClock, of_type, snapshots, start, state_is, until

from unsuplab.core.loop import Notice, ProbeResult, RunControl, RunFailed, Snapshot


class TwoPlayers(Counter):
    """A counter with a button that trains one "player" alone, reporting its own loss."""

    actions = {"nudge": ("Nudge", "One step of the first player alone"), "look": ("Look", "A probe")}
    training_actions = frozenset({"nudge"})
    curves = {"Loss": ("loss", "nudge_loss", "heldout_loss")}

    def __init__(self, clock: FakeClock, fail_nudge: bool = False, **kwargs: Any):
        super().__init__(clock, **kwargs)
        self.fail_nudge = fail_nudge

    def train_action(self, name: str) -> dict[str, float]:
        if name != "nudge":
            return super().train_action(name)
        if self.fail_nudge:
            raise RuntimeError("nudge went wrong")
        self.w = self.w + 10.0
        return {"nudge_loss": 0.25}

    def probe(self, command: str, **kwargs: Any) -> dict[str, Any]:
        return {} if command == "look" else super().probe(command, **kwargs)


def test_a_training_action_counts_as_a_step_with_its_point_on_the_curves():
    experiment = TwoPlayers(FakeClock())
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    request = control.submit("nudge")
    seen = until(events, lambda e: isinstance(e, Snapshot) and e.progress.step == 1)
    answer = next(e for e in seen if isinstance(e, ProbeResult))
    assert (answer.command, answer.request_id, answer.payloads) == ("nudge", request, {})
    shot = snapshots(seen)[-1]
    assert experiment.step == 1 and experiment.w.tolist() == [10.0] * 3
    steps, values = shot.payloads["curves:Loss"].series["nudge_loss"]
    assert steps.tolist() == [1] and values.tolist() == [0.25]
    assert experiment.steps == 0  # no train_step ran: the action stood in for it
    # Step goes on counting from there; a plain probe is no step.
    control.submit("look")
    control.step()
    seen = until(events, lambda e: isinstance(e, Snapshot) and e.progress.step == 2)
    assert experiment.step == 2 and experiment.steps == 1
    assert any(isinstance(e, ProbeResult) and e.command == "look" for e in seen)


def test_a_failing_training_action_rolls_back_and_releases_its_asker():
    experiment = TwoPlayers(FakeClock(), fail_nudge=True)
    control = RunControl(paused=True)
    events = start(experiment, control)
    until(events, state_is("paused"))
    request = control.submit("nudge")
    seen = until(events, of_type(Notice))
    failure = next(e for e in seen if isinstance(e, RunFailed))
    assert "failed at step 1: nudge went wrong" in failure.message
    assert seen[-1].error and seen[-1].request_id == request
    assert experiment.step == 0

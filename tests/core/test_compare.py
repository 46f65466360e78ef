"""Compare runs without torch or Qt: the variants a request makes (or refuses, naming the setting),
their panels merged, and a comparison driven by the run loop like one lesson."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from unsuplab.core.compare import (
    Comparison,
    merge_payloads,
    parse_values,
    split_history,
    split_metrics,
    variant_names,
    vary_configs,
    write_variant_csv,
)
from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import RunControl, RunFailed, Snapshot, StateChanged, run
from unsuplab.core.payloads import Curves, ImageGrid, PairedRows, Table


@dataclass
class WalkConfig:
    rate: float = param(0.5, "Added to every weight each step.", low=0.0, high=10.0, live=True)
    width: int = param(3, "Number of weights.", low=1, high=10)
    kind: str = param("plain", "A choice.", choices=("plain", "fancy"))
    nan_at: int = param(0, "The step whose loss is NaN (0: none).", low=0, high=1000)


class Walk(Experiment):
    """Weights that grow by `rate` a step; the loss is 1 / (rate · step)."""

    name = "walk"
    title = "Walk"
    group = "Classical"
    Config = WalkConfig
    curves = {"Loss": ("loss", "heldout_loss")}
    comparisons = {"Slow vs fast": {"rate": (0.5, 2.0)}}

    def build(self, device: str, seed: int) -> None:
        self.w = np.full(self.config.width, float(seed))

    def train_step(self) -> dict[str, float]:
        self.w = self.w + self.config.rate
        nan = self.step + 1 == self.config.nan_at
        return {"loss": float("nan") if nan else 1.0 / (1.0 + self.w.sum())}

    def evaluate(self) -> dict[str, float]:
        return {"heldout_loss": float(self.w.sum())}

    def snapshot(self) -> dict[str, Any]:
        image = self.w.reshape(1, 1, -1).copy()
        return {
            "weights": ImageGrid("Weights", image),
            "rows": PairedRows("Rows", {"input": np.ones((1, 1, 1)), "output": image[:, :, :1]}),
            "table": Table("Sum", ["sum"], [[float(self.w.sum())]]),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"w": self.w.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.w = state["w"].copy()


# -- the variants --------------------------------------------------------------------------------------
def test_values_combine_into_variants_named_by_their_difference():
    configs = vary_configs(WalkConfig(), {"rate": ["0.5", "2"], "kind": ["plain", "fancy"]})
    assert [(c.rate, c.kind) for c in configs] == [
        (0.5, "plain"),
        (0.5, "fancy"),
        (2.0, "plain"),
        (2.0, "fancy"),
    ]
    assert variant_names(configs)[3] == ("rate = 2, kind = fancy", "rate=2,kind=fancy")
    same = variant_names([WalkConfig(), WalkConfig()])
    assert same == [("variant 1", "variant-1"), ("variant 2", "variant-2")]


def test_the_forms_settings_join_as_a_variant_once():
    base = WalkConfig(rate=1.0)
    configs = vary_configs(base, {"rate": ["1", "3"]}, also=[base])
    assert [c.rate for c in configs] == [1.0, 3.0]  # 1.0 was already the form's
    assert parse_values(" 0, 0.25 ,0.5") == ["0", "0.25", "0.5"]
    assert parse_values("64,64; 500") == ["64,64", "500"]
    assert parse_values("  ") == []


@pytest.mark.parametrize(
    ("vary", "named", "why"),
    [
        ({"speed": ["1", "2"]}, "speed", "unknown setting"),
        ({"rate": []}, "rate", "empty value"),
        ({"rate": ["1", ""]}, "rate", "empty value"),
        ({"rate": ["1", "x"]}, "rate", "not a valid float"),
        ({"rate": ["1", "11"]}, "rate", "above the maximum 10"),
        ({"rate": ["1", "1.0"]}, "rate", "given twice"),
        ({"rate": ["1"]}, "rate", "at least two"),
        (
            {"rate": ["1", "2", "3"], "kind": ["plain", "fancy"]},
            "rate, kind",
            "6 variants; compare at most 4",
        ),
    ],
)
def test_a_bad_request_is_refused_naming_the_setting(vary, named, why):
    with pytest.raises(ConfigError, match=why) as caught:
        vary_configs(WalkConfig(), vary)
    assert caught.value.field == named


def test_a_comparison_holds_two_to_four_variants():
    with pytest.raises(ConfigError, match="5 variants"):
        Comparison(Walk, [WalkConfig(rate=r) for r in (1, 2, 3, 4, 5)])
    with pytest.raises(ConfigError, match="1 variants"):
        Comparison(Walk, [WalkConfig()])


# -- the panels ----------------------------------------------------------------------------------------
def test_curves_overlay_rows_merge_tables_gain_a_column_and_pictures_repeat():
    labels, keys = ["rate = 1", "rate = 2"], ["rate=1", "rate=2"]
    step = np.arange(3)
    panels = [
        {
            "curves:Loss": Curves("Loss", {"loss": (step, step * r)}),
            "filters": ImageGrid("Filters", np.full((1, 2, 2), r)),
            "rows": PairedRows("Rows", {"clean": np.zeros((2, 1, 1)), "out": np.full((2, 1, 1), r)}),
            "table": Table("T", ["a"], [[r]]),
        }
        for r in (1.0, 2.0)
    ]
    merged = merge_payloads(labels, keys, panels)
    assert list(merged) == ["curves:Loss", "filters@rate=1", "filters@rate=2", "rows", "table"]
    assert list(merged["curves:Loss"].series) == ["loss · rate = 1", "loss · rate = 2"]
    assert merged["filters@rate=2"].title == "Filters — rate = 2"
    assert merged["filters@rate=2"].images.max() == 2.0
    assert list(merged["rows"].rows) == ["clean", "out · rate = 1", "out · rate = 2"]
    assert merged["table"].columns == ["variant", "a"]
    assert merged["table"].rows == [["rate = 1", 1.0], ["rate = 2", 2.0]]


# -- a comparison in the run loop -------------------------------------------------------------------------
def trained(comparison: Comparison, steps: int, control: RunControl | None = None) -> list:
    control = control or RunControl(step_limit=steps)
    events = []
    for event in run(comparison, control, snapshot_interval=0.0):
        events.append(event)
        if isinstance(event, StateChanged) and event.state in ("finished", "failed"):
            control.stop()
    return events


def test_each_variant_trains_the_same_steps_and_every_panel_shows_them_all():
    comparison = Comparison(Walk, vary_configs(WalkConfig(), {"rate": ["0.5", "2"]}))
    events = trained(comparison, 4)
    last = [e for e in events if isinstance(e, Snapshot)][-1]
    assert last.progress.step == 4
    assert [v.w.sum() for v in comparison.variants] == [3 * 0.5 * 4, 3 * 2.0 * 4]
    curves = last.payloads["curves:Loss"]
    assert set(curves.series) == {f"{m} · rate = {r}" for m in ("loss", "heldout_loss") for r in ("0.5", "2")}
    assert {"weights@rate=0.5", "weights@rate=2"} <= set(last.payloads)
    per_variant = split_metrics(last.metrics, comparison.labels)
    assert per_variant["rate = 2"]["heldout_loss"] == 24.0


def test_two_identical_variants_give_identical_curves_and_pictures():
    comparison = Comparison(Walk, [WalkConfig(), WalkConfig()])
    last = [e for e in trained(comparison, 5) if isinstance(e, Snapshot)][-1]
    series = last.payloads["curves:Loss"].series
    for metric in ("loss", "heldout_loss"):
        one, two = series[f"{metric} · variant 1"], series[f"{metric} · variant 2"]
        np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(
        last.payloads["weights@variant-1"].images, last.payloads["weights@variant-2"].images
    )


def test_a_live_change_applies_to_one_variant_or_all():
    comparison = Comparison(Walk, [WalkConfig(rate=1.0), WalkConfig(rate=2.0)])
    comparison.set_live("rate", 3.0, variant="rate=2")
    assert [v.config.rate for v in comparison.variants] == [1.0, 3.0]
    comparison.set_live("rate", 4.0)
    assert [v.config.rate for v in comparison.variants] == [4.0, 4.0]
    with pytest.raises(ValueError, match="no variant 'rate=9'"):
        comparison.set_live("rate", 1.0, variant="rate=9")


def test_a_live_change_through_the_loop_names_its_variant():
    comparison = Comparison(Walk, [WalkConfig(rate=1.0), WalkConfig(rate=2.0)])
    control = RunControl(paused=True)
    events = run(comparison, control, snapshot_interval=0.0)
    for event in events:
        if isinstance(event, StateChanged) and event.state == "paused":
            break
    control.submit("set_param", name="rate", value=5.0, variant="rate = 1")
    control.step(1)
    for event in events:
        if getattr(event, "command", None) == "set_param":
            assert event.message == "rate = 5.0 in rate = 1" and not event.error
            break
    assert [v.config.rate for v in comparison.variants] == [5.0, 2.0]
    control.stop()
    list(events)


def test_a_diverging_variant_is_named_and_every_variant_goes_back():
    comparison = Comparison(Walk, [WalkConfig(), WalkConfig(nan_at=3)])
    failure = next(e for e in trained(comparison, 10) if isinstance(e, RunFailed))
    assert "loss · nan_at = 3 became nan" in failure.message
    assert all(v.w.sum() == 3 * 0.5 * failure.restored_step for v in comparison.variants)


def test_a_probe_is_answered_by_every_variant():
    class Asked(Walk):
        def probe(self, command: str, **kwargs: Any) -> dict[str, Any]:
            return {
                "drawing": PairedRows("Yours", {"input": kwargs["image"], "out": self.w.reshape(1, 1, -1)})
            }

    comparison = Comparison(Asked, [WalkConfig(rate=1.0), WalkConfig(rate=2.0)])
    comparison.build("cpu", 0)
    comparison.train_step()
    answer = comparison.probe("reconstruct", image=np.zeros((1, 1, 3)))
    assert list(answer["drawing"].rows) == ["input", "out · rate = 1", "out · rate = 2"]


def test_histories_split_by_variant_into_one_csv(tmp_path):
    merged = MetricHistory()
    merged.record(1, {"loss · a = 1": 0.5, "loss · a = 2": 0.25})
    merged.record(2, {"loss · a = 1": 0.4, "heldout_loss · a = 2": 0.2})
    histories = split_history(merged, ["a = 1", "a = 2"])
    assert histories["a = 2"].latest() == {"loss": 0.25, "heldout_loss": 0.2}
    write_variant_csv({"a=1": histories["a = 1"], "a=2": histories["a = 2"]}, tmp_path / "m.csv")
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines == [
        "step,variant,loss,heldout_loss",
        "1,a=1,0.5,",
        "2,a=1,0.4,",
        "1,a=2,0.25,",
        "2,a=2,,0.2",
    ]


def test_k_variants_are_shown_and_evaluated_k_times_less_often():
    """Each snapshot and evaluation costs k times one run's, so they take the same share of time."""
    now = [0.0]

    class Timed(Walk):
        def train_step(self) -> dict[str, float]:
            now[0] += 0.0625  # one variant's step takes 1/16 s (exact in binary)
            return super().train_step()

    def snapshot_steps(experiment: Experiment) -> list[int]:
        control = RunControl(step_limit=8)
        steps = []
        for event in run(experiment, control, snapshot_interval=0.125, clock=lambda: now[0]):
            if isinstance(event, Snapshot):
                steps.append(event.progress.step)
            if isinstance(event, StateChanged) and event.state == "finished":
                control.stop()
        return sorted(set(steps))  # the finished run's final evaluation shows the last step again

    assert snapshot_steps(Timed()) == [0, 2, 4, 6, 8]  # every 1/8 s
    assert snapshot_steps(Comparison(Timed, [WalkConfig(), WalkConfig(rate=1.0)])) == [
        0,
        2,
        4,
        6,
        8,
    ]  # 200 ms

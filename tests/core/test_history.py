"""The metric history: recording, thinning that keeps the ends, and the CSV file."""

from __future__ import annotations

import math

import numpy as np

from unsuplab.core.history import MetricHistory


def test_record_latest_and_series():
    history = MetricHistory()
    history.record(0, {"heldout_loss": 0.9})
    history.record(10, {"loss": 0.5, "heldout_loss": 0.4})
    history.record(20, {"loss": 0.25})
    assert history.names == ["heldout_loss", "loss"]
    assert history.latest() == {"heldout_loss": 0.4, "loss": 0.25}
    steps, values = history.series("loss")
    assert steps.tolist() == [10, 20] and values.tolist() == [0.5, 0.25]
    assert steps.dtype == np.int64 and values.dtype == np.float64
    empty_steps, empty_values = history.series("nothing")
    assert len(empty_steps) == len(empty_values) == 0


def test_recording_the_same_step_again_replaces_the_value():
    history = MetricHistory()
    history.record(5, {"loss": 1.0})
    history.record(5, {"loss": 2.0})
    steps, values = history.series("loss")
    assert steps.tolist() == [5] and values.tolist() == [2.0]


def test_thinning_keeps_the_first_and_newest_points_and_stays_bounded():
    history = MetricHistory(max_points=50)
    for step in range(1, 10_001):
        history.record(step, {"loss": 1.0 / step})
        assert len(history.series("loss")[0]) <= 50
    steps, values = history.series("loss")
    assert steps[0] == 1 and steps[-1] == 10_000
    assert values[-1] == 1.0 / 10_000
    assert np.all(np.diff(steps) > 0)
    assert len(steps) >= 25  # thinned by halves, never to a handful of points


def test_dict_round_trip():
    history = MetricHistory()
    history.record(1, {"loss": 0.5})
    history.record(2, {"loss": 0.4, "heldout_loss": 0.45})
    again = MetricHistory.from_dict(history.to_dict())
    assert again.to_dict() == history.to_dict()


def test_csv_round_trip_with_missing_cells(tmp_path):
    history = MetricHistory()
    history.record(0, {"heldout_loss": 0.7})
    history.record(3, {"loss": 0.6})
    history.record(6, {"loss": 0.1 + 0.2, "heldout_loss": float("nan")})
    path = tmp_path / "metrics.csv"
    history.write_csv(path)

    lines = path.read_text().splitlines()
    assert lines[0] == "step,heldout_loss,loss"
    assert lines[1] == "0,0.7,"  # loss was not recorded at step 0: an empty cell
    assert lines[2] == "3,,0.6"

    again = MetricHistory.read_csv(path)
    assert again.series("loss")[0].tolist() == [3, 6]
    assert again.series("loss")[1][-1] == 0.1 + 0.2  # exact: values are written in full
    steps, values = again.series("heldout_loss")
    assert steps.tolist() == [0, 6] and values[0] == 0.7 and math.isnan(values[1])

"""The window driver of the overhead benchmark presses Train as a user would and reads figures."""

from __future__ import annotations

import math

from window_driver import measure_window_run


def test_measure_window_run_returns_three_positive_finite_figures(qapp):
    figures = measure_window_run("autoencoder", 8, "cpu", {"batch_size": "16"})
    assert len(figures) == 3
    assert all(math.isfinite(x) and x > 0 for x in figures), figures
    samples_per_s, stall_ms, first_s = figures
    assert first_s < 60

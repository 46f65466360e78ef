"""Sweep fixtures: a small sweep folder made without Ray, each trial trained by `run_trial` (the
`unsuplab train` a Ray trial runs), and the main window for the sweep window's tests."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from unsuplab.core.registry import lesson
from unsuplab.core.sweep import make_plan, read_sweep, write_plan
from unsuplab.sweep import run_trial

#: code_size 2 and 8, two seeds each, 5 steps: four finished trials, and a spread over seeds.
GRID = {"code_size": ["2", "8"]}
SEEDS = [0, 1]


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory):
    """A finished 2-value, 2-seed sweep of the autoencoder, written trial by trial without Ray."""
    cls = lesson("autoencoder")
    out = tmp_path_factory.mktemp("sweep")
    plan = make_plan(cls.name, cls.Config, GRID, SEEDS, 5, {"batch_size": "16"}, "cpu")
    write_plan(out, plan)
    for trial in plan.trials(cls.Config):
        assert run_trial(plan, trial, out).status == "done"
    read_sweep(out).write_table()
    return out


@pytest.fixture
def window(qtbot):
    from unsuplab.ui.main_window import MainWindow

    win = MainWindow(lesson="autoencoder", dark=True)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()

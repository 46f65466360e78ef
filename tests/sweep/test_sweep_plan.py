"""A sweep without Ray: the grid checked and expanded into trials, every kind of bad input refused
in one line with exit status 2 before anything starts (Ray's import blocked too), the report's
table and plots, and trials read back as one comparison."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import socket
import sys
from typing import Any

import numpy as np
import pytest
from PIL import Image

from unsuplab.cli import main
from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.registry import lesson
from unsuplab.core.sweep import comparison_of, make_plan, read_sweep, write_plan

AUTOENCODER = lesson("autoencoder")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_every_combination_with_every_seed_is_a_trial_named_by_its_settings():
    plan = make_plan(
        "autoencoder", AUTOENCODER.Config, {"code_size": ["2", "8"], "learning_rate": ["0.1"]}, [0, 1], 20
    )
    names = [t.name for t in plan.trials(AUTOENCODER.Config)]
    assert names == [
        "code_size=2,learning_rate=0.1,seed=0",
        "code_size=2,learning_rate=0.1,seed=1",
        "code_size=8,learning_rate=0.1,seed=0",
        "code_size=8,learning_rate=0.1,seed=1",
    ]


def test_a_combination_the_lesson_refuses_is_a_failed_trial_not_a_refused_sweep():
    # 2000 is within code_size's range, but no narrower than the 784 pixels: the lesson's own check.
    plan = make_plan("autoencoder", AUTOENCODER.Config, {"code_size": ["2", "2000"]}, [0], 20)
    problems = [t.problem for t in plan.trials(AUTOENCODER.Config)]
    assert problems[0] == "" and "not narrower than the 28x28 = 784 pixel input" in problems[1]


@pytest.mark.parametrize(
    ("grid", "named"),
    [
        ({"no_such_setting": ["1", "2"]}, "no_such_setting"),
        ({}, "grid"),
        ({"code_size": []}, "code_size"),
        ({"code_size": ["2", "99999"]}, "code_size"),
        ({"learning_rate": ["0.1", "0.1"]}, "learning_rate"),
    ],
)
def test_a_bad_grid_names_the_setting(grid, named):
    with pytest.raises(ConfigError) as caught:
        make_plan("autoencoder", AUTOENCODER.Config, grid, [0], 20)
    assert caught.value.field == named


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--grid", "no_such_setting=1,2"], "no_such_setting: unknown setting"),
        ([], "--grid grid: name a setting"),
        (["--grid", "code_size="], "code_size: an empty value"),
        (["--grid", "code_size=2,99999"], "code_size: 99999 is above the maximum 4096"),
        (
            ["--grid", "code_size=2", "--address", f"127.0.0.1:{_closed_port()}"],
            "cannot reach the Ray cluster",
        ),
        (["--grid", "code_size=2", "--address", "ray://"], "expected ray://HOST:PORT"),
    ],
    ids=["unknown setting", "no grid", "empty values", "out of range", "unreachable address", "bad address"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_started(tmp_path, args, named):
    out = tmp_path / "sweep"
    code, printed, err = _run("sweep", "autoencoder", *args, "--steps", "5", "--out", str(out))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("unsuplab: error: ") and named in err
    assert not out.exists() and printed == ""


def test_without_ray_the_sweep_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were absent
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    out = tmp_path / "sweep"
    code, _, err = _run("sweep", "autoencoder", "--grid", "code_size=2,8", "--steps", "5", "--out", str(out))
    assert code == 2 and 'pip install "unsuplab[sweep]"' in err and err.count("\n") == 1
    assert not out.exists()


def test_the_report_prints_the_table_and_plots_the_figure_against_the_setting(sweep_folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # a report needs no Ray
    code, printed, err = _run("sweep", "--report", str(sweep_folder))
    assert code == 0, err
    lines = printed.splitlines()
    assert lines[0].split()[:6] == ["trial", "code_size", "seed", "status", "step", "heldout_loss"]
    assert [line.split()[0] for line in lines[1:]] == [
        "code_size=2,seed=0",
        "code_size=2,seed=1",
        "code_size=8,seed=0",
        "code_size=8,seed=1",
    ]
    assert all(" done " in line for line in lines[1:])
    picture = np.asarray(Image.open(sweep_folder / "heldout_loss-vs-code_size.png"))
    blue = np.all(np.abs(picture.astype(int) - [0x3F, 0x90, 0xDA]) < 8, axis=-1)
    assert blue.sum() > 200  # the line, its points and its bars in the first series colour


def test_the_plot_is_the_mean_and_spread_over_seeds(sweep_folder):
    sweep = read_sweep(sweep_folder)
    (series,) = sweep.series("heldout_loss", "code_size")
    by_setting = {}
    for record in sweep.records:
        by_setting.setdefault(record.settings["code_size"], []).append(record.figures["heldout_loss"])
    assert series.x == [2, 8]
    np.testing.assert_allclose(series.mean, [np.mean(by_setting[2]), np.mean(by_setting[8])])
    np.testing.assert_allclose(series.spread, [np.std(by_setting[2], ddof=1), np.std(by_setting[8], ddof=1)])


def test_two_trials_read_back_as_one_saved_comparison(sweep_folder):
    sweep = read_sweep(sweep_folder)
    saved = comparison_of(sweep, ["code_size=2,seed=0", "code_size=8,seed=1"])
    assert [c.code_size for c in saved.variants] == [2, 8] and saved.step == 5
    assert set(saved.state) == {"code_size=2", "code_size=8"}
    assert "heldout_loss · code_size = 8" in saved.history.names


def test_a_trial_stopped_early_keeps_its_outputs_and_says_so(tmp_path):
    from unsuplab.sweep import TrialWatch, run_trial

    plan = make_plan(
        "autoencoder", AUTOENCODER.Config, {"code_size": ["8"]}, [0], 100_000, {"batch_size": "16"}, "cpu"
    )
    (trial,) = plan.trials(AUTOENCODER.Config)
    watch = TrialWatch(lambda step, metrics: watch.stop())  # as Tune's ASHA does at a bad rung
    record = run_trial(plan, trial, tmp_path, watch)
    assert record.status == "stopped early" and 0 <= record.step < 100_000
    assert "heldout_loss" in record.figures
    folder = tmp_path / "trials" / trial.name
    assert {"checkpoint.pt", "metrics.csv", "config.json", "trial.json", "log.txt"} <= {
        p.name for p in folder.iterdir()
    }


@dataclasses.dataclass
class CountConfig:
    nan_at: int = param(0, "The step whose loss is NaN (0: never).", low=0, high=10**9)


class Count(Experiment):
    """A lesson with no data and no model: a counter whose loss is 1/step, NaN at `nan_at`."""

    name, title, group, Config = "test-count", "Count", "Classical", CountConfig

    def build(self, device: str, seed: int) -> None:
        self.steps = 0

    def train_step(self) -> dict[str, float]:
        self.steps += 1
        return {"loss": float("nan") if self.steps == self.config.nan_at else 1.0 / self.steps}

    def evaluate(self) -> dict[str, float]:
        return {"heldout_loss": 1.0 / (1 + self.steps)}

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = state["steps"]


def test_a_diverging_trial_is_failed_with_the_reason_and_the_others_run(tmp_path, monkeypatch):
    from unsuplab.core import registry
    from unsuplab.sweep import run_trial

    registry.lessons()
    monkeypatch.setitem(registry._REGISTRY, Count.name, Count)
    plan = make_plan(Count.name, CountConfig, {"nan_at": ["3", "0"]}, [0], 10, {}, "cpu")
    write_plan(tmp_path, plan)
    records = [run_trial(plan, trial, tmp_path) for trial in plan.trials(CountConfig)]
    assert [r.status for r in records] == ["failed", "done"]
    assert "The loss became nan" in records[0].message and "training diverged" in records[0].message
    assert records[1].step == 10 and records[1].figures == {"heldout_loss": 1 / 11}
    assert [r.status for r in read_sweep(tmp_path).records] == ["failed", "done"]

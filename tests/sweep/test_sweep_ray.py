"""A real sweep on Ray Tune (skipped without the extra unsuplab[sweep]): a 2 x 2 grid of 20-step
trials on a local Ray limited to 2 CPUs gives four trial folders, one table, and the same weights
and held-out figures as the same runs made by `unsuplab train` with the same seeds."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io

import pytest
import torch

from unsuplab.cli import main
from unsuplab.core.checkpoint import load_run
from unsuplab.core.sweep import TRIALS_FOLDER, read_sweep

GRID = ["--grid", "code_size=2,8", "--grid", "learning_rate=0.01,0.1"]
COMMON = ["--steps", "20", "--set", "batch_size=16", "--device", "cpu"]


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# Not imported here: the sweep imports Ray itself, after telling it to stay on 127.0.0.1.
@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="the sweep extra (Ray Tune) is not installed"
)
def test_a_2x2_sweep_on_local_ray_matches_the_same_train_runs(tmp_path):
    out = tmp_path / "sweep"
    code, printed, err = _run(
        "sweep", "autoencoder", *GRID, *COMMON, "--seed", "3", "--cpus", "2", "--out", str(out)
    )
    assert code == 0, err
    trials = sorted(p.name for p in (out / TRIALS_FOLDER).iterdir())
    assert trials == [
        "code_size=2,learning_rate=0.01,seed=3",
        "code_size=2,learning_rate=0.1,seed=3",
        "code_size=8,learning_rate=0.01,seed=3",
        "code_size=8,learning_rate=0.1,seed=3",
    ]
    with open(out / "trials.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [row["trial"] for row in table] == trials and {row["status"] for row in table} == {"done"}
    assert len(printed.splitlines()) == 5  # the table: a header and a row per trial
    records = {r.trial: r for r in read_sweep(out).records}
    # The same runs by `unsuplab train`, in this process with one thread as each trial had.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in trials:
            record = records[name]
            sets = [f"{k}={v}" for k, v in record.settings.items()]
            argv = ["train", "autoencoder", *COMMON, "--seed", "3", "--out", str(tmp_path / name)]
            code, final, err = _run(*argv, *(a for s in sets for a in ("--set", s)))
            assert code == 0, err
            assert record.step == 20
            held_out = dict(p.split("=") for p in final.split() if p.startswith("heldout_"))
            assert {n: f"{v:.5g}" for n, v in record.figures.items()} == held_out
            theirs = load_run(out / TRIALS_FOLDER / name / "checkpoint.pt").state
            ours = load_run(tmp_path / name / "checkpoint.pt").state
            for key in ours["model"]:
                assert torch.equal(theirs["model"][key], ours["model"][key]), (name, key)
    finally:
        torch.set_num_threads(threads)

"""The headless command line, called in-process: list, train, resume, errors, shot."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unsuplab.cli import _ProgressMeter, final_line, main
from unsuplab.core.checkpoint import load_run
from unsuplab.core.loop import Progress
from unsuplab.core.registry import lessons
from unsuplab.models.devices import available_devices

REPO = Path(__file__).resolve().parents[2]


def parse_final(line: str) -> dict[str, float]:
    assert line.startswith("final "), line
    pairs = [item.split("=", 1) for item in line.split()[1:]]
    return {key: float(value) for key, value in pairs}


def read_metrics(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def assert_usage_error(capsys, argv: list[str], *words: str) -> str:
    """Exit status 2 and exactly one line on stderr, naming what was wrong; no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("unsuplab: error: ")
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- list ---------------------------------------------------------------------------------------


def test_list_prints_name_group_title_in_registry_order(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{c.name}\t{c.group}\t{c.title}" for c in lessons()]
    assert "autoencoder\tAutoencoders\tAutoencoder" in lines


def test_python_dash_m_unsuplab_is_the_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "unsuplab", "list"], cwd=REPO, timeout=120, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert ["autoencoder", "Autoencoders", "Autoencoder"] in rows
    assert all(len(row) == 3 for row in rows)


def test_help_explains_what_steps_means(capsys):
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--steps N trains N more steps" in text and "exit status" in text


# --- train ----------------------------------------------------------------------------------------


def test_train_writes_config_metrics_checkpoint_and_pictures(trained):
    result, out = trained
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "metrics.csv", "checkpoint.pt"} <= names
    pictures = sorted(out.glob("*.png"))
    assert pictures, names
    assert f"wrote {out}" in result.out
    assert '"batch_size": 32' in (out / "config.json").read_text()


def test_the_pictures_are_real_legible_images(trained):
    for path in trained[1].glob("*.png"):
        with Image.open(path) as picture:
            picture.load()
            width, height = picture.size
            pixels = np.asarray(picture)
        assert 100 <= max(width, height) <= 4096, (path.name, picture.size)
        assert min(width, height) >= 28, (path.name, picture.size)  # 28x28 digits enlarged
        assert pixels.max() > pixels.min(), f"{path.name} is blank"


def test_metrics_csv_has_step_and_held_out_loss_columns(trained):
    columns, rows = read_metrics(trained[1] / "metrics.csv")
    assert columns[0] == "step" and {"loss", "heldout_loss"} <= set(columns)
    assert len(rows) >= 2
    assert int(rows[0]["step"]) == 0 and int(rows[-1]["step"]) == 30
    assert float(rows[-1]["heldout_loss"]) > 0


def test_the_last_stdout_line_holds_the_final_metrics(trained):
    result, _ = trained
    final = parse_final(result.last_line)
    assert final["step"] == 30
    assert {"loss", "heldout_loss"} <= set(final)
    assert all(np.isfinite(v) for v in final.values())
    assert "Training autoencoder" in result.err and "100%" in result.err  # progress on stderr


def test_resume_continues_from_the_saved_step(cli, trained, tmp_path):
    checkpoint = trained[1] / "checkpoint.pt"
    out = tmp_path / "more"
    result = cli(
        "train",
        "autoencoder",
        "--resume",
        str(checkpoint),
        "--steps",
        "20",
        "--set",
        "batch_size=16",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    assert parse_final(result.last_line)["step"] == 50
    _, rows = read_metrics(out / "metrics.csv")
    steps = [int(row["step"]) for row in rows]
    assert steps[0] == 0 and steps[-1] == 50  # the first run's history carried on
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 50
    assert '"batch_size": 16' in (out / "config.json").read_text()


def test_steps_zero_with_resume_only_exports(cli, trained, tmp_path):
    out = tmp_path / "export"
    result = cli(
        "train",
        "autoencoder",
        "--resume",
        str(trained[1] / "checkpoint.pt"),
        "--steps",
        "0",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    assert parse_final(result.last_line)["step"] == 30
    assert list(out.glob("*.png"))


def test_a_diverging_run_exits_1_after_writing_the_last_good_state(tick, tmp_path, capsys):
    out = tmp_path / "nan"
    code = main(["train", "test-tick", "--set", "nan_at=5", "--steps", "50", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "unsuplab: error: The loss became nan" in captured.err
    assert "Traceback" not in captured.err
    assert {"config.json", "metrics.csv", "checkpoint.pt", "ramp.png"} <= {p.name for p in out.iterdir()}
    final = parse_final(captured.out.strip().splitlines()[-1])
    assert np.isfinite(final["heldout_loss"])


def test_ctrl_c_stops_cleanly_writes_the_outputs_and_exits_130(tick, tmp_path, capsys):
    out = tmp_path / "stopped"
    code = main(["train", "test-tick", "--set", "interrupt_at=3", "--steps", "100000000", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 130, captured.err
    assert "stopping after this step" in captured.err
    assert {"metrics.csv", "checkpoint.pt", "ramp.png"} <= {p.name for p in out.iterdir()}
    step = parse_final(captured.out.strip().splitlines()[-1])["step"]
    assert 3 <= step < 100_000_000


# --- progress and the final line ------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(meter: _ProgressMeter, start: int, limit: int) -> None:
    for step in range(start, limit + 1):
        meter.update(Progress(step, 32 * step, 1.0, 200.0, 6400.0, limit), {"loss": 1 / (1 + step)})
    meter.close()


def test_progress_on_a_terminal_is_one_redrawn_bar():
    terminal = Terminal()
    feed(_ProgressMeter(terminal, 100, 150), 100, 150)
    text = terminal.getvalue()
    assert text.count("\r") == 51 and text.count("\n") == 1
    last = text.rsplit("\r", 1)[-1]
    assert last.startswith("\x1b[2K[" + "#" * 24 + "] 100%")
    assert "step 150/150" in last and "200.0 steps/s" in last and "loss 0.0066" in last


def test_progress_in_a_log_is_a_line_every_ten_percent():
    log = io.StringIO()
    feed(_ProgressMeter(log, 0, 1000), 0, 1000)
    lines = log.getvalue().splitlines()
    assert [line.split("%")[0].strip() for line in lines] == [str(p) for p in range(10, 101, 10)]
    assert "step 500/1000" in lines[4] and "ETA 0:02" in lines[4]
    assert "\r" not in log.getvalue()


def test_final_line_puts_training_metrics_first_with_five_significant_digits():
    line = final_line(30, {"heldout_loss": 0.123456789, "loss": 1.5, "heldout_kl": 2e-7})
    assert line == "final step=30 loss=1.5 heldout_loss=0.12346 heldout_kl=2e-07"


# --- errors: exit status 2 and one line naming the culprit -----------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "no-such-lesson"], ["no-such-lesson", "autoencoder"]),
        (["train", "autoencoder", "--set", "colour=blue"], ["colour", "unknown setting"]),
        (["train", "autoencoder", "--set", "code_size=0"], ["code_size", "minimum"]),
        (["train", "autoencoder", "--set", "batch_size=lots"], ["batch_size", "not a valid int"]),
        (["train", "autoencoder", "--set", "learning_rate=5"], ["learning_rate", "maximum"]),
        (["train", "autoencoder", "--set", "dataset=cifar"], ["dataset", "cifar"]),
        (["train", "autoencoder", "--set", "batch_size"], ["batch_size", "KEY=VALUE"]),
        (["train", "autoencoder", "--steps", "many"], ["--steps", "many"]),
        (["train", "autoencoder", "--device", "abacus"], ["--device", "abacus"]),
        (["train", "autoencoder", "--seed", str(2**70)], ["--seed", "too large"]),
        (["shot", "no-such-lesson", "--out", "x.png"], ["no-such-lesson"]),
        (["shot", "autoencoder", "--set", "code_size=-4", "--out", "x.png"], ["code_size"]),
        (["shot", "autoencoder", "--size", "1280by720", "--out", "x.png"], ["--size", "WIDTHxHEIGHT"]),
        (["shot", "autoencoder", "--size", "320x200", "--out", "x.png"], ["--size", "640x480"]),
    ],
)
def test_bad_requests_exit_2_with_one_line(capsys, tmp_path, argv, words):
    assert_usage_error(capsys, [*argv, "--out", str(tmp_path / "o")] if argv[0] == "train" else argv, *words)


def test_an_unavailable_device_is_refused(capsys, tmp_path):
    missing = [d for d in ("cuda", "mps") if d not in available_devices()]
    if not missing:
        pytest.skip("this machine has both CUDA and MPS")
    assert_usage_error(
        capsys,
        ["train", "autoencoder", "--device", missing[0], "--out", str(tmp_path)],
        missing[0],
        "not available",
    )


def test_a_checkpoint_from_another_lesson_is_refused(capsys, trained, tmp_path):
    checkpoint = trained[1] / "checkpoint.pt"
    assert_usage_error(
        capsys,
        ["train", "sparse-autoencoder", "--resume", str(checkpoint), "--out", str(tmp_path)],
        str(checkpoint),
        "'autoencoder'",
        "'sparse-autoencoder'",
    )


def test_a_truncated_checkpoint_is_refused(capsys, trained, tmp_path):
    cut = tmp_path / "cut.pt"
    data = (trained[1] / "checkpoint.pt").read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    assert_usage_error(
        capsys,
        ["train", "autoencoder", "--resume", str(cut), "--out", str(tmp_path / "o")],
        str(cut),
        "truncated",
    )


class RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_checkpoint_is_refused_without_running_it(capsys, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "unsuplab-run", "version": 1, "state": RunsCode(marker)}, evil)
    assert_usage_error(
        capsys,
        ["train", "autoencoder", "--resume", str(evil), "--out", str(tmp_path / "o")],
        str(evil),
        "refused",
    )
    assert not marker.exists()


def test_a_bad_data_file_is_refused_naming_it(capsys, tmp_path):
    bad = tmp_path / "digits.idx"
    bad.write_text("these are not images\n")
    assert_usage_error(
        capsys, ["train", "autoencoder", "--data", str(bad), "--out", str(tmp_path / "o")], str(bad)
    )
    missing = tmp_path / "absent.npz"
    assert_usage_error(
        capsys, ["train", "autoencoder", "--data", str(missing), "--out", str(tmp_path / "o")], str(missing)
    )


def test_data_is_refused_for_a_lesson_without_a_data_file(capsys, tick, tmp_path):
    assert_usage_error(
        capsys,
        ["train", "test-tick", "--data", str(tmp_path / "x.npz"), "--out", str(tmp_path / "o")],
        "--data",
        "data_file",
        "test-tick",
    )


def test_an_unwritable_output_folder_is_refused(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_usage_error(capsys, ["train", "autoencoder", "--out", str(blocker / "run")], str(blocker / "run"))


# --- shot -------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    importlib.util.find_spec("unsuplab.ui.shot") is None,
    reason="unsuplab.ui.shot is being written by the window helper",
)
def test_shot_writes_a_png(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    out = tmp_path / "window.png"
    code = main(
        [
            "shot",
            "autoencoder",
            "--steps",
            "5",
            "--set",
            "batch_size=16",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as picture:
        assert picture.size[0] >= 400 and picture.size[1] >= 300


def test_the_run_folder_defaults_to_runs_lesson_timestamp(tick, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "test-tick", "--steps", "3"]) == 0
    assert main(["train", "test-tick", "--steps", "3"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 2 and all(name.startswith("test-tick-") for name in folders)


def test_a_shot_needs_at_least_one_step(capsys, tmp_path):
    assert_usage_error(
        capsys, ["shot", "autoencoder", "--steps", "0", "--out", str(tmp_path / "x.png")], "--steps"
    )


def test_a_crash_in_build_exits_1_with_the_traceback_kept_in_the_run_folder(
    tick, monkeypatch, tmp_path, capsys
):
    def broken_build(self, device, seed):
        raise RuntimeError("the data went missing")

    monkeypatch.setattr(tick, "build", broken_build)
    out = tmp_path / "crash"
    assert main(["train", "test-tick", "--steps", "5", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("unsuplab: error: Could not start Tick: the data went missing")
    assert str(out / "failure.txt") in err[-1]
    assert "RuntimeError: the data went missing" in (out / "failure.txt").read_text()


# --- issue 19: a failed run's outputs describe what was saved -------------------------------------


def test_after_a_divergence_the_final_line_describes_the_saved_checkpoint(
    tick, tmp_path, capsys, monkeypatch
):
    import unsuplab.cli

    monkeypatch.setattr(unsuplab.cli, "SNAPSHOT_INTERVAL", 0.0)  # a snapshot after every step
    out = tmp_path / "nan"
    code = main(["train", "test-tick", "--set", "nan_at=5", "--steps", "50", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    final = parse_final(captured.out.strip().splitlines()[-1])
    saved = load_run(out / "checkpoint.pt")
    assert final["step"] == saved.step < 5
    _, rows = read_metrics(out / "metrics.csv")
    assert int(rows[-1]["step"]) == saved.step


def test_an_exception_in_evaluate_exits_1_and_keeps_the_run(tick, tmp_path, capsys, monkeypatch):
    def broken_evaluate(self):
        raise np.linalg.LinAlgError("eigenvalues did not converge")

    monkeypatch.setattr(tick, "evaluate", broken_evaluate)
    out = tmp_path / "eval"
    code = main(["train", "test-tick", "--steps", "20", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    assert "Tick failed at step 0 while evaluating: eigenvalues did not converge" in captured.err
    assert {"config.json", "metrics.csv", "checkpoint.pt", "ramp.png", "failure.txt"} <= {
        p.name for p in out.iterdir()
    }
    assert (
        parse_final(captured.out.strip().splitlines()[-1])["step"]
        == load_run(out / "checkpoint.pt").step
        == 0
    )

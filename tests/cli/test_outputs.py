"""The output folder: nothing written before the run is built, nothing half-written ever, and a
folder that cannot take the outputs (full, read-only) is one line and exit status 2."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unsuplab.atomic import PARTIAL
from unsuplab.cli import main
from unsuplab.core.checkpoint import load_run
from unsuplab.core.history import MetricHistory

REPO = Path(__file__).resolve().parents[2]
TRAIN_TICK = ["train", "test-tick", "--steps", "5"]
SMALL_AUTOENCODER = ["train", "autoencoder", "--steps", "5", "--set", "batch_size=16", "--device", "cpu"]


def error_line(err: str) -> str:
    """The one error line on stderr (progress lines may come before it), without a traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("unsuplab: error: ")]
    assert len(lines) == 1, err
    return lines[0]


def assert_nothing_half_written(folder: Path) -> None:
    """No temp file, no empty file, and every file that is there reads back whole."""
    for path in folder.iterdir():
        assert not path.name.endswith(PARTIAL), path
        assert path.stat().st_size > 0, path
        if path.name == "config.json":
            json.loads(path.read_text())
        elif path.name == "metrics.csv":
            MetricHistory.read_csv(path)
        elif path.name == "checkpoint.pt":
            load_run(path)


# --- a full disk ------------------------------------------------------------------------------------


def no_space_except_config(monkeypatch) -> None:
    """Every write but config.json's fails as on a full disk."""
    real_open = open

    def full_disk_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if Path(file).name != "config.json" + PARTIAL:
            f.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return f

    monkeypatch.setattr("unsuplab.atomic.open", full_disk_open, raising=False)


def test_a_full_disk_is_one_line_exit_2_and_no_half_written_file(tick, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    no_space_except_config(monkeypatch)
    assert main([*TRAIN_TICK, "--out", str(out)]) == 2
    line = error_line(capsys.readouterr().err)
    assert "metrics.csv: cannot write (No space left on device)" in line
    assert "2 more outputs not written" in line  # checkpoint.pt and ramp.png
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]
    assert_nothing_half_written(out)


def test_when_even_config_json_cannot_be_written_the_run_stops_at_once(tick, tmp_path, monkeypatch, capsys):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("unsuplab.atomic.open", no_space, raising=False)
    out = tmp_path / "run"
    assert main([*TRAIN_TICK, "--out", str(out)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line == f"unsuplab: error: {out / 'config.json'}: cannot write (No space left on device)"
    assert not out.exists()  # the folder it made was empty, so it is gone


FILE_SIZE_LIMIT = 4096


def _limit_file_size() -> None:
    # Writes past the limit fail with EFBIG, as writes to a full disk fail with ENOSPC.
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_real_failed_write_in_a_subprocess_exits_2_with_one_line(tmp_path):
    """The operating system refuses the checkpoint's bytes (a 4 KB file size limit): one line,
    exit 2, and the files that were written are whole."""
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "unsuplab", *SMALL_AUTOENCODER, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stderr
    line = error_line(done.stderr)
    assert str(out / "checkpoint.pt") in line and "cannot write (File too large)" in line
    assert not (out / "checkpoint.pt").exists()
    assert (out / "config.json").exists()
    assert_nothing_half_written(out)


# --- a read-only folder -------------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}")
    out.chmod(0o555)
    try:
        assert main([*SMALL_AUTOENCODER, "--out", str(out)]) == 2
    finally:
        out.chmod(0o755)
    line = error_line(capsys.readouterr().err)
    assert line == (f"unsuplab: error: {out}: cannot write in the output folder (Permission denied)")
    assert (out / "config.json").read_text() == "{}"


def test_an_output_folder_that_refuses_files_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """The same check as a read-only folder, for a test run as root."""

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("unsuplab.cli.tempfile.TemporaryFile", refused)
    out = tmp_path / "run"
    assert main([*SMALL_AUTOENCODER, "--out", str(out)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line == f"unsuplab: error: {out}: cannot write in the output folder (Permission denied)"


# The real thing on a small tmpfs, for root on Linux: UNSUPLAB_TMPFS_CHECKS=1 pytest ...
tmpfs = pytest.mark.skipif(
    os.environ.get("UNSUPLAB_TMPFS_CHECKS") != "1" or os.geteuid() != 0,
    reason="opt-in (UNSUPLAB_TMPFS_CHECKS=1), needs root to mount a tmpfs",
)


@pytest.fixture
def small_tmpfs(tmp_path):
    folder = tmp_path / "mnt"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@tmpfs
def test_a_full_tmpfs_is_one_line_and_exit_2(small_tmpfs):
    out = small_tmpfs / "run"
    done = subprocess.run(
        [sys.executable, "-m", "unsuplab", *SMALL_AUTOENCODER, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stderr
    assert "cannot write (No space left on device)" in error_line(done.stderr)
    assert_nothing_half_written(out)


@tmpfs
def test_a_read_only_tmpfs_is_one_line_and_exit_2(small_tmpfs, capsys):
    (small_tmpfs / "run").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    assert main([*SMALL_AUTOENCODER, "--out", str(small_tmpfs / "run")]) == 2
    assert "(Read-only file system)" in error_line(capsys.readouterr().err)


# --- nothing written before the run is built ------------------------------------------------------


def test_a_refused_resume_leaves_the_output_folder_as_it_was(trained, tmp_path, capsys):
    """Fault 9: a checkpoint of code_size 32 resumed with code_size 16 is refused, and the
    folder's config.json still describes its checkpoint."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_bytes((trained[1] / "config.json").read_bytes())
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert (
        main(
            [
                "train",
                "autoencoder",
                "--resume",
                str(trained[1] / "checkpoint.pt"),
                "--set",
                "code_size=16",
                "--steps",
                "1",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "do not fit these settings" in error_line(capsys.readouterr().err)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def write_one_image_per_class(folder: Path) -> Path:
    images = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    path = folder / "few-images-idx3-ubyte"
    path.write_bytes(struct.pack(">IIII", 0x803, 10, 28, 28) + images.tobytes())
    (folder / "few-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, 10) + bytes(range(10)))
    return path


def write_empty_npz(folder: Path) -> Path:
    path = folder / "empty.npz"
    nothing = np.zeros((0, 28, 28), np.uint8)
    np.savez(
        path, x_train=nothing, y_train=np.zeros(0, np.uint8), x_test=nothing, y_test=np.zeros(0, np.uint8)
    )
    return path


def write_ratings(folder: Path, text: str) -> Path:
    path = folder / "ratings.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("make", "args", "words"),
    [
        (
            write_empty_npz,
            lambda p: ["autoencoder", "--data", p],
            ["holds no images", "needs images to train on"],
        ),
        (
            write_one_image_per_class,
            lambda p: ["autoencoder", "--data", p],
            ["label 0 has only 1 image", "hold out"],
        ),
        (
            lambda f: write_ratings(f, "user,movie,rating\nalice,Up,9\n"),
            lambda p: ["rbm-ratings", "--set", f"ratings_file={p}"],
            ["line 2", "outside the scale"],
        ),
        (
            lambda f: write_ratings(f, "user,film\nalice,Up\n"),
            lambda p: ["rbm-ratings", "--set", f"ratings_file={p}"],
            ["missing column 'movie'"],
        ),
        (
            lambda f: f / "absent.csv",
            lambda p: ["rbm-ratings", "--set", f"ratings_file={p}"],
            ["absent.csv: no such file"],
        ),
        (lambda f: f, lambda p: ["rbm-ratings", "--set", f"ratings_file={p}"], ["is a folder"]),
    ],
)
def test_bad_data_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, make, args, words):
    data = make(tmp_path)
    out = tmp_path / "run"
    assert main(["train", *args(str(data)), "--steps", "2", "--out", str(out)]) == 2
    line = error_line(capsys.readouterr().err)
    assert str(data) in line
    for word in words:
        assert word in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--steps", "9" * 20], ["--steps", "9" * 20, "too large", "1000000000"]),
        (["--set", "hidden_sizes=200000,200000"], ["hidden_sizes", "200000", "maximum 16384", "GiB"]),
        (["--set", "hidden_sizes=16000,16000,16000"], ["hidden_sizes", "GiB", "limit is 4 GiB"]),
    ],
)
def test_huge_counts_and_widths_are_refused_before_anything_is_built(tmp_path, capsys, argv, words):
    out = tmp_path / "run"
    assert main(["train", "deep-autoencoder", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1  # not even the "Training ..." line
    line = error_line(err)
    for word in words:
        assert word in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("lesson", "setting"),
    [
        ("vae", "hidden=100000000"),
        ("gan", "hidden=100000000"),
        ("gan-2d", "hidden=100000000"),
        ("dbn", "layer_sizes=100000000"),
        ("stacked-autoencoder", "layer_sizes=100000000"),
        ("gan", "saved_steps=" + "9" * 20),
    ],
)
def test_every_width_list_and_step_list_has_an_upper_bound(tmp_path, capsys, lesson, setting):
    assert main(["train", lesson, "--set", setting, "--out", str(tmp_path / "run")]) == 2
    assert "is above the maximum" in error_line(capsys.readouterr().err)


# --- temp files of killed writes -------------------------------------------------------------------


def test_a_new_run_removes_the_temp_files_a_killed_run_left(tick, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    for name in ("checkpoint.pt", "metrics.csv", "ramp.png"):
        (out / (name + PARTIAL)).write_bytes(b"\0" * 10)
    assert main([*TRAIN_TICK, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.pt",
        "config.json",
        "metrics.csv",
        "ramp.png",
    ]
    assert_nothing_half_written(out)


def test_a_partial_checkpoint_is_never_resumed(tick, tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TRAIN_TICK, "--out", str(out)]) == 0
    partial = out / ("checkpoint.pt" + PARTIAL)
    partial.write_bytes((out / "checkpoint.pt").read_bytes())
    capsys.readouterr()
    assert main(["train", "test-tick", "--resume", str(partial), "--out", str(tmp_path / "b")]) == 2
    assert "unfinished save" in error_line(capsys.readouterr().err)

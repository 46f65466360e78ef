"""`unsuplab film`: a trained or saved run filmed with the requested frames and size; bad paths,
panels and saved runs refused by name, and nothing left under the film's name."""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image

from unsuplab.atomic import partial_path
from unsuplab.core.checkpoint import load_run


def film_of(path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as gif:
        return gif.n_frames, gif.size


def test_a_lesson_is_trained_and_filmed_with_the_frames_and_width_asked(cli, tick, tmp_path):
    out = tmp_path / "tick.gif"
    result = cli("film", "test-tick", "--steps", "400", "--frames", "7", "--width", "320", "--out", str(out))
    assert result.code == 0, result.err
    assert film_of(out) == (7, (320, 192))
    assert result.out.startswith(f"{out}: 7 frames of steps 0-400")


def test_a_saved_run_keeps_its_timeline_and_is_filmed_from_it(cli, trained, tmp_path):
    saved = load_run(trained[1] / "checkpoint.pt")
    assert saved.timeline is not None and saved.timeline.steps()[-1] == 30
    assert saved.timeline.keyframe_steps()[0] == 0
    out = tmp_path / "saved.gif"
    run = str(trained[1] / "checkpoint.pt")
    result = cli(
        "film", "--run", run, "--frames", "9", "--panel", "filters", "--width", "200", "--out", str(out)
    )
    assert result.code == 0, result.err
    # Thirty quick steps were recorded at a few moments (how many depends on the machine's
    # speed): a film of one frame per recorded moment, never more than asked.
    frames = min(len(saved.timeline.steps()), 9)
    assert film_of(out) == (frames, (200, 150))
    assert result.out.startswith(f"{out}: {frames} frames of steps 0-30")


def test_an_unwritable_film_path_is_refused_before_training_and_leaves_nothing(cli, tick, tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who may write anywhere")
        result = cli("film", "test-tick", "--steps", "5", "--out", str(folder / "run.gif"))
    finally:
        os.chmod(folder, 0o700)
    assert result.code == 2
    assert f"{folder / 'run.gif'}: cannot write" in result.err
    assert list(folder.iterdir()) == []


def test_a_film_path_in_a_missing_folder_is_refused_with_its_name(cli, tick, tmp_path):
    out = tmp_path / "absent" / "run.gif"
    result = cli("film", "test-tick", "--steps", "5", "--out", str(out))
    assert result.code == 2 and f"{out}: cannot write" in result.err
    assert not out.exists() and not partial_path(out).exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "run.png"], "a film is written as .gif or .mp4"),
        (["--panel", "nothing", "--out", "run.gif"], "no panel 'nothing'; choose one of ramp"),
        ([], "give a lesson NAME to train, or --run SAVED.pt"),
    ],
)
def test_a_bad_request_exits_2_naming_what_is_wrong(cli, tick, tmp_path, monkeypatch, args, words):
    name = [] if not args else ["test-tick", "--steps", "3"]
    outs = [] if "--out" in args else ["--out", str(tmp_path / "x.gif")]
    monkeypatch.chdir(tmp_path)
    result = cli("film", *name, *args, *outs)
    assert result.code == 2 and words in result.err, result.err
    assert not (tmp_path / "run.gif").exists() and not (tmp_path / "run.png").exists()


def test_mp4_without_the_video_extra_names_the_extra(cli, tick, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a)
    )
    result = cli("film", "test-tick", "--steps", "3", "--out", str(tmp_path / "run.mp4"))
    assert result.code == 2 and "pip install 'unsuplab[video]'" in result.err


def test_a_damaged_timeline_warns_on_resume_and_refuses_a_film_naming_the_file(cli, trained, tmp_path):
    record = torch.load(trained[1] / "checkpoint.pt", weights_only=True)
    del record["timeline"]["frames"][1]["payloads"]
    damaged = tmp_path / "damaged.pt"
    torch.save(record, damaged)
    result = cli("film", "--run", str(damaged), "--out", str(tmp_path / "x.gif"))
    assert (
        result.code == 2 and f"{damaged}: damaged timeline: frame 1: missing field 'payloads'" in result.err
    )
    resumed = cli(
        "train", "autoencoder", "--resume", str(damaged), "--steps", "1", "--out", str(tmp_path / "r")
    )
    assert resumed.code == 0
    assert f"unsuplab: warning: {damaged}: damaged timeline" in resumed.err

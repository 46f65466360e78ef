"""Films of a recorded run: the frames and size asked for, drawn by the window's views with a
caption; a path that cannot be written, or a cancel, leaves no file; the dialog and menu film
the window's run."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from window_waits import wait_for_step

from unsuplab.atomic import OutputError, partial_path
from unsuplab.core.payloads import Curves, ImageGrid
from unsuplab.core.timeline import Timeline
from unsuplab.ui.film import FilmCancelled, FilmError, caption, moments, write_film
from unsuplab.ui.film_dialog import FilmDialog


def recorded(count: int = 12) -> tuple[Timeline, dict]:
    """A timeline of `count` frames of a grid that brightens step by step, and its loss curve."""
    timeline = Timeline()
    for step in range(count):
        grid = np.full((4, 5, 5), step / count, dtype=np.float32)
        timeline.record(step * 10, float(step), {"loss": 1 / (step + 1)}, {"grid": ImageGrid("Grid", grid)})
    steps = np.arange(count) * 10
    curves = {"curves:Loss": Curves("Loss", {"loss": (steps, 1 / (np.arange(count) + 1.0))})}
    return timeline, curves


def test_a_gif_has_the_frames_and_size_asked_for_each_captioned(qapp, tmp_path):
    timeline, curves = recorded()
    frames = moments(timeline, curves)
    assert frames[3].payloads["curves:Loss"].series["loss"][0].tolist() == [0, 10, 20, 30]
    out = write_film(frames, tmp_path / "run.gif", width=300, frames_wanted=5, fps=10)
    with Image.open(out) as gif:
        assert (gif.n_frames, gif.size) == (5, (300, 180))
        assert gif.info["duration"] == 100
        gif.seek(4)
        last = np.asarray(gif.convert("RGB"))
    assert last.std() > 5  # panels drawn, not a blank picture
    assert caption(frames[-1]) == "step 110   loss 0.08333"


def test_one_panel_is_filmed_alone_at_its_own_aspect(qapp, tmp_path):
    timeline, curves = recorded(3)
    out = write_film(moments(timeline, curves), tmp_path / "grid.gif", panel="grid", width=200)
    with Image.open(out) as gif:
        assert (gif.n_frames, gif.size) == (3, (200, 150))
    with pytest.raises(FilmError, match="no panel 'nope'; choose one of curves:Loss, grid"):
        write_film(moments(timeline, curves), tmp_path / "x.gif", panel="nope")


def test_an_unwritable_path_fails_at_once_naming_it_and_leaves_no_file(qapp, tmp_path):
    timeline, curves = recorded(3)
    out = tmp_path / "missing" / "run.gif"
    with pytest.raises(OutputError, match=f"{out}: cannot write"):
        write_film(moments(timeline, curves), out)
    assert not out.exists() and not partial_path(out).exists()


def test_a_cancelled_film_leaves_no_file(qapp, tmp_path):
    timeline, curves = recorded(6)
    out = tmp_path / "run.gif"
    out.write_bytes(b"an earlier film")
    with pytest.raises(FilmCancelled):
        write_film(moments(timeline, curves), out, progress=lambda done, total: done < 3)
    assert out.read_bytes() == b"an earlier film" and not partial_path(out).exists()


def test_the_dialog_films_with_its_settings_and_fills_its_progress_bar(qapp, tmp_path):
    timeline, curves = recorded(8)
    dialog = FilmDialog(timeline, curves, {"grid": "Grid"})
    dialog.width_box.setValue(240)
    dialog.count.setValue(4)
    dialog.panel.setCurrentIndex(dialog.panel.findData("grid"))
    assert dialog.export(tmp_path / "run.gif")
    assert dialog.progress.value() == dialog.progress.maximum() == 4
    with Image.open(tmp_path / "run.gif") as gif:
        assert (gif.n_frames, gif.size) == (4, (240, 180))
    assert not dialog.export(tmp_path / "no" / "run.gif")
    assert dialog.status.text().startswith(f"Not written: {tmp_path / 'no' / 'run.gif'}: cannot write")


def test_the_window_films_its_run_through_the_file_menu_dialog(window, qtbot, tmp_path):
    assert "Export &film…" in [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    window.controls.step_limit.setValue(6)
    window.train()
    wait_for_step(qtbot, window, 6)
    timeline = window.worker.timeline
    assert timeline.steps()[-1] == 6
    curves = {k: p for k, p in window.last_snapshot.payloads.items() if k.startswith("curves:")}
    dialog = FilmDialog(timeline, curves, dict(window.views.titles), window)
    assert dialog.panel.count() == 1 + len(window.last_snapshot.payloads)
    dialog.width_box.setValue(320)
    assert dialog.export(tmp_path / "window.gif")
    with Image.open(tmp_path / "window.gif") as gif:
        assert gif.size == (320, 192) and gif.n_frames == len(timeline)


def test_an_mp4_has_the_frames_and_size_asked_with_the_video_extra(qapp, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="pip install 'unsuplab[video]'")
    timeline, curves = recorded(6)
    out = write_film(moments(timeline, curves), tmp_path / "run.mp4", width=320, fps=6)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["size"] == (320, 192) and sum(1 for _ in reader) == 6
    assert not partial_path(out).exists()

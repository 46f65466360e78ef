"""Saving from the window never fails silently and never leaves a half-written run: a file the
folder cannot take is named in the error banner, and the temp files of a killed save are gone
when the window opens again."""

from __future__ import annotations

from window_waits import wait_for_state

from unsuplab.ui.main_window import MainWindow


def test_a_save_the_folder_cannot_take_is_named_in_the_banner(window, qtbot, tmp_path):
    window.controls.step_limit.setValue(3)
    window.train()
    wait_for_state(qtbot, window, "finished")
    target = tmp_path / "no-such-folder" / "run.pt"
    window.save_run(target)
    qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=5000)
    text = window.banner.message.text()
    assert str(target) in text and "cannot write" in text
    assert not target.parent.exists()  # nothing written, not even a temp file
    window.save_run(tmp_path / "run.pt")  # the run is untouched: a good folder takes it
    qtbot.waitUntil((tmp_path / "run.pt").exists, timeout=5000)


def test_a_stopped_run_is_copied_whole_or_not_at_all(window, qtbot, tmp_path):
    window.autosave = tmp_path / "last-run.pt"
    window.controls.step_limit.setValue(3)
    window.train()
    wait_for_state(qtbot, window, "finished")
    window.stop()
    qtbot.waitUntil(lambda: window.worker is None and window.stopped_run_file is not None, timeout=5000)
    window.save_run(tmp_path / "missing" / "copy.pt")
    assert "cannot write" in window.banner.message.text()
    assert list(tmp_path.iterdir()) == [tmp_path / "last-run.pt"]
    window.save_run(tmp_path / "copy.pt")
    assert (tmp_path / "copy.pt").read_bytes() == (tmp_path / "last-run.pt").read_bytes()


def test_the_window_removes_the_temp_files_a_killed_save_left(qtbot, tmp_path):
    stale = tmp_path / "last-run.pt.partial"
    stale.write_bytes(b"half a run")
    keep = tmp_path / "last-run.pt"
    keep.write_bytes(b"a complete earlier run")
    win = MainWindow(lesson="autoencoder", autosave=keep)
    qtbot.addWidget(win)
    assert not stale.exists()
    assert keep.read_bytes() == b"a complete earlier run"
    win.shutdown()

"""The window drives a real run: train, pause, step, live changes, stop, reset, save and open."""

import time

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid
from window_waits import (
    assert_stays,
    wait_for_newest_snapshot_drawn,
    wait_for_state,
    wait_for_step,
)

from unsuplab.core.checkpoint import load_run
from unsuplab.ui.worker import _LIVE


def test_train_shows_a_snapshot_in_every_panel(window, qtbot):
    assert window.views.currentWidget() is window.views.placeholder
    window.train()
    wait_for_step(qtbot, window, 1)
    views = window.views.views
    assert {"filters", "reconstructions"} <= set(views)
    assert any(key.startswith("curves:") for key in views)
    filters = views["filters"].image_item.image
    assert filters is not None and np.ptp(filters) > 0  # random filters, not a blank panel
    assert window.views.currentWidget() is not window.views.placeholder
    assert window.run_state == "running"
    assert window.status.step_label.text().startswith("Step ")
    assert "steps/s" in window.status.speed_label.text()
    # while a run exists only live settings stay editable
    assert not window.form.editors["code_size"].isEnabled()
    assert window.form.editors["learning_rate"].isEnabled()
    assert not window.controls.seed.isEnabled()


def test_pause_stops_the_step_count_and_step_advances_exactly_one(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 3)
    window.pause()
    wait_for_state(qtbot, window, "paused")
    wait_for_newest_snapshot_drawn(qtbot, window)  # the paused run's last snapshot
    paused_at = window.rendered_step
    assert_stays(qtbot, lambda: window.rendered_step == paused_at, ms=400)
    window.step_once()
    wait_for_step(qtbot, window, paused_at + 1)
    assert_stays(qtbot, lambda: window.rendered_step == paused_at + 1, ms=400)
    assert window.run_state == "paused"


def test_step_without_a_run_builds_it_and_trains_one_step(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    assert_stays(qtbot, lambda: window.rendered_step == 1, ms=300)
    assert window.worker is not None and window.run_state == "paused"


def test_a_live_learning_rate_change_reaches_the_experiment(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 1)
    experiment = window.worker.experiment  # read only; the worker thread owns it
    window.form.editors["learning_rate"].setValue(0.02)
    qtbot.waitUntil(lambda: experiment.optimizer.param_groups[0]["lr"] == 0.02, timeout=5000)
    assert experiment.config.learning_rate == 0.02
    qtbot.waitUntil(lambda: any("learning_rate = 0.02" in line for line in window.log.lines()), timeout=5000)


def test_stop_ends_the_run_and_keeps_the_views(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2)
    thread = window.worker.loop_thread
    window.stop()
    wait_for_state(qtbot, window, "stopped")
    qtbot.waitUntil(lambda: window.worker is None, timeout=3000)
    # The thread has ended; the window deletes it once it has (the same check as Reset's).
    qtbot.waitUntil(lambda: not isValid(thread) or thread.isFinished(), timeout=3000)
    assert "filters" in window.views.views  # the last snapshot stays on screen
    assert window.form.editors["code_size"].isEnabled()
    assert window.controls.train.isEnabled() and not window.controls.stop.isEnabled()


def test_reset_discards_the_run_and_frees_the_settings(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2)
    thread = window.worker.loop_thread
    window.reset()
    assert window.worker is None and window.run_state == "ready"
    assert window.views.views == {} and window.views.currentWidget() is window.views.placeholder
    assert window.form.editors["code_size"].isEnabled()
    qtbot.waitUntil(lambda: not isValid(thread) or thread.isFinished(), timeout=2000)
    window.form.set_value("code_size", 8)  # a new setting takes effect with the next Train
    window.train()
    wait_for_step(qtbot, window, 1)
    assert window.views.views["filters"].image_item.image is not None
    assert window.worker.experiment.config.code_size == 8


def test_closing_mid_training_stops_the_thread_within_two_seconds(window, qtbot):
    window.controls.step_limit.setValue(0)
    window.train()
    wait_for_step(qtbot, window, 2)
    assert window.run_state == "running"
    worker = window.worker
    thread = worker.loop_thread
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 2.0
    assert thread.isFinished() and not thread.isRunning()
    assert worker not in _LIVE  # nothing keeps a finished worker alive


def test_help_lists_the_shortcuts(window, qtbot):
    from PySide6.QtWidgets import QDialog, QLabel

    window.actions_["shortcuts"].trigger()
    dialogs = [d for d in window.findChildren(QDialog) if d.windowTitle() == "Keyboard shortcuts"]
    assert dialogs and dialogs[0].isVisible()
    text = dialogs[0].findChild(QLabel).text()
    for key in ("Space", "Ctrl+Enter", "Shift+Esc", "Esc", "Ctrl+R", "Ctrl+S", "Ctrl+O", "Ctrl+E", "F11"):
        assert f"<b>{key}</b>" in text
    dialogs[0].close()


def test_save_run_then_open_run_restores_lesson_settings_and_step(window, qtbot, tmp_path):
    window.select_lesson("sparse-autoencoder")
    window.form.apply_overrides({"batch_size": "16", "code_size": "24", "penalty": "kl"})
    window.controls.step_limit.setValue(7)
    window.train()
    wait_for_state(qtbot, window, "finished")
    assert window.rendered_step == 7
    path = tmp_path / "run.pt"
    window.save_run(path)
    qtbot.waitUntil(lambda: any("Saved the run" in line for line in window.log.lines()), timeout=5000)
    assert load_run(path).step == 7

    window.select_lesson("autoencoder")
    assert window.worker is None
    assert window.open_run(path)
    assert window.browser.current_lesson() == "sparse-autoencoder"
    assert window.windowTitle() == "unsuplab — Sparse autoencoder"
    assert window.form.raw_value("code_size") == 24
    assert window.form.raw_value("penalty") == "kl"
    wait_for_step(qtbot, window, 7)
    assert window.rendered_step == 7 and window.last_snapshot.progress.step == 7
    assert window.run_state in ("paused", "finished")
    window.step_once()  # and it trains on from there
    wait_for_step(qtbot, window, 8)


def test_a_truncated_run_file_shows_an_error_instead_of_raising(window, qtbot, tmp_path):
    window.controls.step_limit.setValue(3)
    window.train()
    wait_for_state(qtbot, window, "finished")
    path = tmp_path / "run.pt"
    window.save_run(path)
    qtbot.waitUntil(path.exists, timeout=5000)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert not window.open_run(broken)
    assert window.banner.isVisibleTo(window)
    assert "broken.pt" in window.banner.message.text()
    assert window.worker is not None  # the run that was open is untouched


def test_a_bad_data_file_fails_to_build_with_a_clear_message(window, qtbot, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not an image file")
    window.form.set_value("data_file", str(junk))
    window.train()
    wait_for_state(qtbot, window, "failed")
    assert window.banner.isVisibleTo(window)
    assert "junk.npz" in window.banner.message.text()
    qtbot.waitUntil(lambda: window.worker is None, timeout=3000)
    window.form.set_value("data_file", "")  # the window stays usable: fix it and train
    window.train()
    wait_for_step(qtbot, window, 1)


def test_an_exception_mid_run_keeps_the_window_usable_and_the_run_saveable(window, qtbot, tmp_path):
    window.train()
    wait_for_step(qtbot, window, 2)
    experiment = window.worker.experiment

    def broken_step():
        raise RuntimeError("the GPU caught fire")

    experiment.train_step = broken_step  # test-only sabotage of the worker's next step
    wait_for_state(qtbot, window, "failed")
    assert "the GPU caught fire" in window.banner.message.text()
    assert "RuntimeError" in window.banner.detail.toPlainText()
    assert window.worker is not None
    path = tmp_path / "rescued.pt"
    window.save_run(path)
    qtbot.waitUntil(path.exists, timeout=5000)
    assert load_run(path).lesson == "autoencoder"


def test_views_can_ask_the_model_and_get_an_answer(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    answers = []
    window.pad.show_result = answers.append  # the answer to a drawing goes to the drawing pad
    # asked as the pad asks: the answer goes back to the asker by its request id
    window.pad.command_requested.emit("reconstruct", {"image": np.zeros((28, 28), np.float32)})
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers[0].rows["input"].shape == (1, 28, 28) and not answers[0].rows["input"].any()


def test_exports(window, qtbot, tmp_path):
    window.controls.step_limit.setValue(4)
    window.train()
    wait_for_state(qtbot, window, "finished")
    csv = tmp_path / "metrics.csv"
    window.export_metrics(csv)
    # the loop's notice comes once the file is complete (it exists, empty, while being written)
    qtbot.waitUntil(
        lambda: any("Wrote the metric history" in line for line in window.log.lines()), timeout=5000
    )
    assert csv.read_text().startswith("step,")
    png = tmp_path / "filters.png"
    assert window.export_view(png, key="filters") and png.stat().st_size > 0
    shot = tmp_path / "window.png"
    assert window.save_screenshot(shot) and shot.stat().st_size > 0


def test_keyboard_shortcuts_drive_the_run(window, qtbot, monkeypatch):
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_for_step(qtbot, window, 1)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    wait_for_state(qtbot, window, "paused")
    at = window.rendered_step
    qtbot.keyClick(window, Qt.Key.Key_Period)
    wait_for_step(qtbot, window, at + 1)
    asked = []

    def yes(*args):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # a stray Esc stops nothing
    assert window.worker is not None and window.run_state == "paused"
    qtbot.keyClick(window, Qt.Key.Key_Escape, Qt.KeyboardModifier.ShiftModifier)
    wait_for_state(qtbot, window, "stopped")
    assert len(asked) == 1 and "Stop the run at step" in asked[0]


def test_the_stop_key_keeps_the_run_when_the_answer_is_no(window, qtbot, monkeypatch):
    window.train()
    wait_for_step(qtbot, window, 1)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    assert not window.confirm_stop()
    assert window.worker is not None and window.run_state == "running"


def test_every_run_action_names_its_shortcut(window):
    c = window.controls
    assert "Ctrl+Return" in c.train.toolTip()
    assert "Space" in c.pause.toolTip()
    assert "(.)" in c.step.toolTip()
    assert "Shift+Esc asks first" in c.stop.toolTip()
    assert "Ctrl+R" in c.reset.toolTip()


def test_theme_switch_recolours_the_window_and_the_views(window, qtbot):
    window.step_once()
    wait_for_step(qtbot, window, 1)
    filters = window.views.views["filters"]

    def lightness(widget):
        return widget.palette().window().color().lightness()

    window.set_theme(False)
    qtbot.waitUntil(lambda: lightness(window) > 128, timeout=2000)
    assert lightness(filters) > 128
    assert window.actions_["light"].isChecked()
    window.set_theme(True)
    qtbot.waitUntil(lambda: lightness(window) < 128, timeout=2000)
    assert lightness(filters) < 128
    assert window.actions_["dark"].isChecked()

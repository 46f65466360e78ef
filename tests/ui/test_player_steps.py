"""The GAN's "D step" and "G step" buttons in the window: each press is a step the user sees,
in the step count, on the curves and in the log."""

from PySide6.QtCore import Qt
from window_waits import wait_for_state, wait_for_step


def test_d_step_and_g_step_move_the_step_count_and_the_curves(window, qtbot):
    window.select_lesson("gan-2d")
    window.step_once()
    wait_for_step(qtbot, window, 1, timeout=30_000)
    wait_for_state(qtbot, window, "paused")
    buttons = window.tools.actions.buttons
    for press, name in enumerate(("train_d", "train_g"), start=2):
        qtbot.mouseClick(buttons[name], Qt.MouseButton.LeftButton)
        wait_for_step(qtbot, window, press)
        assert window.last_snapshot.progress.step == press
        label = buttons[name].text()
        qtbot.waitUntil(lambda label=label: any(f"{label} #1 done" in line for line in window.log.lines()))
    history = window.last_snapshot.payloads
    steps, _ = history["curves:Losses of D and G"].series["d_loss"]
    assert 2 in steps.tolist()  # the lone D step's own point
    steps, _ = history["curves:Losses of D and G"].series["g_loss"]
    assert 3 in steps.tolist()
    wait_for_state(qtbot, window, "paused")  # it pauses again after each press, as Step does

"""File ▸ Open sweep…: the trials table (sortable, numbers as numbers), the figure against a swept
setting with its spread over seeds, and two selected trials opened side by side in compare mode."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from unsuplab.core.sweep import read_sweep


def test_the_sweep_window_shows_the_table_and_the_plot(window, sweep_folder):
    dialog = window.open_sweep(sweep_folder)
    assert dialog is not None and dialog.isVisible()
    assert dialog.proxy.rowCount() == 4
    assert dialog.columns[:5] == ["trial", "code_size", "seed", "status", "step"]
    loss = dialog.columns.index("heldout_loss")
    dialog.table.sortByColumn(loss, Qt.SortOrder.DescendingOrder)
    shown = [float(dialog.proxy.index(row, loss).data()) for row in range(4)]
    assert shown == sorted(shown, reverse=True)
    assert dialog.figure.currentText() == "heldout_loss" and dialog.setting.currentText() == "code_size"
    (bars,) = dialog.error_bars
    (series,) = read_sweep(sweep_folder).series("heldout_loss", "code_size")
    np.testing.assert_allclose(bars.opts["y"], series.mean)
    np.testing.assert_allclose(bars.opts["height"], 2 * series.spread)
    assert [label for _, label in dialog.plot.getAxis("bottom")._tickLevels[0]] == ["2", "8"]
    assert not dialog.compare_button.isEnabled()  # nothing selected yet
    dialog.close()


def test_two_selected_trials_open_in_compare_mode(window, sweep_folder, qtbot):
    dialog = window.open_sweep(sweep_folder)
    dialog.select_trials(["code_size=2,seed=0", "code_size=8,seed=1"])
    assert dialog.selected_trials() == ["code_size=2,seed=0", "code_size=8,seed=1"]
    assert dialog.compare_button.isEnabled()
    dialog.compare_button.click()
    qtbot.waitUntil(
        lambda: {"filters@code_size=2", "filters@code_size=8"} <= set(window.views.views), timeout=30_000
    )
    assert window.worker.control.paused and window.last_snapshot.progress.step == 5
    curves = window.last_snapshot.payloads["curves:Binary cross-entropy per pixel"]
    assert {"heldout_bce · code_size = 2", "heldout_bce · code_size = 8"} <= set(curves.series)
    dialog.close()

"""File → Export film…: choose the whole view area or one panel, the width, frame rate and frame
count, then watch a progress bar while the recorded run is filmed (ui/film.py) on the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QWidget,
)

from unsuplab.atomic import OutputError
from unsuplab.core.timeline import Timeline
from unsuplab.ui.app import application
from unsuplab.ui.film import MAX_FPS, MAX_WIDTH, MIN_WIDTH, FilmCancelled, FilmError, moments, write_film

DEFAULT_FRAMES = 120


class FilmDialog(QDialog):
    """The film's settings and its progress; `export(path)` films the timeline with them."""

    def __init__(self, timeline: Timeline, curves: dict[str, Any], titles: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export film")
        self.frames = moments(timeline, curves)
        self.cancelled = False
        self.panel = QComboBox()
        self.panel.addItem("Every panel (the whole view area)", None)
        keys = list(dict.fromkeys(key for frame in self.frames for key in frame.payloads))
        for key in keys:
            self.panel.addItem(titles.get(key, key), key)
        self.width_box = _spin(MIN_WIDTH, MAX_WIDTH, 800, " px")
        self.fps = _spin(1, MAX_FPS, 12, " frames/s")
        self.count = _spin(1, max(1, len(self.frames)), min(DEFAULT_FRAMES, max(1, len(self.frames))), "")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        steps = timeline.steps()
        span = f"steps {steps[0]:,} to {steps[-1]:,}" if steps else "nothing yet"
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setEnabled(bool(self.frames))
        self.buttons.accepted.connect(self._ask_and_export)
        self.buttons.rejected.connect(self._cancel)
        form = QFormLayout(self)
        form.addRow(QLabel(f"{len(self.frames):,} recorded frames, {span}."))
        form.addRow("Show", self.panel)
        form.addRow("Width", self.width_box)
        form.addRow("Frame rate", self.fps)
        form.addRow("Frames", self.count)
        form.addRow(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form.addRow(self.status)
        form.addRow(self.buttons)
        self.written: Path | None = None
        self.error: str | None = None

    def export(self, path: str | Path) -> bool:
        """Film the timeline to `path` with the chosen settings, the progress bar following; the
        error (naming the file) is kept in `error` when it cannot be written."""
        self.cancelled, self.error = False, None
        self.export_button.setEnabled(False)
        app = application()

        def progress(done: int, total: int) -> bool:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            app.processEvents()  # the bar moves and Cancel is heard while frames are drawn
            return not self.cancelled

        try:
            self.written = write_film(
                self.frames,
                path,
                panel=self.panel.currentData(),
                width=self.width_box.value(),
                fps=self.fps.value(),
                frames_wanted=self.count.value(),
                progress=progress,
            )
        except (FilmError, OutputError, FilmCancelled) as exc:
            self.error = str(exc)
            self.status.setText(f"Not written: {exc}")
            return False
        finally:
            self.export_button.setEnabled(True)
        return True

    def _ask_and_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export film", "run.gif", "Animated GIF (*.gif);;MP4 video (*.mp4)"
        )
        if path and self.export(path):
            self.accept()

    def _cancel(self) -> None:
        self.cancelled = True
        if self.export_button.isEnabled():  # not filming: close the dialog
            self.reject()


def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


def export_film(window: QWidget) -> None:
    """The menu command: film the window's run (its timeline and curve panels) after asking how."""
    timeline = getattr(window, "timeline", None)
    if timeline is None and getattr(window, "worker", None) is not None:
        timeline = window.worker.timeline
    shown = getattr(window, "last_snapshot", None)
    if timeline is None or not len(timeline) or shown is None:
        window.statusBar().showMessage("No recorded run to film yet: train first", 4000)
        return
    curves = {key: p for key, p in shown.payloads.items() if key.startswith("curves:")}
    dialog = FilmDialog(timeline, curves, dict(window.views.titles), window)
    dialog.exec()
    if dialog.written is not None:
        window.log.add(f"Exported a film of the run to {dialog.written}")

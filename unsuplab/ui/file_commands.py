"""The window's file commands: save and open runs, settings files, PNG and CSV exports.

A mixin of MainWindow that uses only what `FileHost` names: every method takes an optional path
and asks with a file dialog only when none is given, so tests and scripts drive the same code as
the menus. Errors are shown in the window, never raised.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QInputDialog, QStatusBar

from unsuplab.atomic import atomic_write
from unsuplab.core import config as config_io
from unsuplab.core.checkpoint import CheckpointError, SavedRun, load_run
from unsuplab.core.commands import EXPORT_METRICS, SAVE
from unsuplab.core.config import ConfigError
from unsuplab.ui.config_form import ConfigForm
from unsuplab.ui.log_panel import LogPanel
from unsuplab.ui.sweep_window import SweepWindow, open_sweep
from unsuplab.ui.view_area import ViewArea
from unsuplab.ui.views.base import EXPORT_WIDTH


class FileHost(Protocol):
    """What the file commands use of the window, and nothing else."""

    lesson_name: str | None
    autosave: Path | None  # the run file a stopped run or a closed window leaves
    stopped_run_file: Path | None  # the stopped run's file, while no run is open
    form: ConfigForm
    views: ViewArea
    log: LogPanel

    def has_run(self) -> bool: ...
    def shown_step(self) -> int: ...
    def submit_to_run(self, command: str, **kwargs: Any) -> int | None: ...
    def continue_run(self, saved: SavedRun) -> bool: ...
    def show_error(self, message: str, detail: str = "") -> None: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name
    def grab(self) -> QPixmap: ...


class FileCommands:
    """File menu commands for MainWindow, through its `FileHost` members."""

    def _ask_save(self, title: str, name: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, name, filter_)
        return path or None

    def _ask_open(self, title: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, title, "", filter_)
        return path or None

    def save_run(self, path: str | Path | None = None) -> None:
        """Save the run (weights, settings, step, history); the worker thread writes the file."""
        stopped = self.stopped_run_file
        if stopped is None and not self.has_run():
            self.statusBar().showMessage("No run to save: train first", 4000)
            return
        path = path or self._ask_save(
            "Save run", f"{self.lesson_name}-step{self.shown_step()}.pt", "unsuplab runs (*.pt)"
        )
        if not path or self.submit_to_run(SAVE, path=str(path)) is not None:
            return
        try:
            with open(stopped, "rb") as source, atomic_write(path) as target:
                shutil.copyfileobj(source, target)
        except OSError as exc:
            self.show_error(f"Could not save the run to {path}: {exc}")
            return
        self.log.add(f"Saved the stopped run to {path}")

    def open_run(self, path: str | Path | None = None) -> bool:
        """Open a saved run: select its lesson, fill its settings, and continue it paused."""
        path = path or self._ask_open("Open run", "unsuplab runs (*.pt);;All files (*)")
        if not path:
            return False
        try:
            saved = load_run(path)
        except CheckpointError as exc:
            self.show_error(f"Could not open the run: {exc}")
            return False
        if self.continue_run(saved):
            self.log.add(f"Opened {path} at step {saved.step:,}; press Train to continue")
            if saved.timeline_problem:
                self.log.add(saved.timeline_problem)
            return True
        self.show_error(f"The run in {path} cannot continue here: {self.form.error}")
        return False

    def open_last_run(self) -> bool:
        """Open the run autosaved when the last one was stopped or the window closed."""
        if self.autosave is None or not self.autosave.is_file():
            self.statusBar().showMessage("No autosaved run yet", 4000)
            return False
        return self.open_run(self.autosave)

    def open_sweep(self, folder: str | Path | None = None) -> SweepWindow | None:
        """Show a sweep's trials (the folder of `unsuplab sweep`): table, plot, compare."""
        folder = folder or QFileDialog.getExistingDirectory(self, "Open sweep folder", "")
        return open_sweep(self, folder) if folder else None

    def load_config(self, path: str | Path | None = None) -> bool:
        path = path or self._ask_open("Load settings", "Settings (*.json);;All files (*)")
        if not path or self.form.config_type is None:
            return False
        try:
            config = config_io.load_json(self.form.config_type, path)
        except ConfigError as exc:
            self.show_error(f"Could not load the settings: {exc}")
            return False
        self.form.set_config(config)
        self.log.add(f"Loaded settings from {path}")
        return True

    def save_config(self, path: str | Path | None = None) -> bool:
        try:
            config = self.form.config()
        except ConfigError as exc:
            self.show_error(f"Fix the settings first: {exc}")
            return False
        path = path or self._ask_save("Save settings", f"{self.lesson_name}.json", "Settings (*.json)")
        if not path:
            return False
        try:
            config_io.save_json(config, path)
        except OSError as exc:
            self.show_error(f"Could not save the settings to {path}: {exc}")
            return False
        self.log.add(f"Saved settings to {path}")
        return True

    def restore_defaults(self) -> None:
        if self.form.config_type is not None:
            self.form.set_config(self.form.config_type())

    def export_view(self, path: str | Path | None = None, key: str | None = None) -> bool:
        """Save one view as a PNG (asks which one when there are several)."""
        keys = list(self.views.views)
        if not keys:
            self.statusBar().showMessage("No view to export yet: train first", 4000)
            return False
        if key is None:
            if len(keys) == 1:
                key = keys[0]
            else:
                titles = [self.views.titles.get(k, k) for k in keys]
                title, ok = QInputDialog.getItem(self, "Export view", "View:", titles, 0, False)
                if not ok:
                    return False
                key = keys[titles.index(title)]
        safe = "".join(ch if ch.isalnum() else "-" for ch in key).strip("-")
        width = EXPORT_WIDTH
        if path is None:
            width, ok = QInputDialog.getInt(
                self, "Export view", "Width in pixels:", EXPORT_WIDTH, 200, 8000, 100
            )
            if not ok:
                return False
        path = path or self._ask_save(
            "Export view as PNG", f"{self.lesson_name}-{safe}.png", "PNG images (*.png)"
        )
        if not path:
            return False
        try:
            self.views.views[key].export_png(path, width)
        except OSError as exc:
            self.show_error(f"Could not export the view: {exc}")
            return False
        self.log.add(f"Exported {self.views.titles.get(key, key)!r} to {path}")
        return True

    def export_metrics(self, path: str | Path | None = None) -> None:
        if not self.has_run():
            self.statusBar().showMessage("No run: train first", 4000)
            return
        path = path or self._ask_save(
            "Export metrics", f"{self.lesson_name}-metrics.csv", "CSV files (*.csv)"
        )
        if path:
            self.submit_to_run(EXPORT_METRICS, path=str(path))

    def save_screenshot(self, path: str | Path | None = None) -> bool:
        path = path or self._ask_save(
            "Save window screenshot", f"{self.lesson_name}.png", "PNG images (*.png)"
        )
        if not path:
            return False
        if not self.grab().save(str(path), "PNG"):
            self.show_error(f"Could not write the screenshot to {path}")
            return False
        self.log.add(f"Saved a screenshot to {path}")
        return True

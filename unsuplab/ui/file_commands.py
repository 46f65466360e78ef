"""The window's file commands: save and open runs, settings files, PNG and CSV exports.

A mixin of MainWindow: every method takes an optional path and asks with a file dialog only
when none is given, so tests and scripts drive the same code as the menus. Errors are shown in
the window, never raised.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from unsuplab.core import config as config_io
from unsuplab.core.checkpoint import CheckpointError, load_run
from unsuplab.core.config import ConfigError
from unsuplab.core.loop import Restore


class FileCommands:
    """File menu commands for MainWindow (uses its worker, form, views, log and banner)."""

    def _ask_save(self, title: str, name: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, name, filter_)
        return path or None

    def _ask_open(self, title: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, title, "", filter_)
        return path or None

    def save_run(self, path: str | Path | None = None) -> None:
        """Save the run (weights, settings, step, history); the worker thread writes the file."""
        step = self.last_snapshot.progress.step if self.last_snapshot else 0
        if self.worker is None and self._stopped_run_file is None:
            self.statusBar().showMessage("No run to save: train first", 4000)
            return
        path = path or self._ask_save("Save run", f"{self.lesson_name}-step{step}.pt",
                                      "unsuplab runs (*.pt)")
        if not path:
            return
        if self.worker is not None:
            self.worker.submit("save", path=str(path))
            return
        try:
            shutil.copyfile(self._stopped_run_file, path)
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
        self._discard_run()
        self.select_lesson(saved.lesson)
        self.form.set_config(saved.config)
        if self.controls.limit is not None and self.controls.limit <= saved.step:
            self.controls.step_limit.setValue(0)
        restore = Restore(saved.state, saved.step, saved.history)
        if self._start_run(paused=True, restore=restore):
            self.log.add(f"Opened {path} at step {saved.step:,}; press Train to continue")
            return True
        self.show_error(f"The run in {path} cannot continue here: {self.form.error}")
        return False

    def open_last_run(self) -> bool:
        """Open the run autosaved when the last one was stopped or the window closed."""
        if self.autosave is None or not self.autosave.is_file():
            self.statusBar().showMessage("No autosaved run yet", 4000)
            return False
        return self.open_run(self.autosave)

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
        path = path or self._ask_save("Save settings", f"{self.lesson_name}.json",
                                      "Settings (*.json)")
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
        path = path or self._ask_save("Export view as PNG", f"{self.lesson_name}-{safe}.png",
                                      "PNG images (*.png)")
        if not path:
            return False
        try:
            self.views.views[key].export_png(path)
        except OSError as exc:
            self.show_error(f"Could not export the view: {exc}")
            return False
        self.log.add(f"Exported {self.views.titles.get(key, key)!r} to {path}")
        return True

    def export_metrics(self, path: str | Path | None = None) -> None:
        if self.worker is None:
            self.statusBar().showMessage("No run: train first", 4000)
            return
        path = path or self._ask_save("Export metrics", f"{self.lesson_name}-metrics.csv",
                                      "CSV files (*.csv)")
        if path:
            self.worker.submit("export_metrics", path=str(path))

    def save_screenshot(self, path: str | Path | None = None) -> bool:
        path = path or self._ask_save("Save window screenshot", f"{self.lesson_name}.png",
                                      "PNG images (*.png)")
        if not path:
            return False
        if not self.grab().save(str(path), "PNG"):
            self.show_error(f"Could not write the screenshot to {path}")
            return False
        self.log.add(f"Saved a screenshot to {path}")
        return True


"""The main window: lesson browser, live views, config form, run controls, status bar and log."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.checkpoint import SavedRun
from unsuplab.core.commands import SAVE
from unsuplab.core.config import ConfigError
from unsuplab.core.experiment import Experiment
from unsuplab.core.loop import Notice, ProbeResult, Restore, RunFailed, Snapshot, StateChanged
from unsuplab.core.registry import lesson as lesson_class
from unsuplab.models.devices import device_label, resolve_device, warm_up_in_background
from unsuplab.ui import menus, theme
from unsuplab.ui.config_form import ConfigForm
from unsuplab.ui.errors import ErrorBanner
from unsuplab.ui.file_commands import FileCommands
from unsuplab.ui.gui_gc import collect_garbage_on_the_gui_thread
from unsuplab.ui.icons import app_icon
from unsuplab.ui.lesson_browser import LessonBrowser
from unsuplab.ui.lesson_tools import LessonTools
from unsuplab.ui.log_panel import LogPanel
from unsuplab.ui.run_controls import RunControls
from unsuplab.ui.status import RunStatus
from unsuplab.ui.view_area import ViewArea
from unsuplab.ui.worker import RunWorker

DEFAULT_LESSON = "autoencoder"
DEFAULT_SIZE = (1500, 950)
#: Below this window width the toolbar goes compact and the docks narrow with the window.
COMPACT_WIDTH = 1300
#: Below this window height the drawing pad becomes a tab beside the settings, not under them.
COMPACT_HEIGHT = 860
#: How long closing the window blocks waiting for a training thread to end; a step that takes
#: longer is let finish with the window open (it says so), which then closes by itself.
CLOSE_TIMEOUT_MS = 2000
CLOSING_MESSAGE = (
    "Closing: the current training step is still running; the run is saved and "
    "the window closes as soon as it ends"
)


class MainWindow(FileCommands, QMainWindow):
    """The lab. Public methods are what the menus, the shortcuts, `take_shot` and the tests call.

    `settings` remembers the theme (None: nothing is remembered). `autosave` is a run file that
    receives the run's last state whenever it is stopped, reset or the window closes, so a run is
    never lost (None: no autosave).
    """

    def __init__(
        self,
        *,
        lesson: str | None = None,
        dark: bool | None = None,
        settings: QSettings | None = None,
        autosave: Path | None = None,
    ):
        super().__init__()
        collect_garbage_on_the_gui_thread()  # before any other thread starts
        warm_up_in_background()
        self.settings = settings
        self.autosave = autosave
        self.worker: RunWorker | None = None
        self.run_state = "ready"
        self.last_snapshot: Snapshot | None = None
        self.rendered_step = -1  # step of the newest snapshot drawn in the views
        self.lesson_name: str | None = None
        self._workers: set[RunWorker] = set()  # the current and retired ones still running
        self._docks_sized = False
        self._size_class: tuple[bool, bool] | None = None  # (compact width, compact height) laid out for
        self._closing = False  # a close waits for a training step to end
        self.stopped_run_file: Path | None = None  # the autosave of a stopped run, if any

        self.setWindowIcon(app_icon())
        self.resize(*DEFAULT_SIZE)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # Centre: the error banner above the views.
        self.banner = ErrorBanner()
        self.views = ViewArea()
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(4, 4, 4, 0)
        column.setSpacing(4)
        column.addWidget(self.banner)
        column.addWidget(self.views, 1)
        self.setCentralWidget(centre)
        # The lesson's tools and the routing of every question to the model and back.
        self.tools = LessonTools(self.views, self.send_command, self)
        self.pad, self.tsne, self.lesson_actions = self.tools.pad, self.tools.tsne, self.tools.actions

        # Left: lessons; right: settings; bottom: log.
        self.browser = LessonBrowser()
        self.lesson_dock = self._dock(
            "Lessons", "lessonDock", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.form = ConfigForm()
        self.settings_dock = self._dock(
            "Settings", "settingsDock", self._settings_panel(), Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.log = LogPanel()
        self.log_dock = self._dock("Log", "logDock", self.log, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.log_dock.hide()  # the banner and status bar carry what matters; the log is on demand
        # The drawing pad sits under the settings, for lessons whose tools include "draw".
        self.pad_dock = self._dock(
            "Draw a digit", "drawDock", self.pad, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.splitDockWidget(self.settings_dock, self.pad_dock, Qt.Orientation.Vertical)
        # Their sizes follow the window's (see _fit_to_size).

        self.controls = RunControls(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.controls)
        self.addAction(self.controls.toggle)
        self.addAction(self.controls.stop_key)
        self.status = RunStatus(self.statusBar())
        self.status.set_device(device_label(resolve_device("auto")))
        self.actions_ = menus.build(self)

        self._connect()
        if dark is None:
            stored = settings.value("theme", "dark") if settings is not None else "dark"
            dark = stored != "light"
        self.set_theme(dark, remember=False)
        names = self.browser.lesson_names
        if lesson is not None and lesson not in names:
            raise KeyError(f"no lesson named {lesson!r}; known: {', '.join(names)}")
        self.select_lesson(lesson or (DEFAULT_LESSON if DEFAULT_LESSON in names else names[0]))

    # -- construction ----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _settings_panel(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # The form fits the dock's width (rows wrap when narrow); only its height scrolls.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.form)
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Put every setting back to the lesson's default")
        self.load_config_button = QPushButton("Load…")
        self.load_config_button.setToolTip("Load settings from a JSON file")
        self.save_config_button = QPushButton("Save…")
        self.save_config_button.setToolTip("Save these settings as a JSON file")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(10, 4, 10, 8)
        for button in (self.defaults_button, self.load_config_button, self.save_config_button):
            buttons.addWidget(button)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(scroll, 1)
        actions_row = QHBoxLayout()
        actions_row.setContentsMargins(10, 4, 10, 0)
        actions_row.addWidget(self.lesson_actions)
        layout.addLayout(actions_row)
        layout.addLayout(buttons)
        return panel

    def _connect(self) -> None:
        self.browser.lesson_selected.connect(self._on_lesson_selected)
        self.form.edited.connect(self._on_form_edited)
        self.form.live_changed.connect(self._on_live_changed)
        self.tools.message.connect(self.statusBar().showMessage)
        self.tools.logged.connect(self.log.add)
        self.banner.show_log_requested.connect(self.log_dock.show)
        c = self.controls
        c.train.triggered.connect(self.train)
        c.pause.triggered.connect(self.pause)
        c.step.triggered.connect(self.step_once)
        c.stop.triggered.connect(self.stop)
        c.stop_key.triggered.connect(self.confirm_stop)
        c.reset.triggered.connect(self.reset)
        c.toggle.triggered.connect(self.toggle_run)
        c.delay_changed.connect(self._on_delay_changed)
        c.step_limit_changed.connect(self._on_step_limit_changed)
        c.device.currentIndexChanged.connect(self._on_device_changed)
        self.defaults_button.clicked.connect(self.restore_defaults)
        self.load_config_button.clicked.connect(lambda: self.load_config())
        self.save_config_button.clicked.connect(lambda: self.save_config())

    # -- lessons ---------------------------------------------------------------------------------
    def select_lesson(self, name: str) -> None:
        """Show lesson `name`: its notes, its settings (defaults) and no run."""
        if name == self.lesson_name and self.browser.current_lesson() == name:
            return
        self.browser.select(name)

    def _on_lesson_selected(self, name: str) -> None:
        if name == self.lesson_name:
            return
        self._discard_run()
        self._clear_shown_run()
        cls = lesson_class(name)
        self.lesson_name = name
        self.form.set_config_type(cls.Config, cls.title)
        self.setWindowTitle(f"unsuplab — {cls.title}")
        self.settings_dock.setWindowTitle(f"Settings — {cls.title}")
        self._set_tools(cls)
        self._set_state("ready")
        self.log.add(f"Lesson: {cls.title}")

    def _clear_shown_run(self) -> None:
        """A new lesson starts blank at once: the previous lesson's panels, step count, error
        and drawing go, rather than stay under the new title until Train."""
        self.views.clear()
        self.status.clear_progress()
        self.banner.hide()
        self.pad.clear()
        self.last_snapshot = None
        self.rendered_step = -1
        self.stopped_run_file = None

    @property
    def lesson(self) -> type[Experiment]:
        return lesson_class(self.lesson_name)

    def _set_tools(self, cls: type[Experiment]) -> None:
        """Offer the lesson's interactive tools: the drawing pad, the t-SNE button, its actions."""
        self.tools.set_lesson(cls)
        draw = self.tools.draws(cls)
        self.pad_dock.setVisible(draw)
        self.pad_dock.toggleViewAction().setEnabled(draw)

    # -- running ---------------------------------------------------------------------------------
    def train(self) -> None:
        """Start a run with the form's settings, or resume the paused one."""
        if self.worker is None:
            if self._start_run(paused=False):
                self.log.add("Training started")
            return
        if self.run_state == "failed":
            self.banner.hide()  # the user has read it and goes on from the restored weights
        self.worker.control.resume()

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.control.pause()

    def toggle_run(self) -> None:
        """Space: pause a running run, otherwise train."""
        if (
            self.worker is not None
            and self.run_state in ("running", "building")
            and not self.worker.control.paused
        ):
            self.pause()
        else:
            self.train()

    def step_once(self) -> None:
        """Train exactly one step (building the run first if there is none), then pause."""
        if self.worker is None and not self._start_run(paused=True):
            return
        self.worker.control.step(1)

    def stop(self) -> None:
        """End the run; the views keep its last snapshot and the form becomes editable."""
        if self.worker is None:
            return
        self._autosave(self.worker)
        self.worker.stop()

    def confirm_stop(self) -> bool:
        """The Stop key: ask before ending a run that is training or has trained (No is the
        default, so a stray key press and Enter lose nothing); True when the run was stopped."""
        if self.worker is None:
            return False
        if self.shown_step() > 0 or self.run_state in ("running", "building"):
            answer = QMessageBox.question(
                self,
                "Stop the run?",
                f"Stop the run at step {self.shown_step():,}? It is saved, but training ends.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.stop()
        return True

    def reset(self) -> None:
        """Discard the run and clear the views; the next Train builds from the form's settings."""
        self._discard_run()
        self.views.clear()
        self.status.clear_progress()
        self.banner.hide()
        self._set_state("ready", "Reset: change any setting, then Train")
        self.log.add("Reset")

    def send_command(self, name: str, kwargs: dict[str, Any] | None = None) -> int | None:
        """Forward a request (a probe) to the worker, which answers between two steps; returns
        the id its answer will carry, or None when there is no run to ask."""
        if self.worker is None:
            self.statusBar().showMessage("Train first: there is no model to ask yet", 4000)
            return None
        return self.worker.submit(name, **(kwargs or {}))

    # -- what the file commands use (see file_commands.FileHost) -------------------------------
    def has_run(self) -> bool:
        return self.worker is not None

    def shown_step(self) -> int:
        """The step of the newest snapshot shown (0 before the first)."""
        return self.last_snapshot.progress.step if self.last_snapshot else 0

    def submit_to_run(self, command: str, **kwargs: Any) -> int | None:
        """Queue a command for the run's loop; None when there is no run."""
        return None if self.worker is None else self.worker.submit(command, **kwargs)

    def continue_run(self, saved: SavedRun) -> bool:
        """Discard the run, select the saved run's lesson and settings, and continue it paused."""
        self._discard_run()
        self.select_lesson(saved.lesson)
        self.form.set_config(saved.config)
        if self.controls.limit is not None and self.controls.limit <= saved.step:
            self.controls.step_limit.setValue(0)
        return self._start_run(paused=True, restore=Restore(saved.state, saved.step, saved.history))

    def _start_run(self, *, paused: bool, restore: Restore | None = None) -> bool:
        error = self.form.check()
        if error is not None:
            self._refuse(error)
            return False
        config = self.form.config()
        try:
            device = resolve_device(self.controls.device.currentData())
            experiment = self.lesson(config)
        except (ValueError, ConfigError) as exc:
            self.show_error(str(exc))
            return False
        self.views.clear()
        self.banner.hide()
        self._forget_model()
        self.last_snapshot = None
        self.rendered_step = -1
        self.stopped_run_file = None
        worker = RunWorker(
            experiment,
            device=device,
            seed=self.controls.seed.value(),
            restore=restore,
            paused=paused,
            step_limit=self.controls.limit,
            delay=self.controls.delay,
            parent=self,
        )
        worker.snapshot.connect(functools.partial(self._on_snapshot, worker))
        worker.event.connect(functools.partial(self._on_event, worker))
        worker.finished.connect(functools.partial(self._on_worker_finished, worker))
        self.worker = worker
        self._workers.add(worker)
        self.form.set_run_active(True)
        self.status.set_device(device_label(device))
        self.status.clear_progress()
        worker.start()
        self._update_controls()
        return True

    def _refuse(self, error: ConfigError) -> None:
        message = f"Cannot train: {error}"
        self.statusBar().showMessage(message, 6000)
        self.log.add(message, "warning")

    def _discard_run(self) -> None:
        """Stop the current run (autosaving it) without waiting; its thread ends on its own."""
        worker, self.worker = self.worker, None
        if worker is not None:
            self._autosave(worker)
            worker.stop()
        self._forget_model()
        self.form.set_run_active(False)
        self._update_controls()

    def _forget_model(self) -> None:
        """The tools have no model to ask until the next run shows its first snapshot."""
        self.tools.forget_model()

    def _autosave(self, worker: RunWorker) -> None:
        if self.autosave is None or self.last_snapshot is None or self.last_snapshot.progress.step == 0:
            return
        self.autosave.parent.mkdir(parents=True, exist_ok=True)
        # Queued before the stop: the loop serves commands before it checks for a stop.
        worker.submit(SAVE, path=str(self.autosave))
        self.stopped_run_file = self.autosave

    # -- events from the worker (GUI thread) -----------------------------------------------------
    def _on_snapshot(self, worker: RunWorker, snapshot: Snapshot) -> None:
        if worker is not self.worker:
            return  # a discarded run's last words
        self.last_snapshot = snapshot
        failed = self.views.show_payloads(snapshot.payloads)
        for key in failed:
            self.log.add(f"The panel {key!r} could not show the snapshot", "error")
        self.status.show_progress(snapshot.progress)
        self.tools.offer(snapshot)
        if snapshot.progress.step_limit is None and self.controls.limit is not None:
            # The loop drops the limit when training goes on past it; the spin box follows.
            blocked = self.controls.step_limit.blockSignals(True)
            self.controls.step_limit.setValue(0)
            self.controls.step_limit.blockSignals(blocked)
        self.rendered_step = snapshot.progress.step

    def _on_event(self, worker: RunWorker, event: object) -> None:
        current = worker is self.worker
        if isinstance(event, StateChanged):
            message = event.message
            if not message.lower().startswith(event.state):
                message = event.state.capitalize() + (f": {message}" if message else "")
            self.log.add(message)
            if current:
                self._set_state(event.state, event.message)
        elif isinstance(event, Notice):
            self.log.add(event.message, "error" if event.error else "info")
            self.statusBar().showMessage(event.message, 8000)
            if event.error and current:
                self.tools.failed(event)  # releases the tool that waits for this answer
        elif isinstance(event, RunFailed):
            if current:
                self.show_error(event.message, event.detail)  # logs it too
                self._set_state("failed", event.message)
            else:
                self.log.add(event.message, "error", event.detail)
        elif isinstance(event, ProbeResult) and current:
            for key in self.tools.answer(event):
                self.log.add(f"The panel {key!r} could not show the answer", "error")

    def _on_worker_finished(self, worker: RunWorker) -> None:
        self._workers.discard(worker)
        if worker is self.worker:
            self.worker = None
            self._forget_model()
            self.form.set_run_active(False)
            if self.run_state not in ("failed",):
                self._set_state("stopped")
        worker.deleteLater()
        self._update_controls()
        if self._closing and not self._workers:
            QTimer.singleShot(0, self.close)  # the step a close waited for has ended

    # -- controls --------------------------------------------------------------------------------
    def _set_state(self, state: str, message: str = "") -> None:
        self.run_state = state
        self.status.set_state(state, message)
        self._update_controls()

    def _update_controls(self) -> None:
        has_run = self.worker is not None
        state = self.run_state
        if has_run and self.worker.control.paused and state in ("running", "building"):
            state = "paused"  # a Pause pressed a moment ago; the loop's event is on its way
        self.controls.update_state(state=state, has_run=has_run, config_ok=self.form.error is None)
        for widget in (self.defaults_button, self.load_config_button):
            widget.setEnabled(not has_run)
        for name in ("save_run", "export_metrics"):
            self.actions_[name].setEnabled(
                has_run or (name == "save_run" and self.stopped_run_file is not None)
            )

    def _on_form_edited(self) -> None:
        error = self.form.error
        if error is not None:
            self.statusBar().showMessage(f"{error}", 8000)
        self._update_controls()

    def _on_live_changed(self, name: str, value: Any) -> None:
        if self.worker is not None:
            self.worker.submit("set_param", name=name, value=value)

    def _on_delay_changed(self, delay: float) -> None:
        if self.worker is not None:
            self.worker.control.set_delay(delay)

    def _on_device_changed(self) -> None:
        if self.worker is None:
            self.status.set_device(device_label(resolve_device(self.controls.device.currentData())))

    def _on_step_limit_changed(self, limit: int | None) -> None:
        if self.worker is not None:
            self.worker.control.set_step_limit(limit)

    # -- look ------------------------------------------------------------------------------------
    def set_theme(self, dark: bool, *, remember: bool = True) -> None:
        """Switch between the dark and the light theme; `remember` stores the choice."""
        app = QApplication.instance()
        if app is not None:
            theme.apply_theme(app, dark)
        self.dark = dark
        sheet = theme.style_sheet(dark)
        # Each panel of the shell gets the sheet; the views keep their own palettes (see theme).
        for widget in (
            self.controls,
            self.lesson_dock,
            self.settings_dock,
            self.log_dock,
            self.pad_dock,
            self.statusBar(),
            self.banner,
            self.views.placeholder,
        ):
            widget.setStyleSheet(sheet)
        self.views.apply_theme(dark)
        self.status.apply_theme(dark)
        menus.sync_theme(self, dark)
        if remember and self.settings is not None:
            self.settings.setValue("theme", "dark" if dark else "light")

    def show_error(self, message: str, detail: str = "") -> None:
        """A non-blocking error: the banner above the views, the status bar and the log."""
        self.banner.show_error(message, detail)
        self.statusBar().showMessage(message, 10000)
        self.log.add(message, "error", detail)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            self._fit_to_size()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._docks_sized:
            self._fit_to_size()

    def _fit_to_size(self) -> None:
        """Dock and toolbar layout for the window's size class, applied on the first show and
        when the window crosses COMPACT_WIDTH or COMPACT_HEIGHT, never on other resizes: docks a
        user moved or resized by hand stay as they are until the next crossing, and a dock the
        user floated or moved to another side is left alone."""
        size_class = (self.width() < COMPACT_WIDTH, self.height() < COMPACT_HEIGHT)
        if size_class == self._size_class:
            return
        self._size_class = narrow, short = size_class
        self.controls.set_compact(narrow)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        at_home = [
            dock
            for dock, area in (
                (self.lesson_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
                (self.settings_dock, right),
                (self.pad_dock, right),
            )
            if not dock.isFloating() and self.dockWidgetArea(dock) == area
        ]
        if self.settings_dock in at_home and self.pad_dock in at_home:
            if short:
                # One setting row under a 300-px pad is no form: the pad becomes a tab.
                self.tabifyDockWidget(self.settings_dock, self.pad_dock)
                self.settings_dock.raise_()
            else:
                if self.tabifiedDockWidgets(self.settings_dock):
                    # A tab cannot be split off in place: take the pad out, then put it under.
                    shown = not self.pad_dock.isHidden()
                    self.removeDockWidget(self.pad_dock)
                    self.addDockWidget(right, self.pad_dock)
                    self.pad_dock.setVisible(shown)
                self.splitDockWidget(self.settings_dock, self.pad_dock, Qt.Orientation.Vertical)
                self.resizeDocks([self.pad_dock], [self.pad.sizeHint().height()], Qt.Orientation.Vertical)
        # The side docks take a share of the width, so the panels keep most of a small window.
        width = self.width()
        widths = {
            self.lesson_dock: min(270, max(170, width // 6)),
            self.settings_dock: min(340, max(230, width // 5)),
        }
        docks = [dock for dock in widths if dock in at_home]
        if docks:
            self.resizeDocks(docks, [widths[d] for d in docks], Qt.Orientation.Horizontal)

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = CLOSE_TIMEOUT_MS) -> bool:
        """Stop every run of this window and wait for their threads; True when all ended."""
        if self.worker is not None:
            self._autosave(self.worker)
        self.worker = None
        workers = list(self._workers)
        for worker in workers:
            worker.stop()
        ended = all([worker.stop_and_wait(timeout_ms) for worker in workers])
        self._workers = {w for w in workers if w.is_running()}
        for worker in self._workers:
            # Still inside a step it cannot leave (a download, say): let it outlive the window
            # rather than be destroyed with it while its thread runs. The worker module keeps it.
            worker.setParent(None)
        return ended

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.shutdown(0 if self._closing else CLOSE_TIMEOUT_MS):
            super().closeEvent(event)
            return
        # A step that outlasts the wait (a huge batch, a slow disk): destroying its thread would
        # abort the process, so the window stays until it ends, saying why, and then closes.
        event.ignore()
        if not self._closing:
            self._closing = True
            for widget in (
                self.centralWidget(),
                self.controls,
                self.menuBar(),
                self.lesson_dock,
                self.settings_dock,
                self.pad_dock,
            ):
                widget.setEnabled(False)
            self.setWindowTitle(f"{self.windowTitle()} — closing…")
            self.statusBar().showMessage(CLOSING_MESSAGE)
            self.log.add(CLOSING_MESSAGE)

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

from unsuplab.atomic import remove_partials
from unsuplab.core.checkpoint import SavedRun
from unsuplab.core.commands import EXPORT_METRICS, SAVE, SET_PARAM
from unsuplab.core.compare import Comparison
from unsuplab.core.config import ConfigError
from unsuplab.core.experiment import Experiment
from unsuplab.core.loop import (
    Notice,
    ProbeResult,
    Restore,
    RunFailed,
    Snapshot,
    StateChanged,
    branch_restore,
)
from unsuplab.core.registry import lesson as lesson_class
from unsuplab.core.timeline import Timeline
from unsuplab.models.devices import device_label, resolve_device, warm_up_in_background
from unsuplab.ui import accessibility, menus, remembered, theme
from unsuplab.ui.config_form import ConfigForm
from unsuplab.ui.errors import ErrorBanner
from unsuplab.ui.file_commands import FileCommands
from unsuplab.ui.gui_gc import collect_garbage_on_the_gui_thread, freeze_when_ended
from unsuplab.ui.icons import app_icon
from unsuplab.ui.lesson_browser import LessonBrowser
from unsuplab.ui.lesson_tools import LessonTools
from unsuplab.ui.log_panel import LogPanel
from unsuplab.ui.presenter import Presenter
from unsuplab.ui.preset_bar import PresetBar, apply_preset
from unsuplab.ui.run_controls import RunControls
from unsuplab.ui.status import RunStatus
from unsuplab.ui.timeline_bar import (
    TimelineBar,
    Track,
    history_curves,
    history_of,
    moment,
    scatter_bounds,
)
from unsuplab.ui.view_area import ViewArea
from unsuplab.ui.views import CurvesView
from unsuplab.ui.worker import RunWorker

#: The commands that write files: when one fails, the error banner says which file and why.
FILE_COMMANDS = (SAVE, EXPORT_METRICS)

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

    `settings` remembers the theme, presenter scale, colours, dock layout, window geometry and
    last lesson (None: nothing is remembered; see `remembered`). `autosave` is a run file that
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
        freeze_when_ended(warm_up_in_background())
        self.settings = settings
        self.autosave = autosave
        if autosave is not None and autosave.parent.is_dir():
            remove_partials(autosave.parent)  # what a killed save left; never a complete run
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
        self.timeline: Timeline | None = None  # the recording of the run the views show
        self.track: Track | None = None  # the run this one branched from, drawn faded
        # The scatter boxes held while scrubbing, and which recording (and length) they are of.
        self._bounds: dict[str, tuple[float, ...]] = {}
        self._bounds_of: tuple = ()
        self._branch: tuple[Restore, Track] | None = None  # a branch the next Train starts

        self.setWindowIcon(app_icon())
        self.resize(*DEFAULT_SIZE)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # Centre: the error banner above the views, the timeline under them.
        self.banner = ErrorBanner()
        self.views = ViewArea()
        self.timeline_bar = TimelineBar()
        self.timeline_bar.add_key_actions_to(self.views)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(4, 4, 4, 0)
        column.setSpacing(4)
        column.addWidget(self.banner)
        column.addWidget(self.views, 1)
        column.addWidget(self.timeline_bar)
        self.setCentralWidget(centre)
        # The lesson's tools and the routing of every question to the model and back.
        self.tools = LessonTools(self.views, self.send_command, self)
        self.pad, self.tsne, self.lesson_actions = self.tools.pad, self.tools.tsne, self.tools.actions

        # Left: lessons (with the lesson's presets under its text); right: settings; bottom: log.
        self.browser = LessonBrowser()
        self.presets = PresetBar()
        lesson_panel = QWidget()
        lesson_column = QVBoxLayout(lesson_panel)
        lesson_column.setContentsMargins(0, 0, 0, 0)
        lesson_column.setSpacing(0)
        lesson_column.addWidget(self.browser, 1)
        lesson_column.addWidget(self.presets)
        self.lesson_dock = self._dock(
            "Lessons", "lessonDock", lesson_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.form = ConfigForm()
        self.settings_dock = self._dock(
            "Settings", "settingsDock", self._settings_panel(), Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.log = LogPanel()
        self.log_dock = self._dock("Log", "logDock", self.log, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.log_dock.hide()  # the banner and status bar carry what matters; the log is on demand
        if settings is not None:
            remembered.check_file(settings, self.warn_settings)
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
        self.presenter = Presenter(self)
        self.actions_ = menus.build(self)

        self._connect()
        if dark is None:
            dark = self._remembered(remembered.THEME, "dark", remembered.as_text) != "light"
        self.set_theme(dark, remember=False)
        names = self.browser.lesson_names
        if lesson is not None and lesson not in names:
            raise KeyError(f"no lesson named {lesson!r}; known: {', '.join(names)}")
        last = self._remembered(remembered.LESSON, None, remembered.as_text)
        fallback = DEFAULT_LESSON if DEFAULT_LESSON in names else names[0]
        self.select_lesson(lesson or (last if last in names else fallback))
        accessibility.name_window(self)
        self._default_layout = self.saveState(remembered.LAYOUT_VERSION)
        self._restore_layout()

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
        self.presets.chosen.connect(lambda title, values: apply_preset(self, title, values))
        self.form.edited.connect(self._on_form_edited)
        self.form.live_changed.connect(self._on_live_changed)
        self.tools.message.connect(self.statusBar().showMessage)
        self.tools.logged.connect(self.log.add)
        self.banner.show_log_requested.connect(self.log_dock.show)
        self.timeline_bar.moment_chosen.connect(self.show_moment)
        self.timeline_bar.live_requested.connect(self.show_live)
        self.timeline_bar.branch_requested.connect(self.branch_from_here)
        self.views.view_added.connect(self._on_view_added)
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
        self._forget_timeline()
        self._clear_shown_run()
        cls = lesson_class(name)
        self.lesson_name = name
        self.form.set_config_type(cls.Config, cls.title)
        accessibility.name_lesson(self)
        self.setWindowTitle(f"unsuplab — {cls.title}")
        self.settings_dock.setWindowTitle(f"Settings — {cls.title}")
        self._set_tools(cls)
        self.presets.set_lesson(cls)
        self._set_state("ready")
        self.log.add(f"Lesson: {cls.title}")
        if self.settings is not None:
            self.settings.setValue(remembered.LESSON, name)

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
        self._forget_timeline()
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
        if saved.variants:
            return self.start_comparison(saved.variants, saved.restore())
        return self._start_run(paused=True, restore=saved.restore())

    def start_comparison(self, configs: list[Any], restore: Restore | None = None) -> bool:
        """Discard the run and train the lesson's variants `configs` side by side (2 to 4; see
        `unsuplab.core.compare`): every panel shows them all, the controls steer them together.
        A saved comparison (`restore`) continues paused."""
        self._discard_run()
        try:
            comparison = Comparison(self.lesson, configs)
        except (ValueError, ConfigError) as exc:
            self.show_error(str(exc))
            return False
        started = self._start_run(paused=restore is not None, restore=restore, experiment=comparison)
        if started:
            self.log.add(f"Comparing {len(configs)} variants: {'; '.join(comparison.labels)}")
        return started

    def _start_run(
        self, *, paused: bool, restore: Restore | None = None, experiment: Experiment | None = None
    ) -> bool:
        error = self.form.check() if experiment is None else None
        if error is not None:
            self._refuse(error)
            return False
        try:
            device = resolve_device(self.controls.device.currentData())
            experiment = experiment or self.lesson(self.form.config())
        except (ValueError, ConfigError) as exc:
            self.show_error(str(exc))
            return False
        branch, self._branch = self._branch, None
        if restore is None and branch is not None:
            restore, self.track = branch
            self.log.add(f"Branch from the keyframe at step {restore.step:,}")
        else:
            self.track = None
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
        if branch is not None and restore is branch[0]:
            # The keyframe brought its optimiser's settings back: the form's live ones win.
            for name, spec in self.form.specs.items():
                if spec.param.live:
                    worker.submit(SET_PARAM, name=name, value=getattr(experiment.config, name))
        self.timeline = worker.timeline
        self.timeline_bar.go_live()
        self.timeline_bar.show_timelines(self.timeline, self.track and self.track.timeline)
        if isinstance(experiment, Comparison):  # live changes may go to one variant
            self.form.set_variants(experiment.labels, [variant.config for variant in experiment.variants])
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
        self._branch = None
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
        self.timeline_bar.show_timelines(self.timeline, self.track and self.track.timeline)
        if self.timeline_bar.live:  # else the user looks at the past: the panels stay there
            for key in self.views.show_payloads(snapshot.payloads):
                self.log.add(f"The panel {key!r} could not show the snapshot", "error")
            self.rendered_step = snapshot.progress.step
        self.status.show_progress(snapshot.progress)
        self.tools.offer(snapshot)
        if snapshot.progress.step_limit is None and self.controls.limit is not None:
            # The loop drops the limit when training goes on past it; the spin box follows.
            blocked = self.controls.step_limit.blockSignals(True)
            self.controls.step_limit.setValue(0)
            self.controls.step_limit.blockSignals(blocked)

    # -- the timeline: a recorded moment, the present, a branch ------------------------------------
    def show_moment(self, step: int) -> None:
        """Show in every panel what the run showed at the recorded step at or before `step`."""
        if self.timeline is None:
            return
        live = self.last_snapshot.payloads if self.last_snapshot is not None else {}
        payloads, faded = moment(self.timeline, self.track, live, step)
        x_end = self.timeline_bar.steps[-1] if self.timeline_bar.steps else step
        for key in self.views.show_moment(payloads, step, x_end, faded, self._scatter_bounds(live)):
            self.log.add(f"The panel {key!r} could not show step {step}", "error")

    def _scatter_bounds(self, live: dict[str, Any]) -> dict[str, tuple[float, ...]]:
        """`scatter_bounds` of the recording, computed again only when it has grown."""
        recorded = (id(self.timeline), len(self.timeline), self.timeline_bar.steps[-1:])
        if self._bounds_of != recorded:
            self._bounds_of, self._bounds = recorded, scatter_bounds(self.timeline, live)
        return self._bounds

    def show_live(self) -> None:
        """Back to the present: the newest snapshot in every panel, followed as the run trains."""
        if self.last_snapshot is None:
            return
        track = self.track.curves if self.track is not None else {}
        for key in self.views.show_present(self.last_snapshot.payloads, track):
            self.log.add(f"The panel {key!r} could not show the snapshot", "error")
        self.rendered_step = self.last_snapshot.progress.step

    def branch_from_here(self, step: int | None = None) -> bool:
        """Go back to the keyframe at or before `step` (the moment shown): the run stops, its
        recording stays as a faded track, the settings become editable, and Train continues from
        that keyframe as a new run."""
        step = self.timeline_bar.shown_step() if step is None else step
        if self.timeline is None or self.timeline.keyframe_at_or_before(step) is None:
            self.statusBar().showMessage(f"No keyframe at or before step {step:,} to branch from", 6000)
            return False
        live = self.last_snapshot.payloads if self.last_snapshot is not None else {}
        restore = branch_restore(self.timeline, history_of(live), step)
        track = Track(self.timeline, history_curves(live))
        self._discard_run()
        self._branch = (restore, track)
        message = (
            f"Branch from step {step:,}: back to the keyframe at step {restore.step:,}. "
            "Change any setting, then Train to continue as a new run"
        )
        self._set_state("ready", message)
        self.statusBar().showMessage(message, 15000)
        self.log.add(message)
        self.timeline_bar.branch_point = restore.step
        self.timeline_bar.set_moment(restore.step)
        return True

    def _forget_timeline(self) -> None:
        self.timeline, self.track = None, None
        self.timeline_bar.go_live()
        self.timeline_bar.show_timelines(None)

    def _on_view_added(self, key: str, view: object) -> None:
        if self.track is not None and key in self.track.curves and isinstance(view, CurvesView):
            view.set_track(self.track.curves[key])

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
            if event.error and event.command in FILE_COMMANDS:
                self.show_error(event.message)  # a run or history not written: the banner says so
            else:
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
            variant = self.form.live_variant  # None: every variant of a comparison, or the one run
            aimed = {} if variant is None else {"variant": variant}
            self.worker.submit(SET_PARAM, name=name, value=value, **aimed)

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

    # -- remembered across sessions --------------------------------------------------------------
    def warn_settings(self, message: str) -> None:
        """A remembered choice could not be used: say so in the log and go on with the default."""
        self.log.add(message, "warning")

    def _remembered(self, key: str, default: Any, convert) -> Any:
        return remembered.read(self.settings, key, default, convert, self.warn_settings)

    def _restore_layout(self) -> None:
        """The window's size and place and its docks as the last session left them."""
        geometry = self._remembered(remembered.GEOMETRY, None, remembered.as_bytes)
        state = self._remembered(remembered.DOCK_LAYOUT, None, remembered.as_bytes)
        if geometry is not None and not self.restoreGeometry(geometry):
            self.warn_settings("Ignoring the remembered window geometry (damaged); using the default")
        if state is not None:
            if self.restoreState(state, remembered.LAYOUT_VERSION):
                self._docks_sized = True
            else:
                self.warn_settings("Ignoring the remembered dock layout (damaged or old); using the default")
        self.show_pad_for_lesson()

    def show_pad_for_lesson(self) -> None:
        """A restored layout may not show the pad for this lesson: the lesson decides."""
        self.pad_dock.setVisible(self.tools.draws(self.lesson))

    def save_layout(self) -> None:
        """Remember the window's geometry and docks (as outside presenter mode)."""
        self.presenter.leave()
        remembered.save_layout(self.settings, self.saveGeometry(), self.saveState(remembered.LAYOUT_VERSION))

    def reset_layout(self) -> None:
        """View → Reset layout: the docks and the window size of a first start."""
        self.presenter.leave()
        if self.isFullScreen() or self.isMaximized():
            self.showNormal()
        self.restoreState(self._default_layout, remembered.LAYOUT_VERSION)
        self.show_pad_for_lesson()
        self.resize(*DEFAULT_SIZE)
        self.resizeDocks([self.lesson_dock, self.settings_dock], [270, 340], Qt.Orientation.Horizontal)
        remembered.forget_layout(self.settings)
        self.log.add("Layout reset")

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
        if not self._closing:
            self.save_layout()
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

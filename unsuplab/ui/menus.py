"""The window's menus (File, View, Help) and the shortcuts that are not run controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox

from unsuplab.ui import compare_dialog, remembered
from unsuplab.ui.data_folder import choose_data_folder, restore_data_folder
from unsuplab.ui.film_dialog import export_film
from unsuplab.ui.help import ABOUT, shortcuts_dialog
from unsuplab.ui.presenter import check_factor
from unsuplab.ui.views import _style
from unsuplab.viz.colours import COLOUR_MAP_CHOICES, DEFAULT_COLOUR_MAPS

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow


def _action(
    window: MainWindow, text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = ""
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
    action.triggered.connect(lambda *_: slot())
    return action


def build(window: MainWindow) -> dict[str, QAction]:
    """Create the menu bar; returns the actions by name (the window enables some of them)."""
    bar = window.menuBar()
    actions: dict[str, QAction] = {}

    file = bar.addMenu("&File")
    actions["open_run"] = _action(
        window,
        "&Open run…",
        window.open_run,
        QKeySequence.StandardKey.Open,
        "Open a saved run and continue it",
    )
    actions["open_last"] = _action(
        window,
        "Open &last run",
        window.open_last_run,
        tip="Open the run saved automatically when it was last stopped",
    )
    actions["open_sweep"] = _action(
        window,
        "Open s&weep…",
        window.open_sweep,
        tip="Open the folder of a sweep (unsuplab sweep): its trials, a figure against a setting, "
        "and 2 to 4 trials side by side",
    )
    actions["save_run"] = _action(
        window,
        "&Save run…",
        window.save_run,
        QKeySequence.StandardKey.Save,
        "Save the run: weights, settings, step and history",
    )
    actions["load_config"] = _action(
        window, "&Load settings…", window.load_config, tip="Load the lesson's settings from a JSON file"
    )
    actions["save_config"] = _action(
        window, "Save settings…", window.save_config, tip="Save the lesson's settings as JSON"
    )
    actions["data_folder"] = _action(
        window,
        "&Data folder…",
        lambda: choose_data_folder(window),
        tip="The folder that holds MNIST or Fashion-MNIST on this machine (searched before UNSUPLAB_DATA)",
    )
    actions["export_view"] = _action(
        window, "&Export view as PNG…", window.export_view, "Ctrl+E", "Save one panel as a PNG image"
    )
    actions["export_film"] = _action(
        window, "Export &film…", lambda: export_film(window), tip="Film the recorded run as a GIF or MP4"
    )
    actions["export_metrics"] = _action(
        window,
        "Export &metrics CSV…",
        window.export_metrics,
        tip="Write every recorded metric, one row per step",
    )
    actions["screenshot"] = _action(
        window, "Save window &screenshot…", window.save_screenshot, tip="Save the whole window as a PNG image"
    )
    actions["quit"] = _action(window, "&Quit", window.close, "Ctrl+Q", "Quit unsuplab")
    for name in (
        "open_run",
        "open_last",
        "open_sweep",
        "save_run",
        None,
        "load_config",
        "save_config",
        "data_folder",
        None,
        "export_view",
        "export_film",
        "export_metrics",
        "screenshot",
        None,
        "quit",
    ):
        if name is None:
            file.addSeparator()
        else:
            file.addAction(actions[name])

    run = bar.addMenu("&Run")
    c = window.controls
    for action in (c.train, c.pause, c.step, c.stop, c.reset):
        run.addAction(action)
    run.addSeparator()
    actions["compare"] = _action(
        window,
        "&Compare…",
        lambda: compare_dialog.ask_comparison(window),
        tip="Train 2 to 4 variants of the lesson side by side, each panel showing them all",
    )
    run.addAction(actions["compare"])
    run.addAction(window.timeline_bar.branch_action)

    view = bar.addMenu("&View")
    themes = QActionGroup(window)
    actions["dark"] = _action(window, "&Dark theme", lambda: choose_theme(window, dark=True))
    actions["light"] = _action(window, "&Light theme", lambda: choose_theme(window, dark=False))
    actions["high_contrast"] = _action(
        window,
        "&High-contrast light theme",
        lambda: choose_theme(window, dark=False, high_contrast=True),
        tip="Black on white with strong lines, for a bright room or a washed-out projector",
    )
    for name in ("dark", "light", "high_contrast"):
        actions[name].setCheckable(True)
        themes.addAction(actions[name])
        view.addAction(actions[name])
    colours = view.addMenu("&Colours")
    colours.setToolTipsVisible(True)
    maps = QActionGroup(window)
    for name, choice in COLOUR_MAP_CHOICES.items():
        key = f"colours:{name}"
        actions[key] = _action(
            window,
            choice.title,
            lambda n=name: choose_colour_maps(window, n),
            tip=f"Images and fields in {choice.sequential}, signed weights in {choice.diverging}",
        )
        actions[key].setCheckable(True)
        maps.addAction(actions[key])
        colours.addAction(actions[key])
    view.addSeparator()
    for dock, key in (
        (window.lesson_dock, None),
        (window.settings_dock, None),
        (window.pad_dock, "Ctrl+D"),
        (window.log_dock, "Ctrl+L"),
    ):
        toggle = dock.toggleViewAction()
        if key:
            toggle.setShortcut(QKeySequence(key))
        view.addAction(toggle)
    view.addSeparator()
    actions["presenter"] = _action(
        window,
        "&Presenter mode",
        window.presenter.toggle,
        "F5",
        "Everything larger for a projector; the settings and the log fold away (F5 or Esc leaves)",
    )
    actions["presenter"].setCheckable(True)
    view.addAction(actions["presenter"])
    scales = view.addMenu("Presenter &scale")
    factors = QActionGroup(window)
    for factor in _style.PRESENTER_FACTORS:
        key = f"presenter:{factor:g}"
        actions[key] = _action(window, f"{factor:g}×", lambda f=factor: choose_presenter_factor(window, f))
        actions[key].setCheckable(True)
        factors.addAction(actions[key])
        scales.addAction(actions[key])
    actions["reset_layout"] = _action(
        window,
        "&Reset layout",
        window.reset_layout,
        tip="Put the panels, docks and window size back as they were at first start",
    )
    view.addAction(actions["reset_layout"])
    actions["full_screen"] = _action(
        window,
        "&Full screen",
        window.toggle_full_screen,
        "F11",
        "Fill the screen (for a classroom projector)",
    )
    view.addAction(actions["full_screen"])

    help_menu = bar.addMenu("&Help")
    actions["shortcuts"] = _action(
        window, "&Keyboard shortcuts", lambda: shortcuts_dialog(window).show(), "F1"
    )
    actions["about"] = _action(
        window, "&About unsuplab", lambda: QMessageBox.about(window, "About unsuplab", ABOUT)
    )
    help_menu.addAction(actions["shortcuts"])
    help_menu.addAction(actions["about"])

    # Menu shortcuts must work with the menu bar hidden (full screen) too.
    for action in actions.values():
        window.addAction(action)
    _restore_look(window, actions)
    restore_data_folder(window)
    return actions


#: QSettings keys of the View choices kept beside the window's "theme".
HIGH_CONTRAST_KEY, COLOUR_MAPS_KEY = "high_contrast", "colour_maps"


def _restore_look(window: MainWindow, actions: dict[str, QAction]) -> None:
    """Start from the remembered high-contrast, colour-map and presenter-scale choices (defaults
    without settings, or with a damaged or unknown value), before the window applies its first
    theme."""
    settings, warn = window.settings, window.warn_settings
    _style.set_high_contrast(remembered.read(settings, HIGH_CONTRAST_KEY, False, remembered.as_bool, warn))
    name = remembered.read(settings, COLOUR_MAPS_KEY, DEFAULT_COLOUR_MAPS, remembered.as_text, warn)
    if name not in COLOUR_MAP_CHOICES:
        warn(f"Ignoring the remembered colour maps {name!r}; using the default")
        name = DEFAULT_COLOUR_MAPS
    _style.set_colour_maps(name)
    actions[f"colours:{_style.colour_maps_name()}"].setChecked(True)
    factor = remembered.read(
        settings, remembered.PRESENTER_FACTOR, _style.DEFAULT_PRESENTER_FACTOR, check_factor, warn
    )
    if f"presenter:{factor:g}" not in actions:
        warn(f"Ignoring the remembered presenter scale {factor:g}; using the default")
        factor = _style.DEFAULT_PRESENTER_FACTOR
    window.presenter.set_factor(factor)
    actions[f"presenter:{factor:g}"].setChecked(True)


def choose_presenter_factor(window: MainWindow, factor: float) -> None:
    """View → Presenter scale: how much larger presenter mode draws everything (at once when on)."""
    window.presenter.set_factor(factor)
    window.actions_[f"presenter:{factor:g}"].setChecked(True)
    if window.settings is not None:
        window.settings.setValue(remembered.PRESENTER_FACTOR, factor)


def choose_theme(window: MainWindow, *, dark: bool, high_contrast: bool = False) -> None:
    """View's theme items: dark, light, or the high-contrast light theme."""
    _style.set_high_contrast(high_contrast and not dark)
    if window.settings is not None:
        window.settings.setValue(HIGH_CONTRAST_KEY, _style.high_contrast())
    window.set_theme(dark)


def choose_colour_maps(window: MainWindow, name: str) -> None:
    """View → Colours: every image and field is redrawn with the maps named `name`."""
    _style.set_colour_maps(name)
    actions = getattr(window, "actions_", None)
    if actions:
        actions[f"colours:{name}"].setChecked(True)
    if window.settings is not None:
        window.settings.setValue(COLOUR_MAPS_KEY, name)
    window.views.apply_theme(window.dark)


def sync_theme(window: MainWindow, dark: bool) -> None:
    actions = getattr(window, "actions_", None)
    if actions:
        actions["dark" if dark else "high_contrast" if _style.high_contrast() else "light"].setChecked(True)

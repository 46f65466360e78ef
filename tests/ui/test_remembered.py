"""What the window remembers: theme, presenter scale, colours, docks, geometry and last lesson
round-trip through a fresh window; a damaged settings file gives the defaults and a log line."""

import os

import pytest
from PySide6.QtCore import QSettings

from unsuplab.ui import menus
from unsuplab.ui.main_window import DEFAULT_LESSON, DEFAULT_SIZE, MainWindow
from unsuplab.ui.views import _style
from unsuplab.viz.colours import COLOUR_MAP_CHOICES, DEFAULT_COLOUR_MAPS


@pytest.fixture(autouse=True)
def default_look_after():
    yield
    _style.set_high_contrast(False)
    _style.set_colour_maps(DEFAULT_COLOUR_MAPS)
    _style.set_scale(1.0)


def settings_at(tmp_path) -> QSettings:
    """A settings file of this test only, never the user's."""
    return QSettings(str(tmp_path / "unsuplab-test.ini"), QSettings.Format.IniFormat)


def open_window(qtbot, settings: QSettings) -> MainWindow:
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def close(window: MainWindow, settings: QSettings) -> None:
    window.close()
    settings.sync()


def test_choices_and_layout_round_trip_through_a_fresh_window(qtbot, tmp_path):
    other_maps = next(name for name in COLOUR_MAP_CHOICES if name != DEFAULT_COLOUR_MAPS)
    settings = settings_at(tmp_path)
    first = open_window(qtbot, settings)
    first.select_lesson("vae")
    menus.choose_theme(first, dark=False, high_contrast=True)
    menus.choose_colour_maps(first, other_maps)
    menus.choose_presenter_factor(first, 2.0)
    first.log_dock.show()
    first.settings_dock.hide()
    first.resize(760, 560)  # narrower than the offscreen screen (800 wide), which a restore clamps to
    size = (first.width(), first.height())  # no less than the window's minimum height
    assert size[0] == 760
    first.presenter.enter()  # the layout is remembered as it is outside presenter mode
    close(first, settings)
    _style.set_high_contrast(False)
    _style.set_colour_maps(DEFAULT_COLOUR_MAPS)

    second = open_window(qtbot, settings_at(tmp_path))
    assert second.lesson_name == "vae"
    assert not second.dark and _style.high_contrast() and second.actions_["high_contrast"].isChecked()
    assert _style.colour_maps_name() == other_maps and second.actions_[f"colours:{other_maps}"].isChecked()
    assert second.presenter.factor == 2.0 and second.actions_["presenter:2"].isChecked()
    assert not second.presenter.active  # the scale is remembered, not the mode
    assert second.log_dock.isVisible() and second.settings_dock.isHidden()
    assert (second.width(), second.height()) == size
    assert not [line for line in second.log.lines() if "settings" in line.lower() and "default" in line]
    second.shutdown()


def test_reset_layout_brings_back_the_first_start_docks_and_size(qtbot, tmp_path):
    settings = settings_at(tmp_path)
    window = open_window(qtbot, settings)
    window.settings_dock.hide()
    window.log_dock.show()
    window.resize(1000, 700)
    close(window, settings)
    window = open_window(qtbot, settings_at(tmp_path))
    assert window.settings_dock.isHidden()
    window.actions_["reset_layout"].trigger()
    assert window.settings_dock.isVisible() and window.log_dock.isHidden()
    assert (window.width(), window.height()) == DEFAULT_SIZE
    assert not window.settings.contains("window_state")
    window.shutdown()


def test_a_garbage_settings_file_gives_the_defaults_and_a_log_line(qtbot, tmp_path):
    path = tmp_path / "unsuplab-test.ini"
    path.write_bytes(os.urandom(512) + b"\n[General\n=\x00\xff")
    window = open_window(qtbot, QSettings(str(path), QSettings.Format.IniFormat))
    assert window.lesson_name == DEFAULT_LESSON and window.dark
    assert window.presenter.factor == _style.DEFAULT_PRESENTER_FACTOR
    assert any("could not be read" in line and str(path) in line for line in window.log.lines())
    window.shutdown()


def test_damaged_values_each_fall_back_to_their_default_with_a_log_line(qtbot, tmp_path):
    path = tmp_path / "unsuplab-test.ini"
    path.write_text(
        "[General]\n"
        "theme=light\n"
        "presenter_factor=banana\n"
        "high_contrast=maybe\n"
        "colour_maps=rainbow\n"
        "last_lesson=no-such-lesson\n"
        "window_state=@ByteArray(not a layout)\n"
        "window_geometry=hello\n",
        encoding="utf-8",
    )
    window = open_window(qtbot, QSettings(str(path), QSettings.Format.IniFormat))
    assert not window.dark  # the readable value is kept
    assert window.presenter.factor == _style.DEFAULT_PRESENTER_FACTOR
    assert not _style.high_contrast() and _style.colour_maps_name() == DEFAULT_COLOUR_MAPS
    assert window.lesson_name == DEFAULT_LESSON
    assert window.settings_dock.isVisible()
    warnings = "\n".join(window.log.lines())
    for key in ("presenter_factor", "high_contrast", "rainbow", "dock layout", "window_geometry"):
        assert key in warnings, key
    window.shutdown()

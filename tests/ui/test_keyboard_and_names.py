"""Keyboard and screen reader: every control and panel has a name, every shortcut is listed by F1,
every menu opens from the keyboard, and the focus is visible."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QLabel
from window_waits import wait_for_step

from unsuplab.ui.accessibility import unnamed
from unsuplab.ui.help import shortcuts_dialog


def test_every_focusable_control_and_panel_has_a_name(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2)
    window.pause()
    assert not [f"{type(w).__name__} in {type(w.parentWidget()).__name__}" for w in unnamed(window)]
    for view in window.views.views.values():
        assert view.accessibleName() == f"Panel: {view.title_label.text()}"
    assert window.form.editors["code_size"].accessibleName() == "Code size"


def test_every_lessons_settings_are_named(window):
    for name in window.browser.lesson_names:
        window.select_lesson(name)
        assert not [w.objectName() or type(w).__name__ for w in unnamed(window.settings_dock)], name


def test_f1_lists_every_action_that_has_a_shortcut(window):
    text = shortcuts_dialog(window).findChild(QLabel).text()
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            shown = key.toString(QKeySequence.SequenceFormat.NativeText)
            assert f"<b>{shown}</b>" in text, action.text()
    assert "<b>F5</b>" in text and "Presenter mode" in text


def test_every_menu_and_its_items_open_from_the_keyboard(window):
    menus = [action.menu() for action in window.menuBar().actions()]
    letters = [menu.title()[menu.title().index("&") + 1].lower() for menu in menus]
    assert len(set(letters)) == len(menus)  # Alt+letter opens each menu
    for menu in menus:
        for action in menu.actions():
            assert action.isSeparator() or action.text().replace("&", "").strip()


def test_the_preset_buttons_take_the_focus_from_the_tab_key(window):
    for button in window.presets.buttons.values():
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert button.accessibleName().startswith("Preset: ")


def test_the_focused_control_is_drawn_differently(window, qtbot):
    button = window.defaults_button
    assert isinstance(button, QAbstractButton)
    window.activateWindow()
    window.presets.buttons["2-D code"].setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not button.hasFocus(), timeout=2000)
    unfocused = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    assert button.grab().toImage() != unfocused

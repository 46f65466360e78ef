"""Names a screen reader says for the window's controls and panels (setAccessibleName): one place
that names them all, run again whenever the lesson rebuilds its form or panels."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QWidget,
)

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow


def plain(text: str) -> str:
    """A label's text without markup ("Code size <span>live</span>" → "Code size live")."""
    return " ".join(re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ").replace("&", "").split())


def name(widget: QWidget, text: str, description: str = "") -> None:
    widget.setAccessibleName(text)
    if description:
        widget.setAccessibleDescription(description)


def name_window(window: MainWindow) -> None:
    """Name the shell's panels and controls (the parts that do not change with the lesson)."""
    c = window.controls
    for widget, text in (
        (window.browser.tree, "Lessons"),
        (window.browser.text, "Lesson text"),
        (window.form, "Lesson settings"),
        (window.views, "Panels"),
        (window.views.scroll, "Panels"),
        (window.log, "Log"),
        (window.pad, "Drawing pad"),
        (window.banner, "Error"),
        (c, "Run controls"),
        (c.speed, "Training speed"),
        (c.step_limit, "Stop at step"),
        (c.seed, "Random seed"),
        (c.device, "Device"),
        (window.statusBar(), "Run status"),
        (window.timeline_bar.slider, "Timeline: the step the panels show"),
        (window.timeline_bar.play_button, "Replay the recorded run"),
        (window.timeline_bar.speed, "Replay speed"),
        (window.timeline_bar.live_button, "Back to the present"),
    ):
        name(widget, text, widget.toolTip())
    for dock in (window.lesson_dock, window.settings_dock, window.pad_dock, window.log_dock):
        name(dock, f"{dock.windowTitle()} panel")
    for scroll in window.settings_dock.findChildren(QScrollArea):
        name(scroll, "Lesson settings")


def name_lesson(window: MainWindow) -> None:
    """Name each of the lesson's settings after its form label (panels name themselves after
    their titles)."""
    form = window.form.form
    for field, editor in window.form.editors.items():
        row = _row_widget(form, editor)
        label = form.labelForField(row)
        if not isinstance(label, QLabel):
            continue
        name(editor, plain(label.text()), editor.toolTip())
        # In the row itself: the form of the lesson before may still hold a slider of that name
        # (two lessons with a "labels per class" slider) until it is deleted.
        slider = row.findChild(QSlider, f"slider_{field}")
        if slider is not None:
            name(slider, f"{plain(label.text())} slider", editor.toolTip())


def _row_widget(form: QFormLayout, editor: QWidget) -> QWidget:
    """The widget a form row holds for `editor`: the editor or the row around it (with a slider)."""
    widget = editor
    while widget.parentWidget() is not None and form.labelForField(widget) is None:
        widget = widget.parentWidget()
        if widget is form.parentWidget():
            return editor
    return widget


def _inner_part(widget: QWidget) -> bool:
    """A part a named widget is made of: a spin box's or combo box's text field, a scrolled view's
    viewport."""
    parent = widget.parentWidget()
    if isinstance(parent, (QAbstractSpinBox, QComboBox)):
        return True
    return isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget


def unnamed(root: QWidget) -> list[QWidget]:
    """The visible widgets under `root` that take the keyboard focus but have no name a screen
    reader can say (a button's text counts as its name)."""
    result = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or widget.focusPolicy() == widget.focusPolicy().NoFocus:
            continue
        if _inner_part(widget):
            continue
        if widget.accessibleName() or (isinstance(widget, QAbstractButton) and plain(widget.text())):
            continue
        result.append(widget)
    return result

"""The config form: one editor per field of a lesson's Config dataclass, with help, ranges and errors."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.config import ConfigError, FieldSpec, coerce, field_specs, with_overrides

_INT_MAX = 2**31 - 1


def _fmt(value: float) -> str:
    return f"{value:g}"


class FloatSpinBox(QDoubleSpinBox):
    """A float editor that shows 1e-03 and 0.05 alike; with `log`, arrows walk 1, 2, 5, 10, 20 ..."""

    def __init__(self, *, log: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self._log = log
        self.setDecimals(12)  # storage precision; the text shows only significant digits
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            # Half-typed numbers ("1e", "-", "0.") are fine while typing.
            partial = stripped in ("", "-", "+", ".") or stripped[-1:] in ("e", "E", "-", "+", ".")
            state = QValidator.State.Intermediate if partial else QValidator.State.Invalid
            return state, text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        if not self._log or self.value() <= 0:
            super().stepBy(steps)
            return
        value = self.value()
        for _ in range(abs(steps)):
            value = _next_125(value, up=steps > 0)
        self.setValue(min(max(value, self.minimum()), self.maximum()))


def _next_125(value: float, *, up: bool) -> float:
    """The next value of the 1-2-5 sequence above (or below) `value`: log-friendly stepping."""
    exponent = math.floor(math.log10(value))
    ladder = [m * 10.0**e for e in (exponent - 1, exponent, exponent + 1) for m in (1, 2, 5)]
    if up:
        return next(v for v in ladder if v > value * (1 + 1e-9))
    return next(v for v in reversed(ladder) if v < value * (1 - 1e-9))


def tooltip_text(spec: FieldSpec) -> str:
    """The field's help (its formula) and its range or choices, as a wrapped rich-text tooltip."""
    p = spec.param
    notes = []
    if p.choices is not None:
        notes.append("Choices: " + ", ".join(str(c) for c in p.choices))
    elif p.low is not None or p.high is not None:
        low = _fmt(p.low) if p.low is not None else "−∞"
        high = _fmt(p.high) if p.high is not None else "∞"
        notes.append(f"Range: {low} … {high}" + (" (log scale)" if p.log else ""))
    notes.append(f"Default: {spec.default!r}" if spec.type is str else f"Default: {spec.default}")
    notes.append("Can change while training." if p.live else "Fixed once a run starts (Reset to change).")
    body = html.escape(p.help, quote=False)
    extra = "<br>".join(html.escape(n, quote=False) for n in notes)
    return f"<p>{body}</p><p style='color:gray'>{extra}</p>"


def _make_editor(spec: FieldSpec) -> QWidget:
    p = spec.param
    if p.choices is not None:
        combo = QComboBox()
        for choice in p.choices:
            combo.addItem(str(choice), choice)
        return combo
    if spec.type is bool:
        return QCheckBox()
    if spec.type is int:
        box = QSpinBox()
        box.setRange(
            int(p.low) if p.low is not None else -_INT_MAX, int(p.high) if p.high is not None else _INT_MAX
        )
        box.setKeyboardTracking(False)
        box.setGroupSeparatorShown(True)
        if spec.default and abs(spec.default) >= 100:
            box.setSingleStep(10 ** (len(str(abs(int(spec.default)))) - 2))
        return box
    if spec.type is float:
        box = FloatSpinBox(log=p.log)
        box.setRange(p.low if p.low is not None else -1e12, p.high if p.high is not None else 1e12)
        default = abs(float(spec.default))
        if default > 0:
            box.setSingleStep(10.0 ** math.floor(math.log10(default)))
        elif p.low is not None and p.high is not None:
            box.setSingleStep((p.high - p.low) / 100)
        return box
    return QLineEdit()


#: Positions of a float slider between its low and high end.
FLOAT_SLIDER_STEPS = 1000


class _SliderField(QWidget):
    """A slider over the field's range beside its spin box, kept in step with it. The spin box
    stays the editor (its value is the field's); the slider commits when released, so dragging
    sends one change, not one per pixel."""

    def __init__(self, box: QSpinBox | QDoubleSpinBox, spec: FieldSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.box = box
        self.low, self.high = float(spec.param.low), float(spec.param.high)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"slider_{spec.name}")
        self.slider.setTracking(False)
        if isinstance(box, QSpinBox):
            self.slider.setRange(int(self.low), int(self.high))
        else:
            self.slider.setRange(0, FLOAT_SLIDER_STEPS)
        self.slider.setToolTip(box.toolTip())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 3)
        layout.addWidget(box, 2)
        self.slider.valueChanged.connect(self._slider_moved)
        box.valueChanged.connect(self._box_changed)
        self._box_changed(box.value())

    def _slider_moved(self, position: int) -> None:
        if isinstance(self.box, QSpinBox):
            self.box.setValue(position)
        elif position >= FLOAT_SLIDER_STEPS:
            self.box.setValue(self.high)
        else:
            # To the slider's own resolution: a notch of a 0 … 1 slider reads 0.644, not 0.643971.
            notch = (self.high - self.low) / FLOAT_SLIDER_STEPS
            decimals = max(0, math.ceil(-math.log10(notch)))
            self.box.setValue(round(self.low + notch * position, decimals))

    def _box_changed(self, value: float) -> None:
        if isinstance(self.box, QSpinBox):
            position = int(value)
        else:
            position = round((value - self.low) / (self.high - self.low) * FLOAT_SLIDER_STEPS)
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.setSliderPosition(position)
        self.slider.blockSignals(False)


class _FileField(QWidget):
    """A line edit with a "…" button that opens a file chooser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setClearButtonEnabled(True)
        self.edit.setPlaceholderText("(none: use the data set)")
        self.button = QToolButton()
        self.button.setText("…")
        self.button.setToolTip("Choose a file")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.button.clicked.connect(self._choose)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose a data file",
            str(Path(self.edit.text()).parent if self.edit.text() else ""),
            "Image data (*.npz *.gz *-ubyte *.idx *.idx3);;All files (*)",
        )
        if path:
            self.edit.setText(path)
            self.edit.editingFinished.emit()


#: Ctrl+letter keys a text field may keep for editing; every other Ctrl+letter is the window's.
_EDITING_KEYS = frozenset(Qt.Key(ord(c)) for c in "ACVXYZ")


class _WindowKeysFirst(QObject):
    """Lets the window's Ctrl+letter shortcuts (Ctrl+E exports a panel, Ctrl+R resets) work while
    a settings field has focus: a line edit claims some of them for cursor moves (Ctrl+E is
    "end of line" on Linux) unless its shortcut-override event is kept from it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            letter = Qt.Key.Key_A <= event.key() <= Qt.Key.Key_Z
            if mods == Qt.KeyboardModifier.ControlModifier and letter and event.key() not in _EDITING_KEYS:
                return True  # not accepted by the field: the shortcut map fires the window's action
        return False


class ConfigForm(QWidget):
    """The lesson's settings, generated from its Config dataclass via `field_specs`.

    `edited` fires after every committed change; `live_changed(name, value)` fires for a valid
    change of a `live` field while a run is active, so the window can send it to the worker.
    While a comparison runs (`set_variants`), a chooser above the fields aims the live changes
    at every variant or at one (`live_variant`), and shows the chosen variant's live values.
    """

    edited = Signal()
    live_changed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.config_type: type | None = None
        self.specs: dict[str, FieldSpec] = {}
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._run_active = False
        self._filling = False
        self.error: ConfigError | None = None
        self._window_keys_first = _WindowKeysFirst(self)

        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.hint = QLabel(
            "Hover over a setting for its formula. Settings marked <i>live</i> can change while training."
        )
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.variant_choice = QComboBox()
        self.variant_choice.setObjectName("liveVariant")
        self.variant_choice.setToolTip(
            "Which variant of the comparison a live change reaches: all of them, or only the one "
            "chosen (its current values are shown)."
        )
        self.variant_choice.currentIndexChanged.connect(self._show_variant_values)
        self._variant_row = QWidget()
        row = QHBoxLayout(self._variant_row)
        row.setContentsMargins(0, 4, 0, 0)
        row.addWidget(QLabel("Live changes go to"))
        row.addWidget(self.variant_choice, 1)
        self._variant_row.hide()
        self._variant_values: list[dict[str, Any]] = []  # each variant's live values, as last sent
        self._form_host = QWidget()
        self.form = QFormLayout(self._form_host)
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(10, 8, 10, 8)
        self._outer.addWidget(self.title)
        self._outer.addWidget(self.hint)
        self._outer.addWidget(self._variant_row)
        self._outer.addSpacing(6)
        self._outer.addWidget(self._form_host)
        self._outer.addStretch(1)

    # -- building --------------------------------------------------------------------------------
    def set_config_type(self, config_type: type, title: str = "") -> None:
        """Rebuild the form for `config_type`, filled with its defaults."""
        self._outer.removeWidget(self._form_host)
        self._form_host.deleteLater()
        self._form_host = QWidget()
        self.form = QFormLayout(self._form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        # A narrow dock puts a long label above its field rather than cut it or scroll sideways.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(4)
        self.config_type = config_type
        self.title.setText(title)
        self.specs, self.editors, self.labels, self.error_labels = {}, {}, {}, {}
        for spec in field_specs(config_type):
            self._add_row(spec)
        # Rows first, then show the finished host: a layout would only show widgets added to a
        # visible parent later, from the event loop.
        self._outer.insertWidget(self._outer.count() - 1, self._form_host)  # above the stretch
        self._form_host.show()
        self.set_config(config_type())
        self.set_run_active(self._run_active)

    def _add_row(self, spec: FieldSpec) -> None:
        if spec.name == "data_file" and spec.type is str:
            holder = _FileField()
            editor: QWidget = holder.edit
            row_widget: QWidget = holder
        else:
            editor = row_widget = _make_editor(spec)
        tip = tooltip_text(spec)
        editor.setToolTip(tip)
        if spec.param.slider and isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            row_widget = _SliderField(editor, spec)
        editor.setObjectName(f"field_{spec.name}")
        editor.installEventFilter(self._window_keys_first)
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.lineEdit().installEventFilter(self._window_keys_first)
        label_text = html.escape(spec.label)
        if spec.param.live:
            label_text += " <span style='font-size:10px; color:gray'>live</span>"
        label = QLabel(label_text)
        label.setToolTip(tip)
        label.setBuddy(editor)
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        self.form.addRow(label, row_widget)
        # The error gets a full-width row of its own under the field: room for a long reason.
        self.form.addRow(error)
        self.form.setRowVisible(error, False)
        self.specs[spec.name] = spec
        self.editors[spec.name] = editor
        self.labels[spec.name] = label
        self.error_labels[spec.name] = error
        self._connect(spec.name, editor)

    def _connect(self, name: str, editor: QWidget) -> None:
        def changed(*_args: Any) -> None:
            self._on_changed(name)

        if isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(changed)
        elif isinstance(editor, QCheckBox):
            editor.toggled.connect(changed)
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.valueChanged.connect(changed)
        elif isinstance(editor, QLineEdit):
            editor.editingFinished.connect(changed)
            editor.textChanged.connect(lambda *_: self._on_text_typed(name))

    # -- values ----------------------------------------------------------------------------------
    def raw_value(self, name: str) -> Any:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            return editor.value()
        return editor.text()

    def set_value(self, name: str, value: Any) -> None:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(index if index >= 0 else 0)
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)
        else:
            editor.setText(str(value))

    def values(self) -> dict[str, Any]:
        return {name: self.raw_value(name) for name in self.editors}

    def set_config(self, config: Any) -> None:
        """Show `config`'s values (without sending live changes)."""
        self._filling = True
        try:
            for name in self.editors:
                self.set_value(name, getattr(config, name))
        finally:
            self._filling = False
        self.check()
        self.edited.emit()

    def config(self) -> Any:
        """The config the form shows, validated: raises ConfigError naming the bad field."""
        if self.config_type is None:
            raise ConfigError("lesson", "no lesson is selected")
        config = with_overrides(self.config_type(), self.values())
        data_file = getattr(config, "data_file", "")
        if isinstance(data_file, str) and data_file and not Path(data_file).expanduser().exists():
            raise ConfigError("data_file", f"no such file: {data_file}")
        return config

    def apply_overrides(self, overrides: dict[str, Any]) -> Any:
        """Set fields from text values (as the CLI passes them); validated like any edit.

        Raises ConfigError (the form is left unchanged) when a value or the result is invalid.
        """
        if self.config_type is None:
            raise ConfigError("lesson", "no lesson is selected")
        current = with_overrides(self.config_type(), self.values())
        updated = with_overrides(current, overrides)
        self.set_config(updated)
        return self.config()

    def check(self) -> ConfigError | None:
        """Validate; show the error inline next to its field. Returns the error or None."""
        for name, label in self.error_labels.items():
            self.form.setRowVisible(label, False)
            self._mark(name, False)
        try:
            self.config()
        except ConfigError as exc:
            self.error = exc
            name = exc.field if exc.field in self.error_labels else None
            if name is not None:
                self.error_labels[name].setText(f"⚠ {exc.reason}")
                self.form.setRowVisible(self.error_labels[name], True)
                self._mark(name, True)
            return exc
        self.error = None
        return None

    def _mark(self, name: str, invalid: bool) -> None:
        editor = self.editors[name]
        editor.setProperty("invalid", invalid)
        editor.style().unpolish(editor)
        editor.style().polish(editor)

    def _on_text_typed(self, name: str) -> None:
        # Clear a stale error as soon as the user starts fixing the text.
        if self.error is not None and self.error.field == name:
            self.form.setRowVisible(self.error_labels[name], False)

    def _on_changed(self, name: str) -> None:
        if self._filling:
            return
        self.check()
        self.edited.emit()
        spec = self.specs[name]
        if self._run_active and spec.param.live:
            try:
                value = coerce(spec, self.raw_value(name))
            except ConfigError:
                return
            chosen = self.variant_choice.currentIndex()
            for values in self._variant_values if chosen <= 0 else [self._variant_values[chosen - 1]]:
                values[name] = value
            self.live_changed.emit(name, value)

    # -- run state -------------------------------------------------------------------------------
    def set_run_active(self, active: bool) -> None:
        """While a run exists only live fields stay editable."""
        self._run_active = active
        if not active:
            self.set_variants([], [])
        for name, editor in self.editors.items():
            enabled = not active or self.specs[name].param.live
            # A field with a browse button or a slider: the whole row.
            holder = editor.parentWidget()
            target = holder if isinstance(holder, (_FileField, _SliderField)) else editor
            target.setEnabled(enabled)
            self.labels[name].setEnabled(enabled)

    # -- a comparison's variants -----------------------------------------------------------------
    def set_variants(self, labels: list[str], configs: list[Any]) -> None:
        """The running comparison's variants (their labels and configs), whose live settings the
        chooser aims at; no labels: one run, no chooser."""
        self._variant_values = [
            {name: getattr(config, name) for name, spec in self.specs.items() if spec.param.live}
            for config in configs
        ]
        self.variant_choice.blockSignals(True)
        self.variant_choice.clear()
        self.variant_choice.addItem("all variants", None)
        for label in labels:
            self.variant_choice.addItem(label, label)
        self.variant_choice.blockSignals(False)
        self._variant_row.setVisible(bool(labels))

    @property
    def live_variant(self) -> str | None:
        """The label of the variant live changes go to; None for every variant (or one run)."""
        return self.variant_choice.currentData() if self._variant_values else None

    def _show_variant_values(self, index: int) -> None:
        if index <= 0 or index > len(self._variant_values):
            return  # "all variants" keeps the values shown
        self._filling = True
        try:
            for name, value in self._variant_values[index - 1].items():
                self.set_value(name, value)
        finally:
            self._filling = False
        self.check()

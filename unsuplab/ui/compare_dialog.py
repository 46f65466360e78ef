"""The Compare dialog (Run ▸ Compare…): one or two settings and their values, or one of the
lesson's preset comparisons, and optionally the form's settings as a variant; 2 to 4 variants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.compare import MAX_VARIANTS, parse_values, value_text, variant_names, vary_configs
from unsuplab.core.config import ConfigError, field_specs
from unsuplab.core.experiment import Experiment

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow

#: The second setting's "none" entry.
NO_SETTING = "—"
SETTINGS_VARIED = 2


class CompareDialog(QDialog):
    """Choose the variants of `lesson` around the form's settings `base`; `chosen` holds their
    configs once accepted. Presets fill the fields; the summary names every variant, or says
    which setting is wrong (and Compare waits until it is right)."""

    def __init__(self, lesson: type[Experiment], base: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Compare — {lesson.title}")
        self.lesson, self.base = lesson, base
        self.chosen: list[Any] = []
        names = [spec.name for spec in field_specs(lesson.Config)]
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"Train 2 to {MAX_VARIANTS} variants of the lesson together, from the same seed and "
                "data, each the same number of steps. Every panel shows them all."
            )
        )
        self.preset_buttons: dict[str, QPushButton] = {}
        if lesson.comparisons:
            presets = QHBoxLayout()
            presets.addWidget(QLabel("Presets:"))
            for title, vary in lesson.comparisons.items():
                button = QPushButton(title)
                button.clicked.connect(lambda _=False, v=vary: self.set_vary(v))
                presets.addWidget(button)
                self.preset_buttons[title] = button
            presets.addStretch(1)
            layout.addLayout(presets)
        form = QFormLayout()
        self.settings: list[QComboBox] = []
        self.values: list[QLineEdit] = []
        for i in range(SETTINGS_VARIED):
            setting = QComboBox()
            setting.addItems(names if i == 0 else [NO_SETTING, *names])
            values = QLineEdit()
            values.setPlaceholderText("values, e.g. 0, 0.25, 0.5 (';' between values that hold commas)")
            setting.currentIndexChanged.connect(self._update)
            values.textChanged.connect(self._update)
            row = QHBoxLayout()
            row.addWidget(setting)
            row.addWidget(values, 1)
            form.addRow(f"Setting {i + 1}:", row)
            self.settings.append(setting)
            self.values.append(values)
        layout.addLayout(form)
        self.add_form = QCheckBox("Add the form's settings as they are as a variant")
        self.add_form.toggled.connect(self._update)
        layout.addWidget(self.add_form)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.compare_button = self.buttons.addButton("Compare", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        first = next(iter(lesson.comparisons.values()), None)
        if first is not None:
            self.set_vary(first)
        else:
            self._update()

    def set_vary(self, vary: dict[str, tuple[Any, ...]]) -> None:
        """Fill the fields with settings and their values (a preset)."""
        items = list(vary.items())[:SETTINGS_VARIED]
        for i, (setting, values) in enumerate(zip(self.settings, self.values, strict=True)):
            name, chosen = items[i] if i < len(items) else (NO_SETTING, ())
            setting.setCurrentText(name)
            values.setText(", ".join(value_text(v) for v in chosen))
        self._update()

    def vary(self) -> dict[str, list[str]]:
        """The settings chosen and their values as typed."""
        return {
            setting.currentText(): parse_values(values.text())
            for setting, values in zip(self.settings, self.values, strict=True)
            if setting.currentText() != NO_SETTING
        }

    def configs(self) -> list[Any]:
        """The variants' configs; a ConfigError naming the setting when they cannot be made."""
        return vary_configs(self.base, self.vary(), also=[self.base] if self.add_form.isChecked() else [])

    def _update(self) -> None:
        try:
            configs = self.configs()
        except ConfigError as exc:
            self.summary.setText(f"<b>Cannot compare</b>: {exc}")
            self.compare_button.setEnabled(False)
            return
        labels = [label for label, _ in variant_names(configs)]
        self.summary.setText(f"{len(configs)} variants: " + "; ".join(labels))
        self.compare_button.setEnabled(True)

    def accept(self) -> None:
        try:
            self.chosen = self.configs()
        except ConfigError:
            return  # the summary says why; the button is off until it is right
        super().accept()


def ask_comparison(window: MainWindow) -> CompareDialog | None:
    """Run ▸ Compare…: the dialog over the form's settings; accepting it starts the comparison.
    None (with a status-bar line) while the form holds a bad setting."""
    error = window.form.check()
    if error is not None:
        window.statusBar().showMessage(f"Cannot compare: {error}", 6000)
        return None
    dialog = CompareDialog(window.lesson, window.form.config(), window)
    dialog.accepted.connect(lambda: window.start_comparison(dialog.chosen))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog

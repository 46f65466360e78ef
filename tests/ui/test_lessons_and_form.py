"""The lesson browser and the generated config form."""

import html
import re

import pytest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
)

from unsuplab.core.config import field_specs
from unsuplab.core.experiment import GROUPS
from unsuplab.core.registry import lesson, lessons


def _plain(tooltip: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", tooltip))


def test_browser_lists_every_lesson_under_its_group_in_order(window):
    groups = window.browser.groups()
    expected = {}
    for cls in lessons():
        expected.setdefault(cls.group, []).append(cls.name)
    assert groups == expected
    assert list(groups) == [g for g in GROUPS if g in expected]  # GROUPS order, no empty groups
    item = window.browser._items["sparse-autoencoder"]
    assert item.text(0) == "Sparse autoencoder"
    assert item.toolTip(0) == lesson("sparse-autoencoder").summary


def test_starts_on_the_autoencoder_with_its_notes_and_title(window):
    assert window.browser.current_lesson() == "autoencoder"
    assert window.windowTitle() == "unsuplab — Autoencoder"
    assert "Autoencoder" in window.browser.text.toPlainText()


def test_selecting_a_lesson_builds_one_editor_per_field_with_its_help(window):
    window.select_lesson("sparse-autoencoder")
    assert window.windowTitle() == "unsuplab — Sparse autoencoder"
    specs = field_specs(lesson("sparse-autoencoder").Config)
    assert list(window.form.editors) == [s.name for s in specs]
    kinds = {int: QSpinBox, float: QDoubleSpinBox, bool: QCheckBox, str: QLineEdit}
    for spec in specs:
        editor = window.form.editors[spec.name]
        expected = QComboBox if spec.param.choices else kinds[spec.type]
        assert isinstance(editor, expected), spec.name
        assert _plain(editor.toolTip()).startswith(f" {spec.param.help}"), spec.name
        assert window.form.raw_value(spec.name) == spec.default
        assert window.form.labels[spec.name].text().startswith(spec.label)
    beta = window.form.editors["sparsity_beta"]
    assert "Range: 0 … 100" in _plain(beta.toolTip())
    assert "Choices: l1, kl" in _plain(window.form.editors["penalty"].toolTip())
    # data_file gets a file chooser button beside its line edit
    assert window.form.editors["data_file"].parentWidget().findChild(QToolButton) is not None


def test_a_slider_field_moves_with_its_number_and_sets_it_when_released(window):
    window.select_lesson("semi-supervised")
    box = window.form.editors["labels_per_class"]
    slider = window.form.findChild(QSlider, "slider_labels_per_class")
    assert (slider.minimum(), slider.maximum(), slider.value()) == (1, 100, 10)
    slider.setValue(25)  # what a release at 25 does
    assert box.value() == 25 and window.form.raw_value("labels_per_class") == 25
    box.setValue(7)
    assert slider.value() == 7
    window.select_lesson("anomaly-detection")  # a float: the slider spans low … high
    quantile = window.form.editors["threshold_quantile"]
    slider = window.form.findChild(QSlider, "slider_threshold_quantile")
    slider.setValue(slider.maximum())
    assert quantile.value() == pytest.approx(0.9999)
    quantile.setValue(0.75)
    assert slider.value() == round((0.75 - 0.5) / (0.9999 - 0.5) * slider.maximum())
    # Fields that did not ask for a slider have none.
    assert window.form.findChild(QSlider, "slider_learning_rate") is None


def test_log_scaled_floats_step_along_1_2_5(window):
    rate = window.form.editors["learning_rate"]
    rate.setValue(1e-3)
    rate.stepBy(1)
    assert rate.value() == 2e-3
    rate.stepBy(2)
    assert abs(rate.value() - 1e-2) < 1e-12
    rate.stepBy(-3)
    assert abs(rate.value() - 1e-3) < 1e-12
    assert rate.text() == "0.001"
    rate.setValue(1e-5)
    assert rate.text() == "1e-05"


def test_an_invalid_setting_is_shown_beside_its_field_and_blocks_train(window, qtbot):
    window.form.set_value("code_size", 784)  # not narrower than the 28x28 image
    error = window.form.error_labels["code_size"]
    assert error.isVisibleTo(window) and "784" in error.text()
    assert "code_size" in window.statusBar().currentMessage()
    assert not window.controls.train.isEnabled()
    window.train()  # the shortcut path is refused too
    assert window.worker is None
    assert "Cannot train" in window.statusBar().currentMessage()
    window.form.set_value("code_size", 16)
    assert not error.isVisibleTo(window)
    assert window.controls.train.isEnabled()


def test_cross_field_error_in_the_sparse_lesson(window):
    window.select_lesson("sparse-autoencoder")
    window.form.set_value("activation", "relu")
    window.form.set_value("penalty", "kl")
    assert window.form.error is not None and window.form.error.field == "penalty"
    assert window.form.error_labels["penalty"].isVisibleTo(window)
    assert not window.controls.train.isEnabled()


def test_a_missing_data_file_is_an_inline_error(window):
    editor = window.form.editors["data_file"]
    editor.setText("/no/such/images.npz")
    editor.editingFinished.emit()
    assert window.form.error.field == "data_file"
    assert "no such file" in window.form.error_labels["data_file"].text()


def test_defaults_and_config_files_round_trip(window, tmp_path):
    window.form.set_value("code_size", 12)
    path = tmp_path / "ae.json"
    assert window.save_config(path)
    window.restore_defaults()
    assert window.form.raw_value("code_size") == 32
    assert window.load_config(path)
    assert window.form.raw_value("code_size") == 12
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert not window.load_config(bad)  # shown, not raised
    assert window.banner.isVisibleTo(window) and "bad.json" in window.banner.message.text()


def test_typing_scientific_notation_into_a_float_field(window, qtbot):
    from PySide6.QtCore import Qt

    rate = window.form.editors["learning_rate"]
    rate.lineEdit().selectAll()
    qtbot.keyClicks(rate.lineEdit(), "2e-4")
    qtbot.keyClick(rate.lineEdit(), Qt.Key.Key_Return)
    assert rate.value() == 2e-4
    assert window.form.config().learning_rate == 2e-4

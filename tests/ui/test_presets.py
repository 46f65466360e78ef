"""Lesson presets: every "Try this" button sets exactly the settings it names, to valid values,
and a running model takes them live or restarts with them."""

import dataclasses

import pytest
from window_waits import wait_for_step

from unsuplab.core.config import field_specs, validate
from unsuplab.core.registry import lessons
from unsuplab.ui.lesson_browser import lesson_markdown

PRESETS = [(cls.name, title) for cls in lessons() for title in cls.presets]


def test_every_lesson_with_a_try_this_section_has_presets():
    missing = [cls.name for cls in lessons() if "## Try this" in lesson_markdown(cls) and not cls.presets]
    assert not missing


@pytest.mark.parametrize("cls", lessons(), ids=lambda cls: cls.name)
def test_presets_name_real_settings_with_valid_values(cls):
    specs = {spec.name: spec for spec in field_specs(cls.Config)}
    for title, values in cls.presets.items():
        assert values, title
        assert set(values) <= set(specs), f"{cls.name} preset {title!r} names unknown settings"
        for name, value in values.items():
            assert type(value) is specs[name].type, f"{cls.name} {title!r}: {name}={value!r}"
        validate(dataclasses.replace(cls.Config(), **values))  # raises ConfigError naming the field


@pytest.mark.parametrize(("lesson", "title"), PRESETS, ids=[f"{n}:{t}" for n, t in PRESETS])
def test_pressing_a_preset_sets_exactly_its_settings(qtbot, lesson, title):
    from unsuplab.core.registry import lesson as lesson_class
    from unsuplab.ui.config_form import ConfigForm
    from unsuplab.ui.preset_bar import PresetBar, set_form

    cls = lesson_class(lesson)
    form, bar = ConfigForm(), PresetBar()
    qtbot.addWidget(form)
    qtbot.addWidget(bar)
    form.set_config_type(cls.Config, cls.title)
    bar.set_lesson(cls)
    bar.chosen.connect(lambda _title, values: set_form(form, values))
    before = form.values()
    bar.buttons[title].click()
    after = form.values()
    wanted = cls.presets[title]
    assert {name: after[name] for name in wanted} == wanted
    assert {name: value for name, value in after.items() if name not in wanted} == {
        name: value for name, value in before.items() if name not in wanted
    }
    assert form.error is None
    assert form.config() == dataclasses.replace(form.config_type(), **before | wanted)


def test_the_lesson_shows_its_presets_as_buttons_that_say_what_they_set(window):
    bar = window.presets
    assert list(bar.buttons) == list(window.lesson.presets) and bar.isVisibleTo(window)
    assert "code size = 2" in bar.buttons["2-D code"].toolTip().lower()


def test_a_live_preset_reaches_the_running_model(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 1)
    worker = window.worker
    window.presets.buttons["Learning rate 0.1"].click()
    experiment = worker.experiment  # read only; the worker thread owns it
    qtbot.waitUntil(lambda: experiment.config.learning_rate == 0.1, timeout=5000)
    assert window.worker is worker  # the same run goes on
    assert any("Preset: Learning rate 0.1" in line for line in window.log.lines())


def test_a_preset_that_needs_a_new_model_restarts_the_run_with_it(window, qtbot):
    window.train()
    wait_for_step(qtbot, window, 2)
    old = window.worker
    window.presets.buttons["2-D code"].click()
    assert window.worker is not None and window.worker is not old
    wait_for_step(qtbot, window, 1)
    assert window.worker.experiment.config.code_size == 2
    assert window.form.raw_value("code_size") == 2


def test_a_preset_without_a_run_only_sets_the_form(window):
    window.presets.buttons["2-D code"].click()
    assert window.worker is None and window.form.raw_value("code_size") == 2

"""Config fields: text and JSON values coerced to the field's type, ranges, choices, files."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass

import pytest

from unsuplab.atomic import OutputError
from unsuplab.core.config import (
    BYTES_PER_WEIGHT,
    MAX_WIDTH,
    MEMORY_BUDGET,
    ConfigError,
    coerce,
    field_specs,
    from_dict,
    load_json,
    param,
    save_json,
    spec_for,
    to_dict,
    with_overrides,
)


@dataclass
class ToyConfig:
    width: int = param(8, "Hidden units.", low=1, high=64)
    rate: float = param(0.01, "Step size.", low=1e-6, high=1.0, log=True, live=True)
    shuffle: bool = param(True, "Shuffle the data each epoch.")
    kind: str = param("relu", "Non-linearity.", choices=("relu", "sigmoid"))
    ceiling: int = param(32, "Upper bound; must be at least width.", low=1, high=64)

    def check(self) -> None:
        if self.ceiling < self.width:
            raise ConfigError("ceiling", f"{self.ceiling} is below width {self.width}")


def spec(name: str):
    return spec_for(ToyConfig, name)


def test_field_specs_follow_declaration_order_with_types_and_labels():
    specs = field_specs(ToyConfig)
    assert [s.name for s in specs] == ["width", "rate", "shuffle", "kind", "ceiling"]
    assert [s.type for s in specs] == [int, float, bool, str, int]
    assert specs[1].param.live and specs[1].param.log
    assert specs[0].label == "Width"


def test_a_field_without_help_is_refused():
    @dataclass
    class Bare:
        width: int = 3

    with pytest.raises(TypeError, match="width"):
        field_specs(Bare)


@pytest.mark.parametrize(("text", "expected"), [("12", 12), ("12.0", 12), (" 7 ", 7), (5, 5)])
def test_coerce_int_accepts_whole_numbers(text, expected):
    value = coerce(spec("width"), text)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("text", ["12.5", "abc", "", "nan", "inf", None])
def test_coerce_int_refuses_anything_else_naming_the_field(text):
    with pytest.raises(ConfigError, match="width") as info:
        coerce(spec("width"), text)
    assert info.value.field == "width"


def test_coerce_float_parses_scientific_notation_and_refuses_non_finite():
    assert coerce(spec("rate"), "1e-3") == pytest.approx(0.001)
    with pytest.raises(ConfigError, match="rate.*finite"):
        coerce(spec("rate"), "nan")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("NO", False),
        ("on", True),
        ("off", False),
        (True, True),
        (0, False),
    ],
)
def test_coerce_bool_understands_the_usual_spellings(text, expected):
    assert coerce(spec("shuffle"), text) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "tru", ""])
def test_coerce_bool_refuses_other_text(text):
    with pytest.raises(ConfigError, match="shuffle.*not a valid bool"):
        coerce(spec("shuffle"), text)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("width", "0", "below the minimum 1"),
        ("width", "65", "above the maximum 64"),
        ("rate", "2", "above the maximum 1"),
    ],
)
def test_values_out_of_range_are_refused_with_the_limit(name, value, words):
    with pytest.raises(ConfigError, match=words) as info:
        coerce(spec(name), value)
    assert str(info.value).startswith(f"{name}: ")


def test_choices_are_enforced_and_listed():
    assert coerce(spec("kind"), "sigmoid") == "sigmoid"
    with pytest.raises(ConfigError, match="kind: 'tanh' is not one of: relu, sigmoid"):
        coerce(spec("kind"), "tanh")


def test_unknown_field_is_named_and_the_known_ones_listed():
    with pytest.raises(ConfigError) as info:
        with_overrides(ToyConfig(), {"widht": "3"})
    assert info.value.field == "widht"
    assert "width, rate, shuffle, kind, ceiling" in str(info.value)


def test_with_overrides_returns_a_validated_copy():
    base = ToyConfig()
    changed = with_overrides(base, {"width": "16", "shuffle": "no", "rate": 0.5})
    assert (changed.width, changed.shuffle, changed.rate) == (16, False, 0.5)
    assert (base.width, base.shuffle) == (8, True)


def test_with_overrides_runs_the_cross_field_check():
    with pytest.raises(ConfigError, match="ceiling"):
        with_overrides(ToyConfig(), {"width": "40"})


def test_json_round_trip(tmp_path):
    config = with_overrides(ToyConfig(), {"width": "12", "kind": "sigmoid", "shuffle": "false"})
    path = tmp_path / "config.json"
    save_json(config, path)
    assert json.loads(path.read_text())["width"] == 12
    assert load_json(ToyConfig, path) == config
    assert from_dict(ToyConfig, to_dict(config)) == config


@pytest.mark.parametrize("content", ['{"width": 12,', "[1, 2]", "\xff\xfe garbage"])
def test_a_broken_json_file_raises_config_error_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_json(ToyConfig, path)
    assert str(path) in str(info.value)


def test_a_missing_json_file_raises_config_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.json"
    with pytest.raises(ConfigError, match="nowhere.json"):
        load_json(ToyConfig, path)


def test_a_json_file_with_a_bad_value_names_the_field(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"width": 1000}')
    with pytest.raises(ConfigError, match="width: 1000 is above the maximum 64"):
        load_json(ToyConfig, path)


def test_a_json_file_that_cannot_be_written_leaves_the_old_one_whole(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    save_json(ToyConfig(), path)
    before = path.read_text()

    def no_space(obj, f, **kwargs):
        f.write('{\n  "wid')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(json, "dump", no_space)
    with pytest.raises(OutputError, match=r"config.json: cannot write \(No space left on device\)"):
        save_json(with_overrides(ToyConfig(), {"width": "12"}), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


# --- size settings: bounded by the memory they need -------------------------------------------------


@dataclass
class Layered:
    widths: str = param("64,32", "Layer widths.", list_of="widths", low=1, high=MAX_WIDTH)
    saved: str = param("10,100", "Steps to keep.", list_of="numbers", low=5, high=1000)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("widths", "100000000", ["widths: 100000000 is above the maximum 16384", "4 GiB"]),
        ("widths", "200000,200000", ["widths: 200000 is above the maximum 16384"]),
        (
            "widths",
            "16384,16384",
            ["widths: 16384,16384 needs about 8 GiB", "536,870,912 weights", "the limit is 4 GiB"],
        ),
        ("widths", ",".join(["8"] * 33), ["widths: 33 numbers; at most 32"]),
        ("saved", "99999999999999999999", ["saved: 99999999999999999999 is above the maximum 1000"]),
        ("saved", "10,2", ["saved: 2 is below the minimum 5"]),
    ],
)
def test_list_settings_are_bounded_with_the_numbers_in_the_message(name, value, words):
    with pytest.raises(ConfigError) as info:
        with_overrides(Layered(), {name: value})
    for word in words:
        assert word in str(info.value)


def test_list_settings_within_bounds_and_words_pass_to_the_lesson():
    config = with_overrides(Layered(), {"widths": "8000,8000", "saved": "doubling"})
    assert (config.widths, config.saved) == ("8000,8000", "doubling")
    # Not a list of positive whole numbers: the lesson's own check says what the format is.
    assert with_overrides(Layered(), {"widths": "0,10"}).widths == "0,10"


def test_the_widest_layer_alone_fits_the_memory_budget():
    assert MAX_WIDTH**2 * BYTES_PER_WEIGHT == MEMORY_BUDGET


def test_a_list_setting_needs_an_upper_bound():
    with pytest.raises(TypeError, match="high"):
        param("1,2", "Widths.", list_of="widths")


def test_every_size_setting_of_every_lesson_has_an_upper_bound():
    """A width, a count or a list of them without a bound is how 'hidden=100000000' reached
    'can't allocate 313600000000 bytes'."""
    from unsuplab.core.registry import lessons

    unbounded = []
    for cls in lessons():
        for s in field_specs(cls.Config):
            is_list = s.type is str and all(p.strip().isdigit() for p in str(s.default).split(","))
            if (s.type is int or is_list) and s.param.high is None:
                unbounded.append(f"{cls.name}.{s.name}")
            if is_list and s.param.list_of is None:
                unbounded.append(f"{cls.name}.{s.name} (a list not checked as one)")
    assert unbounded == []

"""Config dataclass fields with help, ranges and choices: the form, the CLI and validation read them."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

from unsuplab.atomic import atomic_write

#: What one lesson's learned weights may take in memory with their gradients and Adam's two
#: moments (four float32 numbers, 16 bytes, per weight). A size setting beyond it is refused
#: before anything is built, with the numbers, instead of failing to allocate minutes later.
MEMORY_BUDGET = 4 * 2**30
BYTES_PER_WEIGHT = 16
#: The widest layer whose square weight matrix alone fits the budget: √(4 GiB / 16 B) = 16384.
MAX_WIDTH = math.isqrt(MEMORY_BUDGET // BYTES_PER_WEIGHT)
#: Most numbers a list setting (layer widths, saved steps) may hold.
MAX_LIST = 32
#: What a list setting holds: positive whole "numbers" (each within [low, high]), or "widths" of
#: layers, whose weights between neighbouring layers must also fit MEMORY_BUDGET.
LIST_KINDS = ("numbers", "widths")


class ConfigError(ValueError):
    """A config value that cannot be used; names the field and says why."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.field = name
        self.reason = message


@dataclass(frozen=True)
class Param:
    """What the form and the CLI know of one config field."""

    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    log: bool = False
    live: bool = False  # may change while a run trains (e.g. a learning rate)
    label: str | None = None
    slider: bool = False  # the form adds a slider over [low, high] beside the number
    list_of: str | None = None  # a text of comma-separated whole numbers: one of LIST_KINDS


def param(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[Any, ...] | None = None,
    log: bool = False,
    live: bool = False,
    label: str | None = None,
    slider: bool = False,
    list_of: str | None = None,
) -> Any:
    """A dataclass field carrying its help text (with the formula), range and choices.
    `list_of="widths"` (or "numbers") makes a text field a list like "1000,500,250" whose every
    number lies in [low, high]; widths are also checked against MEMORY_BUDGET."""
    if slider and (low is None or high is None):
        raise TypeError("a slider needs both bounds, low and high")
    if list_of is not None and (list_of not in LIST_KINDS or high is None):
        raise TypeError(f"list_of is one of {LIST_KINDS} and needs an upper bound, high")
    meta = Param(help, low, high, tuple(choices) if choices else None, log, live, label, slider, list_of)
    return field(default=default, metadata={"param": meta})


@dataclass(frozen=True)
class FieldSpec:
    """One config field as the form shows it."""

    name: str
    type: type
    default: Any
    param: Param

    @property
    def label(self) -> str:
        return self.param.label or self.name.replace("_", " ").capitalize()


_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def field_specs(config_type: type) -> list[FieldSpec]:
    """The documented fields of a config dataclass, in declaration order."""
    specs = []
    for f in dataclasses.fields(config_type):
        meta = f.metadata.get("param")
        if meta is None:
            raise TypeError(f"{config_type.__qualname__}.{f.name} has no param() help")
        kind = f.type if isinstance(f.type, type) else _TYPES[str(f.type)]
        specs.append(FieldSpec(f.name, kind, f.default, meta))
    return specs


def spec_for(config_type: type, name: str) -> FieldSpec:
    """The spec of field `name`; a ConfigError that lists the known fields when there is none."""
    specs = {s.name: s for s in field_specs(config_type)}
    if name not in specs:
        raise ConfigError(name, f"unknown setting; known: {', '.join(specs)}")
    return specs[name]


def coerce(spec: FieldSpec, value: Any) -> Any:
    """`value` (text from a command line or a JSON value) as the field's type, range-checked."""
    try:
        if spec.type is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError
                value = lowered in ("true", "1", "yes", "on")
            else:
                value = bool(value)
        elif spec.type is int:
            number = float(value)
            if not number.is_integer():
                raise ValueError
            value = int(number)
        elif spec.type is float:
            value = float(value)
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise ConfigError(spec.name, f"{value!r} is not a valid {spec.type.__name__}") from None
    check_value(spec, value)
    return value


def check_value(spec: FieldSpec, value: Any) -> None:
    """Raise ConfigError when `value` lies outside the field's range or choices."""
    p = spec.param
    if p.list_of is not None:
        _check_list(spec, str(value))
        return
    if p.choices is not None and value not in p.choices:
        allowed = ", ".join(str(c) for c in p.choices)
        raise ConfigError(spec.name, f"{value!r} is not one of: {allowed}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(spec.name, f"{value} is not a finite number")
    if p.low is not None and value < p.low:
        raise ConfigError(spec.name, f"{value} is below the minimum {_bound(p.low)}")
    if p.high is not None and value > p.high:
        raise ConfigError(spec.name, f"{value} is above the maximum {_bound(p.high)}")


def _check_list(spec: FieldSpec, text: str) -> None:
    """Bound every number of a list setting, and the memory a list of layer widths needs."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() and int(part) > 0 for part in parts):
        return  # a word ("doubling"), a 0 or a typo: the lesson's own parser names what is wrong
    numbers = [int(part) for part in parts]
    if len(numbers) > MAX_LIST:
        raise ConfigError(spec.name, f"{len(numbers)} numbers; at most {MAX_LIST}")
    p = spec.param
    why = (
        f" (a wider layer's weights alone would need more than {_gib(MEMORY_BUDGET)})"
        if p.list_of == "widths" and p.high == MAX_WIDTH
        else ""
    )
    for number in numbers:
        if p.low is not None and number < p.low:
            raise ConfigError(spec.name, f"{number} is below the minimum {_bound(p.low)}")
        if number > p.high:
            raise ConfigError(spec.name, f"{number} is above the maximum {_bound(p.high)}{why}")
    if p.list_of == "widths":
        # Each width list builds two halves (encoder and decoder, generator and discriminator).
        weights = 2 * sum(a * b for a, b in itertools.pairwise(numbers))
        if weights * BYTES_PER_WEIGHT > MEMORY_BUDGET:
            raise ConfigError(
                spec.name,
                f"{text} needs about "
                f"{_gib(weights * BYTES_PER_WEIGHT)} for its {weights:,} weights "
                f"between layers ({BYTES_PER_WEIGHT} bytes each with gradients and "
                f"Adam's moments); the limit is {_gib(MEMORY_BUDGET)}: use "
                "narrower or fewer layers",
            )


def _bound(limit: float) -> str:
    """A range bound as people write it: 10000000 rather than 1e+07, 0.001 as it is."""
    return str(int(limit)) if float(limit).is_integer() else f"{limit:g}"


def _gib(size: int) -> str:
    return f"{size / 2**30:.3g} GiB"


def validate(config: Any) -> None:
    """Check every field's range, then the config's own cross-field `check()` if it has one."""
    for spec in field_specs(type(config)):
        check_value(spec, getattr(config, spec.name))
    if hasattr(config, "check"):
        config.check()


def with_overrides(config: Any, overrides: dict[str, Any]) -> Any:
    """A validated copy of `config` with the named fields replaced (values may be text)."""
    changes = {name: coerce(spec_for(type(config), name), v) for name, v in overrides.items()}
    updated = dataclasses.replace(config, **changes)
    validate(updated)
    return updated


def to_dict(config: Any) -> dict[str, Any]:
    """The config as plain JSON-able values."""
    return dataclasses.asdict(config)


def from_dict(config_type: type, values: dict[str, Any]) -> Any:
    """A validated config from saved values; unknown keys are refused by name."""
    return with_overrides(config_type(), values)


def save_json(config: Any, path) -> None:
    """Write the config as pretty JSON, whole or not at all (an OutputError names the file)."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(to_dict(config), f, indent=2)
        f.write("\n")


def load_json(config_type: type, path) -> Any:
    """Read a config saved by `save_json`; a broken file raises ConfigError naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read config file: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(str(path), "a config file must hold a JSON object of settings")
    return from_dict(config_type, values)

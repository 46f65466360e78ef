"""Config dataclass fields with help, ranges and choices: the form, the CLI and validation read them."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any


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
) -> Any:
    """A dataclass field carrying its help text (with the formula), range and choices."""
    if slider and (low is None or high is None):
        raise TypeError("a slider needs both bounds, low and high")
    meta = Param(help, low, high, tuple(choices) if choices else None, log, live, label, slider)
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
    if p.choices is not None and value not in p.choices:
        allowed = ", ".join(str(c) for c in p.choices)
        raise ConfigError(spec.name, f"{value!r} is not one of: {allowed}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(spec.name, f"{value} is not a finite number")
    if p.low is not None and value < p.low:
        raise ConfigError(spec.name, f"{value} is below the minimum {p.low:g}")
    if p.high is not None and value > p.high:
        raise ConfigError(spec.name, f"{value} is above the maximum {p.high:g}")


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
    """Write the config as pretty JSON."""
    with open(path, "w", encoding="utf-8") as f:
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

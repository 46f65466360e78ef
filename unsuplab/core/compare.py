"""Compare runs: k variants of one lesson (2 to 4 configs), or of lessons that share a figure,
trained in turns as one experiment.

A `Comparison` is an `Experiment` made of the variants: `build` builds each from the same seed and
data, `train_step` steps each once (so every variant gets the same number of steps whatever its
speed), and `snapshot` merges their panels. The run loop, the window's worker and the CLI drive it
as they drive one lesson, so pausing, single steps, slow motion, stopping, the last good state, a
divergence (the metric names its variant) and the timeline all work unchanged.

How the panels merge (`merge_payloads`): curves overlay in one plot, each series named
"metric · variant" (a held-out series keeps its training twin's colour, dashed); rows of images
merge column by column (a row every variant shares, such as the clean digits, once; the others
once per variant), so a reconstruction reads across the variants; tables gain a variant column;
every other panel appears once per variant ("filters@corruption_level=0.25", the variant named
in its title).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from unsuplab.atomic import atomic_write
from unsuplab.core.config import ConfigError, coerce, field_specs, spec_for, validate
from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.payloads import Curves, PairedRows, Payload, Table

MIN_VARIANTS, MAX_VARIANTS = 2, 4
#: Between a metric (or a row) and the variant it belongs to: "loss · corruption_level = 0.25".
SEPARATOR = " · "
#: Between a panel's key and the variant's: "filters@corruption_level=0.25".
PANEL_SEPARATOR = "@"


# -- the variants ------------------------------------------------------------------------------------
def parse_values(text: str) -> list[str]:
    """Values as typed: "0, 0.25, 0.5"; ';' separates values that hold commas ("64,64; 500,500")."""
    return [v.strip() for v in text.split(";" if ";" in text else ",")] if text.strip() else []


def parse_value_lists(items: list[str], option: str, example: str) -> dict[str, list[str]]:
    """`option` KEY=V1,V2 ... (compare's --vary, a sweep's --grid) as setting -> values as typed;
    a ConfigError names a malformed item (with `example` of the option) or a setting given twice."""
    lists: dict[str, list[str]] = {}
    for item in items:
        key, equals, values = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise ConfigError(repr(item), f"expected KEY=V1,V2, e.g. {option} {example}")
        if key in lists:
            raise ConfigError(key, f"given twice; list all its values in one {option}")
        lists[key] = parse_values(values)
    return lists


def vary_configs(base: Any, vary: dict[str, Sequence[Any]], also: Sequence[Any] = ()) -> list[Any]:
    """The configs `also` (the form's own, say), then one per combination of the values in `vary`
    (setting -> values, text or typed), the rest as in `base`; a config already there is not
    repeated. A ConfigError names the setting: unknown, no values, a value out of range or given
    twice, or a number of variants outside 2 to 4."""
    if not vary:
        raise ConfigError("vary", "name a setting to vary and its values")
    axes: list[list[Any]] = []
    for name, values in vary.items():
        spec = spec_for(type(base), name)
        if not values or any(isinstance(v, str) and not v.strip() for v in values):
            raise ConfigError(name, "an empty value; give the values to compare, e.g. 0,0.25,0.5")
        coerced = [coerce(spec, v) for v in values]
        repeated = next((v for i, v in enumerate(coerced) if v in coerced[:i]), None)
        if repeated is not None:
            raise ConfigError(name, f"{repeated!r} is given twice")
        axes.append(coerced)
    combos = [dataclasses.replace(base, **dict(zip(vary, c, strict=True))) for c in itertools.product(*axes)]
    configs = list(also) + [c for c in combos if c not in also]
    count, names = len(configs), ", ".join(vary)
    if count > MAX_VARIANTS:
        raise ConfigError(names, f"{count} variants; compare at most {MAX_VARIANTS}")
    if count < MIN_VARIANTS:
        raise ConfigError(names, "one value makes one variant; give at least two values to compare")
    for config in configs:
        validate(config)  # the config's own cross-field checks
    return configs


def variant_names(configs: Sequence[Any]) -> list[tuple[str, str]]:
    """(label, key) of each config, from the settings that tell them apart:
    ("corruption_level = 0.25", "corruption_level=0.25"); identical ones are "variant 1", ... .
    Lesson names (text) instead of configs name themselves."""
    differing = [
        spec.name
        for spec in ([] if isinstance(configs[0], str) else field_specs(type(configs[0])))
        if len({repr(getattr(c, spec.name)) for c in configs}) > 1
    ]
    names = []
    for i, config in enumerate(configs, start=1):
        values = [(name, value_text(getattr(config, name))) for name in differing]
        label = ", ".join(f"{n} = {v}" for n, v in values) or f"variant {i}"
        key = ",".join(f"{n}={v}" for n, v in values) or f"variant-{i}"
        if isinstance(config, str):
            label = key = config
        if any(label == earlier for earlier, _ in names):  # the same settings twice
            label, key = f"{label} (#{i})", f"{key}-{i}"
        names.append((label, key))
    return names


def value_text(value: Any) -> str:
    """A setting's value as a label shows it: 0.25, 1e-05, True, "minimax"."""
    return f"{value:g}" if isinstance(value, float) else str(value)


class Comparison(Experiment):
    """The variants of one lesson as one experiment (see the module docstring)."""

    group = "Applications"  # never registered: the lesson's own group is the one shown

    def __init__(self, lesson: type[Experiment] | Sequence[type[Experiment]], configs: Sequence[Any]):
        """Variants of `lesson` with `configs`; or, `lesson` a list of lessons (one per config),
        variants of different lessons, named by lesson, their curves of the same title overlaid
        ("Binary cross-entropy per pixel": the autoencoder's and the convolutional one's)."""
        if not MIN_VARIANTS <= len(configs) <= MAX_VARIANTS:
            raise ConfigError(
                "variants", f"{len(configs)} variants; compare {MIN_VARIANTS} to {MAX_VARIANTS}"
            )
        lessons = list(lesson) if isinstance(lesson, list | tuple) else [lesson] * len(configs)
        self.lesson = lessons[0]
        # Each variant its own copy: a live change aimed at one must not reach a twin's config.
        self.variants = [cls(dataclasses.replace(c)) for cls, c in zip(lessons, configs, strict=True)]
        self.config = self.variants[0].config
        self.mixed = len({cls.name for cls in lessons}) > 1
        names = variant_names([cls.name for cls in lessons] if self.mixed else configs)
        self.labels, self.keys = (list(column) for column in zip(*names, strict=True))
        self.name = self.lesson.name  # a saved comparison is the lesson's, with its variants' configs
        if self.mixed:
            self.title = " vs ".join(cls.title for cls in lessons)
        else:
            self.title = f"{self.lesson.title} ({len(configs)} variants)"
        first = self.variants[0]  # a lesson may set these per instance, from its config
        self.tools = tuple(t for t in first.tools if all(t in v.tools for v in self.variants))
        self.actions = {} if self.mixed else first.actions
        self.training_actions = frozenset() if self.mixed else first.training_actions
        titles = dict.fromkeys(title for variant in self.variants for title in variant.curves)
        self.curves = {title: self._each(lambda v, t=title: v.curves.get(t, ())) for title in titles}
        self.guarded_metrics = self._each(lambda v: v.guarded_metrics)
        self._step = 0

    @property
    def variant_configs(self) -> list[Any]:
        """The variants' configs (a saved comparison keeps them beside their weights)."""
        if self.mixed:
            raise ValueError("a comparison of different lessons is saved one variant at a time")
        return [variant.config for variant in self.variants]

    def _each(self, names_of) -> tuple[str, ...]:
        """Each variant's copy of the metrics `names_of(variant)`, variant by variant."""
        return tuple(
            f"{name}{SEPARATOR}{label}"
            for label, variant in zip(self.labels, self.variants, strict=True)
            for name in names_of(variant)
        )

    @property
    def step(self) -> int:  # type: ignore[override]
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        self._step = value
        for variant in self.variants:  # the loop keeps the count; each lesson reads its own
            variant.step = value

    def build(self, device: str, seed: int) -> None:
        for variant in self.variants:
            variant.build(device, seed)

    def train_step(self) -> dict[str, Any]:
        return self._merged(variant.train_step() for variant in self.variants)

    def train_action(self, name: str) -> dict[str, Any]:
        return self._merged(variant.train_action(name) for variant in self.variants)

    def evaluate(self) -> dict[str, float]:
        return self._merged(variant.evaluate() for variant in self.variants)

    def snapshot(self) -> dict[str, Payload]:
        return merge_payloads(self.labels, self.keys, [variant.snapshot() for variant in self.variants])

    def _merged(self, per_variant) -> dict[str, Any]:
        return {
            f"{name}{SEPARATOR}{label}": value
            for label, values in zip(self.labels, per_variant, strict=True)
            for name, value in values.items()
        }

    def state_dict(self) -> dict[str, Any]:
        return {key: variant.state_dict() for key, variant in zip(self.keys, self.variants, strict=True)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, variant in zip(self.keys, self.variants, strict=True):
            variant.load_state_dict(state[key])

    @property
    def samples_per_step(self) -> int:
        return sum(variant.samples_per_step for variant in self.variants)

    @property
    def pace(self) -> float:
        return float(len(self.variants))

    @property
    def step_delay(self) -> float:
        return max(variant.step_delay for variant in self.variants)

    def set_live(self, name: str, value: Any, variant: str | None = None) -> None:
        """Change a live setting in every variant, or only in the one labelled or keyed `variant`."""
        chosen = self.variants if variant is None else [self.variants[self._index(variant)]]
        for one in chosen:
            one.set_live(name, value)

    def _index(self, variant: str) -> int:
        for i, names in enumerate(zip(self.labels, self.keys, strict=True)):
            if variant in names:
                return i
        raise ValueError(f"no variant {variant!r}; the variants are {'; '.join(self.labels)}")

    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        """Every variant answers (the drawing pad gets one reconstruction per variant)."""
        return merge_payloads(self.labels, self.keys, [v.probe(command, **kwargs) for v in self.variants])


# -- merging the variants' panels ---------------------------------------------------------------------
def merge_payloads(labels: Sequence[str], keys: Sequence[str], panels: Sequence[dict[str, Payload]]) -> dict:
    """The variants' panels as one snapshot's (see the module docstring)."""
    merged: dict[str, Payload] = {}
    for key in dict.fromkeys(k for variant in panels for k in variant):
        present = [
            (label, suffix, p[key]) for label, suffix, p in zip(labels, keys, panels, strict=True) if key in p
        ]
        first = present[0][2]
        same_kind = all(type(payload) is type(first) for _, _, payload in present)
        if same_kind and isinstance(first, Curves):
            series = {f"{n}{SEPARATOR}{label}": xy for label, _, p in present for n, xy in p.series.items()}
            merged[key] = dataclasses.replace(first, series=series)
        elif same_kind and isinstance(first, PairedRows):
            merged[key] = dataclasses.replace(
                first, rows=_merged_rows([(label, p.rows) for label, _, p in present])
            )
        elif same_kind and isinstance(first, Table):
            rows = [[label, *row] for label, _, p in present for row in p.rows]
            merged[key] = dataclasses.replace(first, columns=["variant", *first.columns], rows=rows)
        else:
            for label, suffix, payload in present:
                title = getattr(payload, "title", key)
                merged[f"{key}{PANEL_SEPARATOR}{suffix}"] = dataclasses.replace(
                    payload, title=f"{title} — {label}"
                )
    return merged


def lesson_key(key: str) -> str:
    """The lesson's own key of a panel, one run's or a variant's: "latent@beta=4" -> "latent"."""
    return key.partition(PANEL_SEPARATOR)[0]


def _merged_rows(present: list[tuple[str, dict[str, np.ndarray]]]) -> dict[str, np.ndarray]:
    """A row every variant shows alike once; a row that differs once per variant."""
    rows: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(n for _, variant_rows in present for n in variant_rows):
        arrays = [(label, r[name]) for label, r in present if name in r]
        if len(arrays) == len(present) and all(np.array_equal(arrays[0][1], a) for _, a in arrays[1:]):
            rows[name] = arrays[0][1]
        else:
            rows.update({f"{name}{SEPARATOR}{label}": array for label, array in arrays})
    return rows


# -- the variants' metrics apart ---------------------------------------------------------------------
def split_metrics(metrics: dict[str, float], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """label -> that variant's metrics, from a comparison's merged ones."""
    split: dict[str, dict[str, float]] = {label: {} for label in labels}
    for name, value in metrics.items():
        metric, _, label = name.rpartition(SEPARATOR)
        if label in split:
            split[label][metric] = value
    return split


def split_history(history: MetricHistory, labels: Sequence[str]) -> dict[str, MetricHistory]:
    """label -> that variant's metric history, from a comparison's merged one."""
    histories = {label: MetricHistory() for label in labels}
    for name in history.names:
        metric, _, label = name.rpartition(SEPARATOR)
        if label in histories:
            for step, value in zip(*history.series(name), strict=True):
                histories[label].record(int(step), {metric: float(value)})
    return histories


def write_variant_csv(histories: dict[str, MetricHistory], path) -> None:
    """One metrics CSV for every variant: step, variant, then every metric (empty where a variant
    did not record it at that step); written whole or not at all."""
    names = list(dict.fromkeys(n for history in histories.values() for n in history.names))
    with atomic_write(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "variant", *names])
        for label, history in histories.items():
            table: dict[int, dict[str, float]] = {}
            for name in history.names:
                for step, value in zip(*history.series(name), strict=True):
                    table.setdefault(int(step), {})[name] = float(value)
            for step in sorted(table):
                writer.writerow([step, label, *(_cell(table[step].get(n)) for n in names)])


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return repr(value) if math.isfinite(value) else str(value)
